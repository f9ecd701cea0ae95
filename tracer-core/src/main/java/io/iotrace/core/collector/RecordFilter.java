package io.iotrace.core.collector;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which records the collector writes ({@code iotrace run --functions/--exclude-path}). The shim records every call;
 * the collector drops the records that do not match when writing, after resolving them, so handles opened by
 * dropped calls still name the files of kept ones. Read from the collector's environment, which it inherits from the
 * traced process that spawned it:
 * <ul>
 *   <li>{@value #FUNCTIONS_ENV}: comma-separated function names; only their records are written (unset: all);</li>
 *   <li>{@value #EXCLUDE_PATH_ENV}: colon-separated globs ({@link java.nio.file.FileSystem#getPathMatcher} syntax,
 *       e.g. {@code /proc/**:/usr/lib/**}); records whose traced_filename matches one are not written.</li>
 * </ul>
 */
public final class RecordFilter
{
    /** Environment variable: functions to keep. */
    public static final String FUNCTIONS_ENV = "IOTRACE_FUNCTIONS";
    /** Environment variable: globs of traced filenames to drop. */
    public static final String EXCLUDE_PATH_ENV = "IOTRACE_EXCLUDE_PATH";

    /** Writes every record. */
    public static final RecordFilter ALL = new RecordFilter(null, List.of(), List.of());

    private final Set<String> functions;
    private final List<PathMatcher> excluded;
    /** One line per bad value found in the environment (the value was ignored). */
    private final List<String> problems;
    private String functionList;

    private RecordFilter(final Set<String> functions, final List<PathMatcher> excluded, final List<String> problems)
    {
        this.functions = functions;
        this.excluded = excluded;
        this.problems = problems;
    }

    /**
     * @param table the function table: names in {@value #FUNCTIONS_ENV} that are none of its functions are problems.
     * @return one line per bad value in the environment this filter was made from (each ignored), for the log.
     */
    public List<String> problems(final io.iotrace.core.format.FunctionTable table)
    {
        final List<String> all = new ArrayList<>(problems);
        if (null != functions)
        {
            final List<String> unknown = functions.stream().filter(n -> null == table.byName(n)).toList();
            if (!unknown.isEmpty())
            {
                all.add("bad " + FUNCTIONS_ENV + "='" + functionList + "': no traced function named " +
                    String.join(", ", unknown));
            }
        }
        return all;
    }

    /**
     * @param env the environment.
     * @return the filter it configures ({@link #ALL} when neither variable is set).
     */
    public static RecordFilter fromEnvironment(final Map<String, String> env)
    {
        final String functionList = env.get(FUNCTIONS_ENV);
        final String globList = env.get(EXCLUDE_PATH_ENV);
        Set<String> functions = null;
        if (null != functionList && !functionList.isBlank())
        {
            functions = new TreeSet<>();
            for (final String name : functionList.split(","))
            {
                if (!name.isBlank())
                {
                    functions.add(name.trim());
                }
            }
        }
        final List<PathMatcher> excluded = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        if (null != globList && !globList.isBlank())
        {
            for (final String glob : globList.split(":"))
            {
                if (!glob.isBlank())
                {
                    try
                    {
                        excluded.add(FileSystems.getDefault().getPathMatcher("glob:" + glob.trim()));
                    }
                    catch (final IllegalArgumentException ex) // PatternSyntaxException: the glob is ignored
                    {
                        problems.add("bad " + EXCLUDE_PATH_ENV + " glob '" + glob.trim() + "': " +
                            ex.getMessage().lines().findFirst().orElse("malformed") + "; ignored");
                    }
                }
            }
        }
        if (null == functions && excluded.isEmpty() && problems.isEmpty())
        {
            return ALL;
        }
        final RecordFilter filter = new RecordFilter(functions, excluded, problems);
        filter.functionList = functionList;
        return filter;
    }

    /**
     * @param functionName   the record's function_name.
     * @param tracedFilename its traced_filename (may be null).
     * @return true when the record is to be written.
     */
    public boolean keeps(final String functionName, final String tracedFilename)
    {
        if (this == ALL)
        {
            return true;
        }
        if (null != functions && !functions.contains(functionName))
        {
            return false;
        }
        if (null != tracedFilename && !excluded.isEmpty() && tracedFilename.startsWith("/"))
        {
            final Path path = Path.of(tracedFilename);
            for (final PathMatcher matcher : excluded)
            {
                if (matcher.matches(path))
                {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public String toString()
    {
        return this == ALL ? "all records" :
            "functions " + (null == functions ? "all" : String.join(",", functions)) + ", " + excluded.size() +
            " excluded path globs";
    }
}
