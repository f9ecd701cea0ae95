package io.iotrace.core.json;

import com.fasterxml.jackson.core.io.SerializedString;
import io.iotrace.core.decode.ByteStrings;
import io.iotrace.core.decode.DecodedEvent;
import io.iotrace.core.decode.Errno;
import io.iotrace.core.decode.FlagSet;
import io.iotrace.core.decode.Flags;
import io.iotrace.core.format.ArgKind;
import io.iotrace.core.format.FunctionInfo;
import io.iotrace.core.format.RecordItem;
import io.iotrace.core.format.ResultKind;
import org.agrona.collections.Int2ObjectHashMap;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Writes one JSON object per line for the events of one process incarnation, field order as libiotrace:
 * traced_filename, hostname, pid, ppid, tid, incarnation, function_name, time_start, time_end, return_state,
 * return_state_detail, file_type, function_data. Field names are pre-serialised and numbers, hex strings and flag
 * names are written without allocating, by {@link JsonOutput} (Jackson's bytes without its per-call bookkeeping).
 * Not thread safe.
 */
public final class JsonRecordWriter implements AutoCloseable
{
    /** No file_type object. */
    public static final int FILE_TYPE_NONE = 0;
    /** {@code "file_type":{"descriptor":handle}}. */
    public static final int FILE_TYPE_DESCRIPTOR = 1;
    /** {@code "file_type":{"stream":"0x..."}}. */
    public static final int FILE_TYPE_STREAM = 2;
    /** {@code "file_type":{"address":"0x...","length":n}}. */
    public static final int FILE_TYPE_MEMORY = 3;
    /** {@code "file_type":{"mpi_file":"0x..."}}. */
    public static final int FILE_TYPE_MPI_FILE = 4;
    /** No MPI rank known (yet) for the process: records carry no "rank". */
    public static final int NO_RANK = -1;
    private static final SerializedString RANK = new SerializedString("rank");
    private static final SerializedString MPI_FILE = new SerializedString("mpi_file");
    private static final SerializedString MPI_ERROR = new SerializedString("mpi_error");
    private static final SerializedString IN_MPI = new SerializedString("in_mpi");
    private static final SerializedString[] MPI_WHENCE = {
        new SerializedString("set"), new SerializedString("current"), new SerializedString("end")};
    /** MPI rank of the process, written in every record from the first one that knows it. */
    private int rank = NO_RANK;

    /** function_name of the first line of every incarnation's file (not a traced call: the process image). */
    public static final String PROCESS_START = "process_start";
    /** traced_filename of a handle that could not be resolved. */
    public static final String UNRESOLVED = "<unresolved>";
    /** traced_filename of a call without a file. */
    public static final String NOT_A_FILE = "<not a file>";
    /** traced_filename of a call that failed with EBADF on a descriptor the trace does not know: none is open. */
    public static final String NOT_OPEN = "<not open>";


    static final SerializedString TRACED_FILENAME = new SerializedString("traced_filename");
    static final SerializedString TRACED_FILENAME_BYTES = new SerializedString("traced_filename_bytes");
    static final SerializedString PID = new SerializedString("pid");
    static final SerializedString TIME_END = new SerializedString("time_end");
    static final SerializedString RETURN_STATE = new SerializedString("return_state");
    static final SerializedString RETURN_STATE_DETAIL = new SerializedString("return_state_detail");
    static final SerializedString ERRNO_VALUE = new SerializedString("errno_value");
    static final SerializedString ERRNO_TEXT = new SerializedString("errno_text");
    static final SerializedString FILE_TYPE = new SerializedString("file_type");
    static final SerializedString DESCRIPTOR = new SerializedString("descriptor");
    static final SerializedString STREAM = new SerializedString("stream");
    static final SerializedString ADDRESS = new SerializedString("address");
    static final SerializedString LENGTH = new SerializedString("length");
    static final SerializedString FUNCTION_DATA = new SerializedString("function_data");
    static final SerializedString OK = new SerializedString("ok");
    static final SerializedString ERROR = new SerializedString("error");
    static final SerializedString EOF = new SerializedString("eof");
    static final SerializedString MODE = new SerializedString("mode");
    static final SerializedString CREATION = new SerializedString("creation");
    static final SerializedString STATUS = new SerializedString("status");
    static final SerializedString FILE_MODE = new SerializedString("file_mode");
    static final SerializedString PROTECTION_FLAGS = new SerializedString("protection_flags");
    static final SerializedString MAP_FLAGS = new SerializedString("map_flags");
    static final SerializedString READ_BYTES = new SerializedString("read_bytes");
    static final SerializedString WRITTEN_BYTES = new SerializedString("written_bytes");
    static final SerializedString NEW_OFFSET = new SerializedString("new_offset_relative_to_beginning_of_file");
    static final SerializedString FD = new SerializedString("fd");
    static final SerializedString READ_CHARACTERS = new SerializedString("read_characters");
    static final SerializedString WRITTEN_CHARACTERS = new SerializedString("written_characters");
    static final SerializedString MATCHED_ITEMS = new SerializedString("matched_items");
    static final SerializedString HOW = new SerializedString("how");
    static final SerializedString HOW_START = new SerializedString("start");
    static final SerializedString HOW_FIRST_USE = new SerializedString("first_use");
    static final SerializedString SYSCALL_NAME = new SerializedString("syscall_name");
    static final SerializedString VIA = new SerializedString("via");
    static final SerializedString VIA_SYSCALL = new SerializedString("syscall");
    static final SerializedString SOURCE = new SerializedString("source");
    static final SerializedString FD_FLAGS = new SerializedString("fd_flags");
    static final SerializedString LEASE = new SerializedString("lease");
    static final SerializedString NOTIFY_FLAGS = new SerializedString("notify_flags");
    static final SerializedString SEALS = new SerializedString("seals");
    static final SerializedString PIPE_SIZE = new SerializedString("pipe_size");
    /** function_data key of the file a transfer (sendfile, splice...) writes to. */
    public static final SerializedString OUT_FILENAME = new SerializedString("out_filename");
    /** fd_discovered how=2: a descriptor received in an SCM_RIGHTS message. */
    static final SerializedString HOW_RECEIVED = new SerializedString("received");

    private static final SerializedString[] ACCESS_MODES = serialized(Flags.ACCESS_MODES);
    /** aio_lio_opcode values of aio.h. */
    private static final long LIO_READ = 0;
    private static final long LIO_WRITE = 1;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final JsonOutput generator;
    private final SerializedString hostname;
    private int pid;
    private int ppid;
    private final int incarnation;
    private final Int2ObjectHashMap<SerializedString[]> itemNames = new Int2ObjectHashMap<>();
    /** Per function id: the bytes {@code "incarnation":N,"function_name":"NAME","time_start":} of its records. */
    private final Int2ObjectHashMap<byte[]> functionFields = new Int2ObjectHashMap<>();
    private byte[] processStartFields;
    /** The bytes {@code "hostname":"H","pid":P,"ppid":Q,"tid":} (made again when the process changes). */
    private byte[] processFields;
    private final char[] hexBuffer = new char[18];
    private boolean dataStarted;
    private SerializedString extraKey;
    private String extraValue;
    private long records;
    // function_data.read_bytes / written_bytes of the last record (0 when absent), for the live counters
    private long lastReadBytes;
    private long lastWrittenBytes;

    /**
     * @param out         where the lines go (flushed and closed by the caller, not by {@link #close()}).
     * @param hostname    of the traced process.
     * @param pid         of the traced process.
     * @param ppid        of the traced process when the incarnation started.
     * @param incarnation number.
     */
    public JsonRecordWriter(
        final OutputStream out, final String hostname, final int pid, final int ppid, final int incarnation)
    {
        this.generator = new JsonOutput(out);
        this.hostname = new SerializedString(hostname);
        this.pid = pid;
        this.ppid = ppid;
        this.incarnation = incarnation;
        this.processFields = processFields(this.hostname, pid, ppid);
    }

    /** Fields every record of a process has alike, as one run of bytes: most of a line is written by copying. */
    private static byte[] processFields(final SerializedString hostname, final int pid, final int ppid)
    {
        return concat("\"hostname\":\"", hostname.asQuotedUTF8(), "\",\"pid\":" + pid + ",\"ppid\":" + ppid + ",\"tid\":");
    }

    private byte[] functionFields(final String name)
    {
        return concat("\"incarnation\":" + incarnation + ",\"function_name\":\"",
            new SerializedString(name).asQuotedUTF8(), "\",\"time_start\":");
    }

    private static byte[] concat(final String before, final byte[] quoted, final String after)
    {
        final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        bytes.writeBytes(before.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        bytes.writeBytes(quoted);
        bytes.writeBytes(after.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return bytes.toByteArray();
    }

    /**
     * The MPI rank of the process (meta record mpi_rank), written as "rank" after time_end.
     *
     * @param rank MPI rank written into the records from now on ({@link #NO_RANK}: none).
     */
    public void setRank(final int rank)
    {
        this.rank = rank;
    }

    /** @return the MPI rank written into records, or {@link #NO_RANK}. */
    public int rank()
    {
        return rank;
    }

    /**
     * The process the following records are written for: a vfork child's records, made in its parent's ring before
     * the child's exec/_exit, name the child.
     *
     * @param pid  of the process.
     * @param ppid of the process.
     */
    public void setProcess(final int pid, final int ppid)
    {
        if (pid != this.pid || ppid != this.ppid)
        {
            this.pid = pid;
            this.ppid = ppid;
            this.processFields = processFields(hostname, pid, ppid);
        }
    }

    private static SerializedString[] serialized(final List<String> names)
    {
        final SerializedString[] result = new SerializedString[names.size()];
        for (int i = 0; i < result.length; i++)
        {
            result[i] = new SerializedString(names.get(i));
        }
        return result;
    }

    /** @return function_data.read_bytes of the last record written, 0 when it had none. */
    public long lastReadBytes()
    {
        return lastReadBytes;
    }

    /** @return function_data.written_bytes of the last record written, 0 when it had none. */
    public long lastWrittenBytes()
    {
        return lastWrittenBytes;
    }

    /** @return records written so far. */
    public long records()
    {
        return records;
    }

    /**
     * Write one record as a line.
     *
     * @param event          the decoded event.
     * @param tracedFilename absolute path, {@link #UNRESOLVED} or {@link #NOT_A_FILE}.
     * @param fileType       one of FILE_TYPE_*.
     * @param handle         fd, stream or address for file_type.
     * @param length         mapping length for FILE_TYPE_MEMORY.
     * @param forceOk        write return_state ok whatever the status (an in-flight execve whose process image
     *                       was replaced).
     * @throws UncheckedIOException when the output fails.
     */
    public void write(
        final DecodedEvent event,
        final String tracedFilename,
        final int fileType,
        final long handle,
        final long length,
        final boolean forceOk)
    {
        try
        {
            final JsonOutput g = generator;
            final FunctionInfo function = event.function();
            writeIdentity(tracedFilename, event.tid(), functionFields(function), event.timeStart(), event.timeEnd());
            g.writeFieldName(RETURN_STATE);
            final boolean failed = !forceOk && event.isFailed();
            if (failed)
            {
                g.writeString(ERROR);
                g.writeFieldName(RETURN_STATE_DETAIL);
                g.writeStartObject();
                g.writeFieldName(ERRNO_VALUE);
                g.writeNumber(event.errno());
                g.writeFieldName(ERRNO_TEXT);
                g.writeString(Errno.text(event.errno()));
                g.writeEndObject();
            }
            else
            {
                g.writeString(!forceOk && event.isEof() ? EOF : OK);
            }

            switch (fileType)
            {
                case FILE_TYPE_DESCRIPTOR:
                    g.writeFieldName(FILE_TYPE);
                    g.writeStartObject();
                    g.writeFieldName(DESCRIPTOR);
                    g.writeNumber((int)handle);
                    g.writeEndObject();
                    break;
                case FILE_TYPE_STREAM:
                    g.writeFieldName(FILE_TYPE);
                    g.writeStartObject();
                    g.writeFieldName(STREAM);
                    writeHex(handle);
                    g.writeEndObject();
                    break;
                case FILE_TYPE_MPI_FILE:
                    g.writeFieldName(FILE_TYPE);
                    g.writeStartObject();
                    g.writeFieldName(MPI_FILE);
                    writeHex(handle);
                    g.writeEndObject();
                    break;
                case FILE_TYPE_MEMORY:
                    g.writeFieldName(FILE_TYPE);
                    g.writeStartObject();
                    g.writeFieldName(ADDRESS);
                    writeHex(handle);
                    g.writeFieldName(LENGTH);
                    writeUnsigned(length);
                    g.writeEndObject();
                    break;
                default:
                    break;
            }

            dataStarted = false;
            lastReadBytes = 0;
            lastWrittenBytes = 0;
            if (function.isKnown())
            {
                writeFunctionData(event, function, failed);
            }
            if (dataStarted)
            {
                g.writeEndObject();
            }
            g.writeEndObject();
            g.writeRaw('\n');
            records++;
            extraKey = null;
            extraValue = null;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Write the first line of an incarnation's file: a {@value #PROCESS_START} record naming the process image
     * (traced_filename = its executable), its working directory at start, how it came to be (start, fork, exec)
     * and the exec chain: the executables this pid ran before it in this session, oldest first, then its own.
     *
     * @param startTimeNs when the incarnation's ring was created.
     * @param exe         its executable.
     * @param cwd         its working directory at start.
     * @param origin      start, fork or exec.
     * @param execChain   executables of incarnations 0..this one of the pid that the collector saw.
     */
    public void writeProcessStart(
        final long startTimeNs, final String exe, final String cwd, final String origin,
        final java.util.Collection<String> execChain)
    {
        try
        {
            final JsonOutput g = generator;
            if (null == processStartFields)
            {
                processStartFields = functionFields(PROCESS_START);
            }
            writeIdentity(exe.isEmpty() ? NOT_A_FILE : exe, pid, processStartFields, startTimeNs, startTimeNs);
            g.writeFieldName(RETURN_STATE);
            g.writeString(OK);
            g.writeFieldName(FUNCTION_DATA);
            g.writeStartObject();
            g.writeStringField("exe", exe);
            g.writeStringField("cwd", cwd);
            g.writeStringField("origin", origin);
            g.writeFieldName("exec_chain");
            g.writeStartArray();
            for (final String image : execChain)
            {
                g.writeString(image);
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
            g.writeRaw('\n'); // not counted in records(): not a traced call
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** The fields every line starts with: object start through time_end (libiotrace's order). */
    private void writeIdentity(
        final String tracedFilename, final int tid, final byte[] functionFields, final long start, final long end)
        throws IOException
    {
        final JsonOutput g = generator;
        g.writeStartObject();
        g.writeFieldName(TRACED_FILENAME);
        if (g.writeFileName(tracedFilename))
        {
            // not valid UTF-8: written readable (U+FFFD per bad byte), and the exact bytes beside it
            g.writeFieldName(TRACED_FILENAME_BYTES);
            g.writeString(ByteStrings.hexBytes(tracedFilename));
        }
        g.writeFieldNames(processFields); // hostname, pid, ppid, tid
        g.writeNumber(tid);
        g.writeFieldNames(functionFields); // incarnation, function_name, time_start
        g.writeTimestamp(start);
        g.writeFieldName(TIME_END);
        g.writeTimestamp(end);
        if (NO_RANK != rank)
        {
            g.writeFieldName(RANK);
            g.writeNumber(rank);
        }
    }

    private byte[] functionFields(final FunctionInfo function)
    {
        byte[] fields = functionFields.get(function.id());
        if (null == fields)
        {
            fields = functionFields(function.name());
            functionFields.put(function.id(), fields);
        }
        return fields;
    }

    private SerializedString[] itemNames(final FunctionInfo function)
    {
        SerializedString[] names = itemNames.get(function.id());
        if (null == names)
        {
            final RecordItem[] items = function.items();
            names = new SerializedString[items.length];
            for (int i = 0; i < items.length; i++)
            {
                names[i] = new SerializedString(items[i].name());
            }
            itemNames.put(function.id(), names);
        }
        return names;
    }

    private void beginData() throws IOException
    {
        if (!dataStarted)
        {
            generator.writeFieldName(FUNCTION_DATA);
            generator.writeStartObject();
            dataStarted = true;
        }
    }

    private void writeFunctionData(final DecodedEvent event, final FunctionInfo function, final boolean failed)
        throws IOException
    {
        final JsonOutput g = generator;
        if (io.iotrace.core.format.Effect.DISCOVERED == function.effect())
        {
            beginData();
            if (function.fdSlot() >= 0)
            {
                g.writeFieldName(FD);
                g.writeNumber((int)event.slot(function.fdSlot()));
            }
            g.writeFieldName(HOW);
            final long how = function.howSlot() >= 0 ? event.slot(function.howSlot()) : 0;
            g.writeString(0 == how ? HOW_START : 2 == how ? HOW_RECEIVED : HOW_FIRST_USE);
            if (0 != (event.status() & io.iotrace.core.format.TraceFormat.STATUS_SOURCE_SYSCALL))
            {
                g.writeFieldName(SOURCE); // named by the ptrace fallback (how 3)
                g.writeString(VIA_SYSCALL);
            }
            return;
        }

        final RecordItem[] items = function.items();
        final SerializedString[] names = itemNames(function);
        for (int i = 0; i < items.length; i++)
        {
            final RecordItem item = items[i];
            final ArgKind kind = item.kind();
            beginData();
            if (kind.isScalar())
            {
                final long value = event.slot(item.position());
                switch (kind)
                {
                    case FD:
                        g.writeFieldName(names[i]);
                        g.writeNumber((int)value);
                        break;
                    case INT:
                    case OFFSET:
                        g.writeFieldName(names[i]);
                        g.writeNumber(value);
                        break;
                    case SIZE:
                        g.writeFieldName(names[i]);
                        writeUnsigned(value);
                        break;
                    case POINTER:
                    case STREAM:
                        g.writeFieldName(names[i]);
                        writeHex(value);
                        break;
                    case OFLAGS:
                        g.writeFieldName(MODE);
                        g.writeString(ACCESS_MODES[(int)(value & Flags.O_ACCMODE)]);
                        g.writeFieldName(CREATION);
                        writeFlags(FlagNames.CREATION, value);
                        g.writeFieldName(STATUS);
                        writeFlags(FlagNames.STATUS, value);
                        break;
                    case MODE:
                        g.writeFieldName(FILE_MODE);
                        writeFlags(FlagNames.FILE_MODE, value);
                        break;
                    case WHENCE:
                    {
                        g.writeFieldName(names[i]);
                        final String whence = Flags.whence(value);
                        if (null != whence)
                        {
                            g.writeString(whence);
                        }
                        else
                        {
                            g.writeNumber(value);
                        }
                        break;
                    }
                    case PROT:
                        g.writeFieldName(PROTECTION_FLAGS);
                        writeFlags(FlagNames.PROTECTION, value);
                        break;
                    case MAPFLAGS:
                        g.writeFieldName(MAP_FLAGS);
                        writeFlags(FlagNames.MAP_FLAGS, value);
                        break;
                    case FCNTLCMD:
                    {
                        g.writeFieldName(names[i]);
                        final String cmd = Flags.fcntlCommand(value);
                        if (null != cmd)
                        {
                            g.writeString(cmd);
                        }
                        else
                        {
                            g.writeNumber(value);
                        }
                        break;
                    }
                    case DUPFLAGS:
                        g.writeFieldName(names[i]);
                        writeFlags(FlagNames.DUP_FLAGS, value);
                        break;
                    case SYSNO:
                    {
                        g.writeFieldName(names[i]);
                        g.writeNumber(value);
                        final String syscallName = SyscallNames.name(value);
                        if (null != syscallName)
                        {
                            g.writeFieldName(SYSCALL_NAME);
                            g.writeString(syscallName);
                        }
                        break;
                    }
                    case FCNTLARG:
                        writeFcntlArgument(event, function, names[i], value, failed);
                        break;
                    case LOCKTYPE:
                    case LOCKWHENCE:
                    case LOCKINT:
                        writeLockField(event, function, names[i], kind, value);
                        break;
                    case MSYNCFLAGS:
                        g.writeFieldName(names[i]);
                        writeFlags(FlagNames.MSYNC, value);
                        break;
                    case MREMAPFLAGS:
                        g.writeFieldName(names[i]);
                        writeFlags(FlagNames.MREMAP, value);
                        break;
                    case SPLICEFLAGS:
                        g.writeFieldName(names[i]);
                        writeFlags(FlagNames.SPLICE, value);
                        break;
                    case CLOSERANGEFLAGS:
                        g.writeFieldName(names[i]);
                        writeFlags(FlagNames.CLOSE_RANGE, value);
                        break;
                    case MADVICE:
                        g.writeFieldName(names[i]);
                        writeNameOrNumber(Flags.memoryAdvice(value), value);
                        break;
                    case MPIFILE:
                    case MPIREQUEST:
                        g.writeFieldName(names[i]);
                        writeHex(value);
                        break;
                    case AMODE:
                        g.writeFieldName(names[i]);
                        writeFlags(FlagNames.MPI_AMODE, value);
                        break;
                    case MPIWHENCE:
                        g.writeFieldName(names[i]);
                        if (600 == value || 602 == value || 604 == value)
                        {
                            g.writeString(MPI_WHENCE[(int)(value - 600) / 2]);
                        }
                        else
                        {
                            g.writeNumber(value);
                        }
                        break;
                    default:
                        throw new IllegalStateException("unhandled scalar kind " + kind);
                }
            }
            else if (ArgKind.ARGV == kind)
            {
                g.writeFieldName(names[i]);
                g.writeStartArray();
                for (final String s : event.argv(item.position()))
                {
                    g.writeReadableString(s);
                }
                g.writeEndArray();
            }
            else
            {
                g.writeFieldName(names[i]);
                g.writeReadableString(event.string(item.position()));
            }
        }

        if (0 != (event.status() & io.iotrace.core.format.TraceFormat.STATUS_VIA_SYSCALL))
        {
            beginData();
            g.writeFieldName(VIA);
            g.writeString(VIA_SYSCALL);
        }
        if (0 != (event.status() & io.iotrace.core.format.TraceFormat.STATUS_IN_MPI))
        {
            beginData();
            g.writeFieldName(IN_MPI);
            g.writeBoolean(true);
        }
        if (0 != (event.status() & io.iotrace.core.format.TraceFormat.STATUS_SOURCE_SYSCALL))
        {
            beginData();
            g.writeFieldName(SOURCE);
            g.writeString(VIA_SYSCALL); // "syscall": seen by the ptrace fallback, not by a wrapper
        }
        if (null != extraKey)
        {
            beginData();
            g.writeFieldName(extraKey);
            g.writeReadableString(extraValue);
        }
        final ResultKind mpiKind = function.resultKind();
        if (failed && (ResultKind.MPI_ERROR == mpiKind || ResultKind.MPI_READ == mpiKind ||
            ResultKind.MPI_WRITE == mpiKind || ResultKind.MPI_TRANSFER == mpiKind))
        {
            beginData();
            g.writeFieldName(MPI_ERROR);
            g.writeNumber((int)event.result());
        }
        if (failed)
        {
            return;
        }
        final ResultKind resultKind = function.resultKind();
        switch (resultKind)
        {
            case READ_BYTES:
                beginData();
                g.writeFieldName(READ_BYTES);
                g.writeNumber(event.result());
                lastReadBytes = event.result();
                break;
            case WRITTEN_BYTES:
                beginData();
                g.writeFieldName(WRITTEN_BYTES);
                g.writeNumber(event.result());
                lastWrittenBytes = event.result();
                break;
            case READ_ITEMS:
            case WRITTEN_ITEMS:
            {
                beginData();
                g.writeFieldName(ResultKind.READ_ITEMS == resultKind ? READ_BYTES : WRITTEN_BYTES);
                final long size = function.sizeSlot() >= 0 ? event.slot(function.sizeSlot()) : 1;
                writeUnsigned(event.result() * size);
                countBytes(ResultKind.READ_ITEMS == resultKind ? READ_BYTES : WRITTEN_BYTES, event.result() * size);
                break;
            }
            case AIO_BYTES:
            {
                // the aiocb's opcode says which way the bytes went (LIO_READ 0, LIO_WRITE 1; | 128 for *64 calls)
                final long opcode = event.slot(function.slotOf("lio_opcode")) & 127;
                if (LIO_READ == opcode || LIO_WRITE == opcode)
                {
                    beginData();
                    g.writeFieldName(LIO_READ == opcode ? READ_BYTES : WRITTEN_BYTES);
                    g.writeNumber(event.result());
                    countBytes(LIO_READ == opcode ? READ_BYTES : WRITTEN_BYTES, event.result());
                }
                break;
            }
            case MPI_READ:
            case MPI_WRITE:
            case MPI_TRANSFER:
            {
                final boolean write = ResultKind.MPI_WRITE == resultKind || (ResultKind.MPI_TRANSFER == resultKind &&
                    0 != event.slot(function.slotOf("is_write")));
                final long bytes = event.slot(function.slotOf("bytes"));
                if (bytes >= 0) // -1: not known (the status could not be read)
                {
                    beginData();
                    g.writeFieldName(write ? WRITTEN_BYTES : READ_BYTES);
                    g.writeNumber(bytes);
                    countBytes(write ? WRITTEN_BYTES : READ_BYTES, bytes);
                }
                break;
            }
            case NEW_OFFSET:
                beginData();
                g.writeFieldName(NEW_OFFSET);
                g.writeNumber(event.result());
                break;
            case PID:
                beginData();
                g.writeFieldName(PID);
                g.writeNumber(event.result());
                break;
            case MMAP_ADDRESS:
                beginData();
                g.writeFieldName(ADDRESS);
                writeHex(event.result());
                break;
            default:
                writeStdioCounts(event, function, resultKind);
                break;
        }
    }

    /**
     * The counts of the stdio result kinds: bytes where they are exact, wide characters (not bytes) for the wide
     * functions, under keys that say which.
     */
    private void writeStdioCounts(final DecodedEvent event, final FunctionInfo function, final ResultKind kind)
        throws IOException
    {
        final boolean eof = event.isEof();
        final SerializedString key = switch (kind)
        {
            case PRINTED, PUT_STRING, PUT_CHAR -> WRITTEN_BYTES;
            case PRINTED_WIDE, PUT_WSTRING, PUT_WCHAR -> WRITTEN_CHARACTERS;
            case GET_CHAR, GET_STRING, GET_LINE, SCANNED -> READ_BYTES;
            case GET_WCHAR, GET_WSTRING -> READ_CHARACTERS;
            default -> null;
        };
        final long count = switch (kind)
        {
            case PRINTED, PRINTED_WIDE -> (int)event.result();
            case PUT_STRING, PUT_WSTRING -> itemValue(event, function, "length");
            case PUT_CHAR, PUT_WCHAR -> 1;
            case GET_CHAR, GET_WCHAR -> eof ? 0 : 1;
            case GET_STRING, GET_WSTRING -> eof ? 0 : itemValue(event, function, "length");
            case GET_LINE -> eof ? 0 : event.result();
            case SCANNED ->
            {
                // bytes consumed, exact where the stream is seekable (its position before and after the call)
                final long before = itemValue(event, function, "offset_before");
                final long after = itemValue(event, function, "offset_after");
                yield before >= 0 && after >= before ? after - before : -1;
            }
            default -> -1;
        };
        if (ResultKind.SCANNED == kind && !eof)
        {
            beginData();
            generator.writeFieldName(MATCHED_ITEMS);
            generator.writeNumber((int)event.result());
        }
        if (null != key && count >= 0)
        {
            beginData();
            generator.writeFieldName(key);
            generator.writeNumber(count);
            countBytes(key, count);
        }
    }

    /** Remember a byte count of the record being written (characters of the wide functions are not bytes). */
    private void countBytes(final SerializedString key, final long bytes)
    {
        if (READ_BYTES == key)
        {
            lastReadBytes = bytes;
        }
        else if (WRITTEN_BYTES == key)
        {
            lastWrittenBytes = bytes;
        }
    }

    private static long itemValue(final DecodedEvent event, final FunctionInfo function, final String itemName)
    {
        final int slot = function.slotOf(itemName);
        return slot >= 0 ? event.slot(slot) : -1;
    }

    /**
     * One more string for function_data of the next record only (the collector's resolution of a second handle,
     * e.g. out_filename of a transfer).
     *
     * @param key   the function_data key.
     * @param value the string.
     */
    public void extraString(final SerializedString key, final String value)
    {
        extraKey = key;
        extraValue = value;
    }

    /** fcntl's argument as its command reads it; result-carried values (F_GETFL...) when the call succeeded. */
    private void writeFcntlArgument(
        final DecodedEvent event, final FunctionInfo function, final SerializedString name, final long arg,
        final boolean failed) throws IOException
    {
        final JsonOutput g = generator;
        final long cmd = function.cmdSlot() >= 0 ? event.slot(function.cmdSlot()) : -1;
        final long result = event.result();
        switch ((int)cmd)
        {
            case Flags.F_GETFD, Flags.F_SETFD ->
            {
                if (Flags.F_SETFD == cmd || !failed)
                {
                    g.writeFieldName(FD_FLAGS);
                    writeFlags(FlagNames.FD, Flags.F_SETFD == cmd ? arg : result);
                }
            }
            case Flags.F_GETFL ->
            {
                if (!failed)
                {
                    g.writeFieldName(MODE);
                    g.writeString(ACCESS_MODES[(int)(result & Flags.O_ACCMODE)]);
                    g.writeFieldName(STATUS);
                    writeFlags(FlagNames.STATUS, result);
                }
            }
            case Flags.F_SETFL ->
            {
                g.writeFieldName(STATUS);
                writeFlags(FlagNames.STATUS, arg);
            }
            case Flags.F_SETLEASE, Flags.F_GETLEASE ->
            {
                if (Flags.F_SETLEASE == cmd || !failed)
                {
                    final long lease = Flags.F_SETLEASE == cmd ? arg : result;
                    g.writeFieldName(LEASE);
                    writeNameOrNumber(Flags.lockType(lease), lease);
                }
            }
            case Flags.F_NOTIFY ->
            {
                g.writeFieldName(NOTIFY_FLAGS);
                writeFlags(FlagNames.NOTIFY, arg);
            }
            case Flags.F_ADD_SEALS, Flags.F_GET_SEALS ->
            {
                if (Flags.F_ADD_SEALS == cmd || !failed)
                {
                    g.writeFieldName(SEALS);
                    writeFlags(FlagNames.SEALS, Flags.F_ADD_SEALS == cmd ? arg : result);
                }
            }
            case Flags.F_SETPIPE_SZ, Flags.F_GETPIPE_SZ ->
            {
                if (Flags.F_SETPIPE_SZ == cmd)
                {
                    g.writeFieldName(name);
                    g.writeNumber((int)arg);
                }
                if (!failed)
                {
                    g.writeFieldName(PIPE_SIZE);
                    g.writeNumber(result);
                }
            }
            case Flags.F_DUPFD, Flags.F_DUPFD_CLOEXEC, Flags.F_SETOWN, Flags.F_SETSIG ->
            {
                g.writeFieldName(name);
                g.writeNumber((int)arg);
            }
            default ->
            {
                // lock commands: the struct flock is in the lock_* items; F_GETOWN and the like: no argument;
                // pointers (F_SETOWN_EX, read/write hints): not decoded
            }
        }
    }

    /** A struct flock field: only for lock commands whose struct was read (l_type is -1 otherwise). */
    private void writeLockField(
        final DecodedEvent event, final FunctionInfo function, final SerializedString name, final ArgKind kind,
        final long value) throws IOException
    {
        final long cmd = function.cmdSlot() >= 0 ? event.slot(function.cmdSlot()) : -1;
        final RecordItem type = function.itemOfKind(ArgKind.LOCKTYPE);
        if (!Flags.isFcntlLock(cmd) || null == type || -1 == event.slot(type.position()))
        {
            return;
        }
        final JsonOutput g = generator;
        g.writeFieldName(name);
        switch (kind)
        {
            case LOCKTYPE -> writeNameOrNumber(Flags.lockType(value), value);
            case LOCKWHENCE -> writeNameOrNumber(Flags.whence(value), value);
            default -> g.writeNumber(value);
        }
    }

    private void writeNameOrNumber(final String name, final long value) throws IOException
    {
        if (null != name)
        {
            generator.writeString(name);
        }
        else
        {
            generator.writeNumber(value);
        }
    }

    private void writeFlags(final FlagNames names, final long value) throws IOException
    {
        final JsonOutput g = generator;
        final FlagSet set = names.set;
        g.writeStartArray();
        boolean any = false;
        for (int i = 0, n = set.size(); i < n; i++)
        {
            if (set.isSet(i, value))
            {
                g.writeString(names.names[i]);
                any = true;
            }
        }
        if (!any && null != names.none)
        {
            g.writeString(names.none);
        }
        g.writeEndArray();
    }

    private void writeUnsigned(final long value) throws IOException
    {
        if (value >= 0)
        {
            generator.writeNumber(value);
        }
        else
        {
            generator.writeNumber(Long.toUnsignedString(value));
        }
    }

    private void writeHex(final long value) throws IOException
    {
        final char[] buffer = hexBuffer;
        int i = buffer.length;
        long v = value;
        do
        {
            buffer[--i] = HEX[(int)(v & 0xF)];
            v >>>= 4;
        }
        while (0 != v);
        buffer[--i] = 'x';
        buffer[--i] = '0';
        generator.writeString(buffer, i, buffer.length - i);
    }

    /**
     * Flush the buffered JSON to the output stream (not the stream itself).
     */
    public void flush()
    {
        try
        {
            generator.flush();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Flush the buffered JSON (the output stream stays open). */
    public void close()
    {
        try
        {
            generator.close();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** A flag set with its names pre-serialised. */
    private static final class FlagNames
    {
        static final FlagNames CREATION = new FlagNames(Flags.CREATION);
        static final FlagNames STATUS = new FlagNames(Flags.STATUS);
        static final FlagNames FILE_MODE = new FlagNames(Flags.FILE_MODE);
        static final FlagNames PROTECTION = new FlagNames(Flags.PROTECTION);
        static final FlagNames MAP_FLAGS = new FlagNames(Flags.MAP_FLAGS);
        static final FlagNames DUP_FLAGS = new FlagNames(Flags.DUP_FLAGS);
        static final FlagNames FD = new FlagNames(Flags.FD_FLAGS);
        static final FlagNames NOTIFY = new FlagNames(Flags.NOTIFY_FLAGS);
        static final FlagNames SEALS = new FlagNames(Flags.SEALS);
        static final FlagNames MSYNC = new FlagNames(Flags.MSYNC_FLAGS);
        static final FlagNames MREMAP = new FlagNames(Flags.MREMAP_FLAGS);
        static final FlagNames SPLICE = new FlagNames(Flags.SPLICE_FLAGS);
        static final FlagNames CLOSE_RANGE = new FlagNames(Flags.CLOSE_RANGE_FLAGS);
        static final FlagNames MPI_AMODE = new FlagNames(Flags.MPI_AMODE);

        final FlagSet set;
        final SerializedString[] names;
        final SerializedString none;

        FlagNames(final FlagSet set)
        {
            this.set = set;
            names = new SerializedString[set.size()];
            for (int i = 0; i < names.length; i++)
            {
                names[i] = new SerializedString(set.name(i));
            }
            none = null == set.noneName() ? null : new SerializedString(set.noneName());
        }
    }
}
