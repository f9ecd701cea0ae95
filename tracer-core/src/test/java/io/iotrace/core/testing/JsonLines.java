package io.iotrace.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reads JSON Lines files and validates records against the published schema, for tests. */
public final class JsonLines
{
    public static final ObjectMapper MAPPER = new ObjectMapper();
    private static JsonSchema schema;

    private JsonLines()
    {
    }

    /**
     * @param text JSON lines, each ending in '\n'.
     * @return the parsed objects.
     */
    public static List<JsonNode> parse(final String text)
    {
        final List<JsonNode> nodes = new ArrayList<>();
        if (text.isEmpty())
        {
            return nodes;
        }
        assertTrue(text.endsWith("\n"), "last line not terminated");
        for (final String line : text.split("\n", -1))
        {
            if (line.isEmpty())
            {
                continue;
            }
            try
            {
                nodes.add(MAPPER.readTree(line));
            }
            catch (final IOException ex)
            {
                throw new AssertionError("not JSON: " + line, ex);
            }
        }
        return nodes;
    }

    /**
     * @param file a JSON Lines file.
     * @return the parsed objects.
     */
    public static List<JsonNode> read(final Path file)
    {
        try
        {
            try (java.io.InputStream in = io.iotrace.core.summary.TraceFiles.open(file)) // .jsonl or .jsonl.gz
            {
                return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * @param file a process trace file.
     * @return its call records: the file's first line, its process_start record, is checked and left out.
     */
    public static List<JsonNode> readCalls(final Path file)
    {
        final List<JsonNode> lines = read(file);
        assertTrue(!lines.isEmpty() && "process_start".equals(lines.getFirst().path("function_name").asText()),
            file + " does not begin with its process_start record");
        assertValid(lines.subList(0, 1));
        return lines.subList(1, lines.size());
    }

    /** @return the record schema from the classpath. */
    public static synchronized JsonSchema schema()
    {
        if (null == schema)
        {
            try (InputStream in = JsonLines.class.getResourceAsStream("/iotrace-record.schema.json"))
            {
                schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
        return schema;
    }

    /**
     * Assert that every record is valid against the schema.
     *
     * @param records parsed records.
     */
    public static void assertValid(final List<JsonNode> records)
    {
        for (final JsonNode record : records)
        {
            final Set<ValidationMessage> errors = schema().validate(record);
            assertTrue(errors.isEmpty(), "schema violations " + errors + " in " + record);
        }
    }
}
