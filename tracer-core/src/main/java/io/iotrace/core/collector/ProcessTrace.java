package io.iotrace.core.collector;

import io.iotrace.core.decode.DecodedEvent;
import io.iotrace.core.decode.Errno;
import io.iotrace.core.decode.Flags;
import io.iotrace.core.decode.MalformedEventException;
import io.iotrace.core.summary.Compression;
import io.iotrace.core.format.FunctionInfo;
import io.iotrace.core.format.TraceFormat;
import io.iotrace.core.json.JsonRecordWriter;
import io.iotrace.fnres.HandleTable;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.IntHashSet;
import org.agrona.concurrent.MessageHandler;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.io.UncheckedIOException;
import java.nio.file.Path;

import static io.iotrace.core.json.JsonRecordWriter.FILE_TYPE_DESCRIPTOR;
import static io.iotrace.core.json.JsonRecordWriter.FILE_TYPE_MEMORY;
import static io.iotrace.core.json.JsonRecordWriter.FILE_TYPE_NONE;
import static io.iotrace.core.json.JsonRecordWriter.FILE_TYPE_STREAM;
import static io.iotrace.core.json.JsonRecordWriter.NOT_A_FILE;
import static io.iotrace.core.json.JsonRecordWriter.UNRESOLVED;

/**
 * The state of one process incarnation: its handle table, its JSON output and the execve records still in
 * flight. Records (from the ring, then the spill file) are decoded, resolved to file names according to the
 * table's effect column, and written as JSON lines. Single-threaded.
 */
public final class ProcessTrace implements MessageHandler
{
    /** Warnings written per incarnation at most; further ones are only counted. */
    public static final int MAX_WARNINGS = 1000;
    /** The meta record naming the MPI rank of the process (functions.tbl id 2). */
    private static final String MPI_RANK = "mpi_rank";
    /** The records of descriptors found open at start are not calls: the live counters leave them out. */
    private static final String FD_DISCOVERED = "fd_discovered";

    private final SessionContext context;
    private final IncarnationInfo info;
    private final OutputStream out;
    private final JsonRecordWriter writer;
    private final Int2ObjectHashMap<DecodedEvent> inFlight = new Int2ObjectHashMap<>();
    private final IntHashSet unknownIdsWarned = new IntHashSet();
    private final IntHashSet opaqueWarned = new IntHashSet();
    /** Handle tables of this process's vfork children (by their pid), copied at each one's first record. */
    private final Int2ObjectHashMap<HandleTable> vforkChildren = new Int2ObjectHashMap<>();
    private HandleTable handles;
    private TraceResume resumed;
    private long alreadyWritten;
    private int warnings;
    private long suppressedWarnings;
    private long records;
    private long malformed;
    private boolean outputFailed;
    /** The JSON file (null for a trace given a stream), its length after the last flush that succeeded, the records
        written since, and the records that could not be written once the output failed (disk full). */
    private Path file;
    private long flushedLength;
    private long keptSinceFlush;
    private long notWritten;
    private String outputFailure;
    /** The program of this incarnation's last exec call (a path, or execvp's name), for the untraced-image warning. */
    private String lastExecTarget;
    /** Exec records still in flight at the end: they succeeded (this image, or a vfork child's, was replaced). */
    private final java.util.List<CompletedExec> completedExecs = new java.util.ArrayList<>();

    /**
     * A successful exec.
     *
     * @param pid         the process whose image was replaced.
     * @param incarnation its incarnation before (-1: a vfork child, whose records are its parent's).
     * @param target      the program exec'd.
     */
    public record CompletedExec(int pid, int incarnation, String target)
    {
    }
    private boolean dirty;
    private boolean finished;

    // resolution result of the current record
    private String tracedFilename;
    private int fileType;
    private long handle;
    private long length;

    /**
     * @param context the session's shared state.
     * @param info    the incarnation.
     * @param out     where its JSON lines go (closed by {@link #finish()}).
     */
    public ProcessTrace(final SessionContext context, final IncarnationInfo info, final OutputStream out)
    {
        this.context = context;
        this.info = info;
        this.out = out;
        this.writer = new JsonRecordWriter(out, info.hostname(), info.pid(), info.ppid(), info.incarnation());
    }

    /**
     * Open the JSON file of an incarnation in the output dir.
     *
     * @param context the session's shared state.
     * @param info    the incarnation.
     * @return the trace (its handle table not yet started).
     * @throws IOException when the output file cannot be opened.
     */
    public static ProcessTrace open(final SessionContext context, final IncarnationInfo info) throws IOException
    {
        final Path plain = context.outputDir().resolve(info.jsonFileName());
        // the way an earlier collector of this session began the file, else the one asked for
        Compression compression = context.compression;
        for (final Compression begun : Compression.values())
        {
            if (Files.exists(plain.resolveSibling(plain.getFileName() + begun.suffix()), LinkOption.NOFOLLOW_LINKS))
            {
                compression = begun;
                break;
            }
        }
        final Path file = plain.resolveSibling(plain.getFileName() + compression.suffix());
        final TraceResume resumed = Compression.NONE == compression ?
            TraceResume.prepare(file, context.table, info.initialCwd()) :
            TraceResume.prepareCompressed(file, compression, context.table, info.initialCwd());
        final ProcessTrace trace = new ProcessTrace(context, info,
            OutputFiles.openAppendableCompressed(file, compression));
        trace.resumed = resumed;
        // the rank (launcher environment, or a fork parent's MPI_Init) is in every record, process_start too; a
        // file continued after the collector died keeps the rank its records had
        trace.writer.setRank(null != resumed && JsonRecordWriter.NO_RANK != resumed.rank ? resumed.rank :
            info.mpiRank());
        trace.file = file;
        trace.flushedLength = Files.size(file);
        final java.util.TreeMap<Integer, String> images =
            context.images.computeIfAbsent(info.pid(), pid -> new java.util.TreeMap<>());
        images.put(info.incarnation(), info.exe());
        if (null == resumed)
        {
            // the file's first line: which image this is and the images this pid ran before it (its exec chain)
            trace.writer.writeProcessStart(info.startTimeNs(), info.exe(), info.cwd(), originName(info.origin()),
                images.headMap(info.incarnation(), true).values());
            trace.dirty = true;
            trace.keptSinceFlush = 1;
        }
        if (null != resumed)
        {
            context.log.log("continuing " + file + " left by an earlier collector: " + resumed.handles.size() +
                " handles rebuilt from its records");
        }
        return trace;
    }

    private static String originName(final int origin)
    {
        return switch (origin)
        {
            case io.iotrace.core.format.TraceFormat.ORIGIN_FORK -> "fork";
            case io.iotrace.core.format.TraceFormat.ORIGIN_EXEC -> "exec";
            default -> "start";
        };
    }

    /** @return the handle table rebuilt from a JSON file an earlier collector had begun, or null. */
    public HandleTable resumedHandles()
    {
        return null == resumed ? null : resumed.handles;
    }

    /** @return records skipped because an earlier collector had already written them (see TraceResume). */
    public long alreadyWritten()
    {
        return alreadyWritten;
    }

    /** @return the incarnation. */
    public IncarnationInfo info()
    {
        return info;
    }

    /** @return true once a handle table is set (fork children wait for their parent's snapshot). */
    public boolean isStarted()
    {
        return null != handles;
    }

    /** @return the handle table (null before {@link #start}). */
    public HandleTable handles()
    {
        return handles;
    }

    /** @return records handled. */
    public long records()
    {
        return records;
    }

    /**
     * Start resolving with a handle table.
     *
     * @param table the incarnation's initial handles.
     */
    public void start(final HandleTable table)
    {
        this.handles = table;
    }

    /** Start with the table rebuilt from an earlier collector's output, else an empty one at the header's cwd. */
    public void startEmpty()
    {
        start(null != resumed ? resumed.handles : new HandleTable(info.initialCwd()));
    }

    /** {@inheritDoc} */
    public void onMessage(final int typeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        onRecord(typeId, buffer, index, length);
    }

    /**
     * Handle one record. Never throws for bad record content: that becomes a warning.
     *
     * @param typeId function id.
     * @param buffer holding the payload.
     * @param index  of the payload.
     * @param length of the payload.
     */
    public void onRecord(final int typeId, final org.agrona.DirectBuffer buffer, final int index, final int length)
    {
        final DecodedEvent event = context.event;
        try
        {
            if (!context.decoder.decode(typeId, buffer, index, length, event) && unknownIdsWarned.add(typeId))
            {
                warn(event.function().name(), typeId, "function id " + typeId +
                    " is not in functions.tbl: written as " + event.function().name());
            }
        }
        catch (final MalformedEventException ex)
        {
            malformed++;
            warn(null, typeId, "malformed record skipped: " + ex.getMessage());
            return;
        }
        if (null != resumed && resumed.isWritten(event.tid(), event.timeStart()))
        {
            alreadyWritten++;
            return;
        }
        records++;
        onEvent(event);
    }

    /**
     * Handle one decoded event: execve records in flight wait for their completion.
     *
     * @param event the event (its buffer must stay valid during the call).
     */
    public void onEvent(final DecodedEvent event)
    {
        if (!inFlight.isEmpty())
        {
            final DecodedEvent pending = inFlight.remove(event.tid());
            if (null != pending &&
                !(!event.isInFlight() && event.typeId() == pending.typeId() &&
                event.timeStart() == pending.timeStart()))
            {
                process(pending, true);
            }
        }
        if (event.isInFlight())
        {
            inFlight.put(event.tid(), event.detach());
        }
        else
        {
            process(event, false);
        }
    }

    /** A call the tracer recorded beside a shim (a ring of the tracer alone has no wrappers to bypass). */
    private boolean bypassedTheShim(final DecodedEvent event)
    {
        return PtraceFallback.isBypass(event) && TraceFormat.PRODUCER_TRACER != info.producer();
    }

    private void process(final DecodedEvent event, final boolean forceOk)
    {
        if (null == handles)
        {
            startEmpty();
        }
        if (0 != (event.status() & TraceFormat.STATUS_VFORK_CHILD))
        {
            if (bypassedTheShim(event) && !PtraceFallback.isNamingNotice(event))
            {
                warn(event.function().name(), null, PtraceFallback.bypassMessage(event));
            }
            processVforkChild(event, forceOk);
            return;
        }
        if (PtraceFallback.isUnavailableNotice(event))
        {
            PtraceFallback.warnUnavailableOnce(context, info.pid(), info.incarnation(), event);
            return;
        }
        if (PtraceFallback.isNamingNotice(event))
        {
            if (null != handles.fdName((int)event.slot(event.function().fdSlot()), Long.MAX_VALUE))
            {
                return; // known: the ptrace fallback's name of the descriptor is not needed
            }
        }
        else if (bypassedTheShim(event))
        {
            warn(event.function().name(), null, PtraceFallback.bypassMessage(event));
        }
        if (0 != (event.status() & TraceFormat.STATUS_ENV_NOT_KEPT))
        {
            warn(event.function().name(), event.tid(), event.function().name() + " passed an environment " +
                "without LD_PRELOAD/IOTRACE_* too large to copy with them: the new program is not traced");
        }
        if (event.result() > 0 && isVforkLike(event.function().name()))
        {
            // the child has exec'd or exited (the parent resumes only then): every record of it is in, and an
            // exec of it still in flight succeeded
            final int child = (int)event.result();
            final DecodedEvent childExec = inFlight.remove(child);
            if (null != childExec)
            {
                processVforkChild(childExec, true);
                if (io.iotrace.core.format.Effect.EXEC == childExec.function().effect())
                {
                    completedExecs.add(new CompletedExec(child, -1, lastExecTarget)); // not _exit's in-flight record
                }
            }
            vforkChildren.remove(child);
        }
        write(event, forceOk);
    }

    /** @return true for the calls whose child shares the caller's memory until it execs or exits. */
    private static boolean isVforkLike(final String function)
    {
        return "vfork".equals(function) || "clone".equals(function);
    }

    /**
     * A record a vfork child made in its parent's ring (before its exec or _exit): written under the child's pid,
     * resolved with the child's own copy of the parent's handles (the child's closes and dups are not the parent's).
     */
    private void processVforkChild(final DecodedEvent event, final boolean forceOk)
    {
        HandleTable childTable = vforkChildren.get(event.tid());
        if (null == childTable)
        {
            childTable = handles.copyForFork();
            vforkChildren.put(event.tid(), childTable);
        }
        final HandleTable parentTable = handles;
        handles = childTable;
        writer.setProcess(event.tid(), info.pid());
        try
        {
            write(event, forceOk);
        }
        finally
        {
            handles = parentTable;
            writer.setProcess(info.pid(), info.ppid());
        }
    }

    private void write(final DecodedEvent event, final boolean forceOk)
    {
        resolve(event, forceOk);
        if (!context.filter.keeps(event.function().name(), tracedFilename))
        {
            return;
        }
        if (outputFailed)
        {
            notWritten++;
            return;
        }
        try
        {
            writer.write(event, tracedFilename, fileType, handle, length, forceOk);
            keptSinceFlush++;
            dirty = true;
            if (null != context.liveCounters && null != tracedFilename && !FD_DISCOVERED.equals(event.function().name()))
            {
                context.liveCounters.count(tracedFilename, writer.lastReadBytes(), writer.lastWrittenBytes(),
                    event.timeEnd() - event.timeStart());
            }
        }
        catch (final UncheckedIOException ex)
        {
            notWritten++;
            failOutput(ex);
        }
    }

    /**
     * Writing the JSON file failed (disk full, I/O error): the records since the last good flush are cut off, so
     * the file ends with a complete record, and every later record is counted, not written; finish() reports the
     * count. The rings go on being drained: the program never waits for a disk that cannot take its trace.
     */
    private void failOutput(final Exception ex)
    {
        outputFailed = true;
        context.releaseSpaceReserve();
        notWritten += keptSinceFlush;
        keptSinceFlush = 0;
        final Throwable cause = ex instanceof UncheckedIOException && null != ex.getCause() ? ex.getCause() : ex;
        outputFailure = null == cause.getMessage() ? cause.toString() : cause.getMessage();
        try
        {
            writer.close();
        }
        catch (final RuntimeException ignore)
        {
            // the output is given up: what it could not write is counted
        }
        try
        {
            out.close();
        }
        catch (final IOException | RuntimeException ignore)
        {
            // as above
        }
        if (null != file)
        {
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS))
            {
                channel.truncate(flushedLength);
            }
            catch (final IOException | RuntimeException truncateFailed)
            {
                context.log.log("cannot cut " + file + " back to its last complete record", truncateFailed);
            }
        }
        context.log.log("cannot write the trace of " + info.key() + " (" + outputFailure + "): its records from " +
            "now on are counted, not written", ex);
    }

    /**
     * MPI-IO records: MPI_File_open names its MPI_File, the others are about an MPI_File (directly, or through the
     * request a nonblocking call started); sets fileType/handle and returns the name (null: unknown).
     */
    private String resolveMpi(final DecodedEvent e, final FunctionInfo f, final HandleTable table, final boolean ok)
    {
        final io.iotrace.fnres.MpiHandleTable mpi = table.mpi();
        fileType = JsonRecordWriter.FILE_TYPE_MPI_FILE;
        switch (f.effect())
        {
            case MPI_OPEN:
            {
                final String name = table.absolutePath(HandleTable.AT_FDCWD, e.string(f.pathString()), e.timeStart());
                handle = e.slot(f.slotOf("fh"));
                if (ok)
                {
                    mpi.fileOpened(handle, name);
                }
                else
                {
                    fileType = FILE_TYPE_NONE;
                }
                return name;
            }
            case MPI_CLOSE:
            {
                handle = e.slot(f.slotOf("fh"));
                return ok ? mpi.fileClosed(handle) : mpi.fileName(handle);
            }
            case MPI_COMPLETE:
            {
                final long request = e.slot(f.slotOf("request"));
                // completed by a Wait/Test, or released by MPI_Request_free: the value may name another request next
                final Long file = mpi.requestFile(request, isSet(e, f, "completed") || isSet(e, f, "released"));
                if (null == file)
                {
                    fileType = FILE_TYPE_NONE;
                    handle = request;
                    return null;
                }
                handle = file;
                return mpi.fileName(file);
            }
            default:
            {
                handle = e.slot(f.slotOf("fh"));
                final int requestSlot = f.slotOf("request");
                if (ok && requestSlot >= 0 && 0 != e.slot(requestSlot))
                {
                    mpi.requestStarted(e.slot(requestSlot), handle);
                }
                return mpi.fileName(handle);
            }
        }
    }

    /** @return true when the function's record has the item and it is non-zero. */
    private static boolean isSet(final DecodedEvent e, final FunctionInfo f, final String item)
    {
        final int slot = f.slotOf(item);
        return slot >= 0 && 0 != e.slot(slot);
    }

    private void resolve(final DecodedEvent e, final boolean forceOk)
    {
        final FunctionInfo f = e.function();
        final HandleTable table = handles;
        final boolean ok = forceOk || !e.isFailed();
        final long ts = e.timeStart();
        final long te = e.timeEnd();
        String name = null;
        fileType = FILE_TYPE_NONE;
        handle = 0;
        length = 0;
        Object unresolvedHandle = null;
        if (MPI_RANK.equals(f.name()))
        {
            writer.setRank((int)e.slot(f.slotOf("rank"))); // this record and every later one carry the rank
        }

        switch (f.effect())
        {
            case OPEN:
            {
                final int dirfd = f.dirfdSlot() >= 0 ? (int)e.slot(f.dirfdSlot()) : HandleTable.AT_FDCWD;
                if (f.pathString() >= 0)
                {
                    name = table.absolutePath(dirfd, e.string(f.pathString()), ts);
                }
                if (ok)
                {
                    fileType = FILE_TYPE_DESCRIPTOR;
                    handle = (int)e.result();
                    table.fdOpened((int)e.result(), name, te);
                }
                unresolvedHandle = dirfd;
                break;
            }
            case CLOSE:
            {
                final int fd = fd(e, f.fdSlot());
                fileType = FILE_TYPE_DESCRIPTOR;
                handle = fd;
                name = ok || Errno.EBADF != e.errno() ? table.fdClosed(fd, ts, te) : table.fdName(fd, ts);
                unresolvedHandle = fd;
                break;
            }
            case DUP:
            case DUP2:
            {
                final int oldFd = fd(e, Math.max(f.oldfdSlot(), f.fdSlot()));
                name = table.fdName(oldFd, ts);
                fileType = FILE_TYPE_DESCRIPTOR;
                handle = oldFd;
                if (ok)
                {
                    final int newFd = (int)e.result();
                    handle = newFd;
                    if (newFd != oldFd)
                    {
                        table.fdDuplicated(oldFd, newFd, te);
                    }
                }
                unresolvedHandle = oldFd;
                break;
            }
            case FCNTL:
            {
                final int fd = fd(e, f.fdSlot());
                fileType = FILE_TYPE_DESCRIPTOR;
                handle = fd;
                name = table.fdName(fd, ts);
                if (ok && f.cmdSlot() >= 0 && Flags.isFcntlDup(e.slot(f.cmdSlot())) && e.result() >= 0)
                {
                    table.fdDuplicated(fd, (int)e.result(), te);
                }
                unresolvedHandle = fd;
                break;
            }
            case FOPEN:
            {
                if (f.pathString() >= 0)
                {
                    name = table.absolutePath(HandleTable.AT_FDCWD, e.string(f.pathString()));
                }
                if (ok)
                {
                    final int fd = fd(e, f.fdSlot());
                    fileType = FILE_TYPE_STREAM;
                    handle = e.result();
                    if (null != name && fd >= 0)
                    {
                        table.fdOpened(fd, name, te);
                    }
                    table.streamOpened(e.result(), fd, te);
                }
                unresolvedHandle = "cwd";
                break;
            }
            case FDOPEN:
            {
                final int fd = fd(e, f.fdSlot());
                name = table.fdName(fd, ts);
                fileType = FILE_TYPE_DESCRIPTOR;
                handle = fd;
                if (ok)
                {
                    fileType = FILE_TYPE_STREAM;
                    handle = e.result();
                    table.streamOpened(e.result(), fd, te);
                }
                unresolvedHandle = fd;
                break;
            }
            case FCLOSE:
            {
                final long stream = e.slot(f.streamSlot());
                final int fd = fd(e, f.fdSlot());
                fileType = FILE_TYPE_STREAM;
                handle = stream;
                name = table.streamClosed(stream, ts, te);
                if (fd >= 0)
                {
                    final String fdName = table.fdClosed(fd, ts, te);
                    if (null == name)
                    {
                        name = fdName;
                    }
                }
                unresolvedHandle = hex(stream);
                break;
            }
            case USE:
            {
                if (f.streamSlot() >= 0 && 0 == e.slot(f.streamSlot()))
                {
                    name = NOT_A_FILE; // fflush(NULL): every output stream, no one file
                }
                else if (f.streamSlot() >= 0)
                {
                    final long stream = e.slot(f.streamSlot());
                    fileType = FILE_TYPE_STREAM;
                    handle = stream;
                    name = table.streamName(stream, ts);
                    if (null == name)
                    {
                        int fd = f.fdSlot() >= 0 ? (int)e.slot(f.fdSlot()) : -1;
                        if (fd < 0 && f.fdSlot() < 0 && ok && e.result() >= 0 &&
                            io.iotrace.core.format.ResultKind.VALUE == f.resultKind())
                        {
                            fd = (int)e.result();
                        }
                        if (fd < 0)
                        {
                            fd = table.streamFd(stream);
                        }
                        if (fd >= 0)
                        {
                            name = table.fdName(fd, ts);
                        }
                    }
                    unresolvedHandle = hex(stream);
                }
                else
                {
                    final int fd = fd(e, f.fdSlot());
                    fileType = FILE_TYPE_DESCRIPTOR;
                    handle = fd;
                    name = table.fdName(fd, ts);
                    unresolvedHandle = fd;
                }
                break;
            }
            case MMAP:
            {
                final int fd = fd(e, f.fdSlot());
                final long flags = f.mapFlagsSlot() >= 0 ? e.slot(f.mapFlagsSlot()) : 0;
                fileType = FILE_TYPE_DESCRIPTOR;
                handle = fd;
                if (fd < 0 || 0 != (flags & Flags.MAP_ANONYMOUS))
                {
                    name = NOT_A_FILE;
                }
                else
                {
                    name = table.fdName(fd, ts);
                    if (ok && null != name && f.lengthSlot() >= 0)
                    {
                        table.mapped(e.result(), e.slot(f.lengthSlot()), name);
                    }
                    unresolvedHandle = fd;
                }
                break;
            }
            case MUNMAP:
            {
                final long address = f.addrSlot() >= 0 ? e.slot(f.addrSlot()) : 0;
                final long mapLength = f.lengthSlot() >= 0 ? e.slot(f.lengthSlot()) : 0;
                fileType = FILE_TYPE_MEMORY;
                handle = address;
                length = mapLength;
                name = ok ? table.unmapped(address, mapLength) : table.mappingName(address);
                if (null == name)
                {
                    name = NOT_A_FILE;
                }
                break;
            }
            case PATH:
            {
                final int dirfd = f.dirfdSlot() >= 0 ? (int)e.slot(f.dirfdSlot()) : HandleTable.AT_FDCWD;
                if (f.pathString() >= 0)
                {
                    name = table.absolutePath(dirfd, e.string(f.pathString()), ts);
                }
                unresolvedHandle = HandleTable.AT_FDCWD == dirfd ? "cwd" : dirfd;
                break;
            }
            case CHDIR:
            {
                if (f.pathString() >= 0)
                {
                    name = table.absolutePath(HandleTable.AT_FDCWD, e.string(f.pathString()));
                }
                if (ok && null != name)
                {
                    table.chdir(name);
                }
                unresolvedHandle = "cwd";
                break;
            }
            case PIPE:
            {
                name = NOT_A_FILE;
                if (ok)
                {
                    // named as the kernel names it in /proc/<pid>/fd, so discovered ends agree
                    name = "pipe:[" + e.slot(f.slotOf("inode")) + "]";
                    fileType = FILE_TYPE_DESCRIPTOR;
                    handle = (int)e.slot(f.slotOf("fd0"));
                    table.fdOpened((int)e.slot(f.slotOf("fd0")), name, te);
                    if ((int)e.slot(f.slotOf("fd1")) >= 0) // popen: only our end
                    {
                        table.fdOpened((int)e.slot(f.slotOf("fd1")), name, te);
                    }
                }
                break;
            }
            case FCHDIR:
            {
                final int fd = fd(e, f.fdSlot());
                fileType = FILE_TYPE_DESCRIPTOR;
                handle = fd;
                name = table.fdName(fd, ts);
                if (ok)
                {
                    table.fchdir(fd);
                }
                unresolvedHandle = fd;
                break;
            }
            case FORK:
            {
                name = NOT_A_FILE;
                if (ok && e.result() > 0)
                {
                    context.forkSnapshots.put(info.pid(), (int)e.result(), table.copyForFork());
                }
                break;
            }
            case EXEC:
            {
                if (f.pathString() >= 0)
                {
                    // execveat: relative to dirfd when recorded
                    name = table.absolutePath(f.dirfdSlot() >= 0 ? fd(e, f.dirfdSlot()) : HandleTable.AT_FDCWD,
                        e.string(f.pathString()));
                    unresolvedHandle = "cwd";
                }
                else if (f.fdSlot() >= 0)
                {
                    // fexecve: the program is the file of fd
                    final int fd = fd(e, f.fdSlot());
                    fileType = FILE_TYPE_DESCRIPTOR;
                    handle = fd;
                    name = table.fdName(fd, ts);
                    unresolvedHandle = fd;
                }
                else
                {
                    name = NOT_A_FILE; // execvp and friends: a name searched in PATH by the call itself
                }
                lastExecTarget = NOT_A_FILE.equals(name) ? e.string(0) : name;
                break;
            }
            case DISCOVERED:
            {
                final int fd = fd(e, f.fdSlot());
                fileType = FILE_TYPE_DESCRIPTOR;
                handle = fd;
                if (f.pathString() >= 0)
                {
                    final String path = e.string(f.pathString());
                    name = path.startsWith("/") ? table.absolutePath(HandleTable.AT_FDCWD, path) : path;
                    if (null == name || name.isEmpty())
                    {
                        name = path.isEmpty() ? null : path;
                    }
                }
                // the fd is known already (the ptrace fallback recorded the open the shim missed): nothing was missed
                final boolean seenBySyscall = null != name && name.equals(table.fdName(fd, Long.MAX_VALUE));
                if (null != name)
                {
                    table.fdOpened(fd, name, te);
                }
                if (f.howSlot() >= 0 && 1 == e.slot(f.howSlot()) && !seenBySyscall) // 2: SCM_RIGHTS, as expected
                {
                    warn(f.name(), fd, "open not observed: descriptor " + fd + " first used while already open (" +
                        (null == name ? "name unknown" : name) + ")");
                }
                if (f.howSlot() >= 0 && TraceFormat.DISCOVERED_BY_PTRACE == e.slot(f.howSlot()))
                {
                    warn(f.name(), fd,
                        PtraceFallback.namedMessage(fd, name, TraceFormat.PRODUCER_TRACER == info.producer()));
                }
                unresolvedHandle = fd;
                break;
            }
            case MAPFILE:
            {
                // sem_open: glibc opened, mapped and closed the file inside; the handle is the mapping's address
                if (f.pathString() >= 0)
                {
                    name = table.absolutePath(HandleTable.AT_FDCWD, e.string(f.pathString()), ts);
                }
                if (ok)
                {
                    fileType = FILE_TYPE_MEMORY;
                    handle = e.result();
                    length = e.slot(f.slotOf("length"));
                    table.mapped(handle, length, name);
                }
                unresolvedHandle = "cwd";
                break;
            }
            case FREOPEN:
                name = reopened(e, f, table, ok);
                unresolvedHandle = hex(e.slot(f.streamSlot()));
                break;
            case POPEN:
            {
                name = NOT_A_FILE;
                if (ok)
                {
                    // the pipe as /proc names it, like pipe()'s ends
                    name = "pipe:[" + e.slot(f.slotOf("inode")) + "]";
                    final int fd = fd(e, f.fdSlot());
                    fileType = FILE_TYPE_STREAM;
                    handle = e.result();
                    table.fdOpened(fd, name, te);
                    table.streamOpened(e.result(), fd, te);
                }
                break;
            }
            case MEMSTREAM:
            {
                name = NOT_A_FILE;
                if (ok)
                {
                    fileType = FILE_TYPE_STREAM;
                    handle = e.result();
                    table.streamOpenedWithoutFd(e.result(), NOT_A_FILE, te);
                }
                break;
            }
            case TRANSFER:
            {
                final int fd = fd(e, f.fdSlot());
                final int outFd = fd(e, f.slotOf("out_fd"));
                fileType = FILE_TYPE_DESCRIPTOR;
                handle = fd;
                name = table.fdName(fd, ts);
                final String outName = table.fdName(outFd, ts);
                writer.extraString(JsonRecordWriter.OUT_FILENAME, null == outName ? UNRESOLVED : outName);
                unresolvedHandle = fd;
                break;
            }
            case CLOSE_RANGE:
            {
                name = NOT_A_FILE;
                final long first = e.slot(f.slotOf("first")) & 0xFFFF_FFFFL;
                final int lastSlot = f.slotOf("last");
                final long last = lastSlot >= 0 ? e.slot(lastSlot) & 0xFFFF_FFFFL : 0xFFFF_FFFFL; // closefrom: all
                final int flagsSlot = f.slotOf("range_flags");
                final long flags = flagsSlot >= 0 ? e.slot(flagsSlot) : 0;
                if (ok && 0 == (flags & Flags.CLOSE_RANGE_CLOEXEC))
                {
                    // CLOSE_RANGE_CLOEXEC only marks the descriptors: they stay open until an exec
                    table.fdRangeClosed((int)Math.min(first, Integer.MAX_VALUE), (int)Math.min(last, Integer.MAX_VALUE),
                        ts, te);
                }
                break;
            }
            case MREMAP:
            {
                final long address = e.slot(f.addrSlot());
                final long oldLength = e.slot(f.lengthSlot());
                final long newLength = e.slot(f.slotOf("new_length"));
                final int flagsSlot = f.slotOf("mremap_flags");
                final boolean keepOld = flagsSlot >= 0 && 0 != (e.slot(flagsSlot) & Flags.MREMAP_DONTUNMAP);
                fileType = FILE_TYPE_MEMORY;
                handle = ok ? e.result() : address;
                length = ok ? newLength : oldLength;
                name = ok ? table.remapped(address, oldLength, e.result(), newLength, keepOld) :
                    table.mappingName(address);
                if (null == name)
                {
                    name = NOT_A_FILE;
                }
                break;
            }
            case MAPPING:
            {
                final long address = e.slot(f.addrSlot());
                fileType = FILE_TYPE_MEMORY;
                handle = address;
                length = e.slot(f.lengthSlot());
                name = table.mappingName(address);
                if (null == name)
                {
                    name = NOT_A_FILE;
                }
                break;
            }
            case NEWFD:
            {
                name = NOT_A_FILE;
                if (ok)
                {
                    // named as the kernel names it in /proc/<pid>/fd, so discovered descriptors agree
                    name = nonEmpty(e, f.stringOf("fd_name"));
                    fileType = FILE_TYPE_DESCRIPTOR;
                    handle = (int)e.result();
                    table.fdOpened((int)e.result(), name, te);
                    unresolvedHandle = (int)e.result();
                }
                break;
            }
            case FDPAIR:
            {
                name = NOT_A_FILE;
                if (ok)
                {
                    final int fd0 = (int)e.slot(f.slotOf("fd0"));
                    name = nonEmpty(e, f.stringOf("fd0_name"));
                    fileType = FILE_TYPE_DESCRIPTOR;
                    handle = fd0;
                    table.fdOpened(fd0, name, te);
                    table.fdOpened((int)e.slot(f.slotOf("fd1")), nonEmpty(e, f.stringOf("fd1_name")), te);
                    unresolvedHandle = fd0;
                }
                break;
            }
            case SOCKNAME:
            {
                final int fd = fd(e, f.fdSlot());
                fileType = FILE_TYPE_DESCRIPTOR;
                handle = fd;
                name = table.fdName(fd, ts);
                final String address = nonEmpty(e, f.stringOf("sockaddr"));
                // a non-blocking connect goes on in the background: the socket is the peer's already
                if ((ok || Errno.EINPROGRESS == e.errno()) && null != address)
                {
                    name = address;
                    table.fdOpened(fd, address, te);
                }
                unresolvedHandle = fd;
                break;
            }
            case ACCEPT:
            {
                final int fd = fd(e, f.fdSlot());
                fileType = FILE_TYPE_DESCRIPTOR;
                handle = fd;
                name = table.fdName(fd, ts);
                unresolvedHandle = fd;
                if (ok)
                {
                    name = nonEmpty(e, f.stringOf("sockaddr"));
                    handle = (int)e.result();
                    table.fdOpened((int)e.result(), name, te);
                    unresolvedHandle = (int)e.result();
                }
                break;
            }
            case MPI_OPEN:
            case MPI_CLOSE:
            case MPI_USE:
            case MPI_COMPLETE:
                name = resolveMpi(e, f, table, ok);
                unresolvedHandle = hex(handle);
                break;
            default:
                name = NOT_A_FILE;
                break;
        }
        if (f.isOpaque() && opaqueWarned.add(f.id()))
        {
            warn(f.name(), unresolvedHandle, "the operations " + f.name() + " submits are not traced one by one: " +
                "only the " + f.name() + " calls themselves are in the trace");
        }

        if (null == name && e.isFailed() && Errno.EBADF == e.errno() && unresolvedHandle instanceof Integer)
        {
            // the kernel says the descriptor is not open (bash probes fd 255, close(-1)): nothing to resolve
            name = JsonRecordWriter.NOT_OPEN;
        }
        if (null == name)
        {
            name = UNRESOLVED;
            warn(f.name(), unresolvedHandle, "cannot resolve " + describe(unresolvedHandle) + " of " + f.name() +
                " (tid " + e.tid() + ")");
        }
        tracedFilename = name;
    }

    /**
     * freopen(path, mode, stream): the old stream and its descriptor are closed (even when the call fails); on
     * success the result stream and its new descriptor name path, or the old file when path is NULL (recorded "").
     *
     * @return the record's file name: the new file, else the old one.
     */
    private String reopened(final DecodedEvent e, final FunctionInfo f, final HandleTable table, final boolean ok)
    {
        final long stream = e.slot(f.streamSlot());
        final String path = f.pathString() >= 0 ? e.string(f.pathString()) : "";
        final String newPath = path.isEmpty() ? null : table.absolutePath(HandleTable.AT_FDCWD, path);
        fileType = FILE_TYPE_STREAM;
        handle = ok ? e.result() : stream;
        return table.streamReopened(stream, (int)e.slot(f.slotOf("old_fd")), newPath, ok ? e.result() : 0,
            fd(e, f.fdSlot()), e.timeStart(), e.timeEnd());
    }

    /** The string item at this order, null when the row has none or the shim could not tell (""). */
    private static String nonEmpty(final DecodedEvent e, final int string)
    {
        final String value = string >= 0 ? e.string(string) : null;
        return null == value || value.isEmpty() ? null : value;
    }

    private static int fd(final DecodedEvent e, final int slot)
    {
        return slot >= 0 ? (int)e.slot(slot) : -1;
    }

    private static String hex(final long value)
    {
        return "0x" + Long.toHexString(value);
    }

    private static String describe(final Object unresolvedHandle)
    {
        if (unresolvedHandle instanceof Integer fd)
        {
            return HandleTable.AT_FDCWD == fd ? "the working directory" : "descriptor " + fd;
        }
        if ("cwd".equals(unresolvedHandle))
        {
            return "the path";
        }
        return null == unresolvedHandle ? "the handle" : "stream " + unresolvedHandle;
    }

    /**
     * Write a warning for this incarnation (at most {@link #MAX_WARNINGS}).
     *
     * @param functionName the function or null.
     * @param handle       Number, String or null.
     * @param message      what happened.
     */
    public void warn(final String functionName, final Object handle, final String message)
    {
        if (warnings >= MAX_WARNINGS)
        {
            suppressedWarnings++;
            return;
        }
        warnings++;
        context.warnings.warn(info.pid(), info.incarnation(), functionName, handle, message);
    }

    /** Push buffered JSON lines to the file. */
    public void flush()
    {
        if (!dirty || outputFailed)
        {
            return;
        }
        dirty = false;
        try
        {
            writer.flush();
            out.flush();
            keptSinceFlush = 0;
            if (null != file)
            {
                flushedLength = Files.size(file);
            }
        }
        catch (final IOException | UncheckedIOException ex)
        {
            failOutput(ex);
        }
    }

    /**
     * The incarnation is over: write execve records still in flight as succeeded, report lost events and waits for
     * ring space, close the JSON file.
     *
     * @param lostEvents    the header's lost_events counter.
     * @param fullWaits     the header's full_waits counter: records that waited for the collector to make room.
     * @param fullWaitNanos the header's full_wait_ns counter: how long they waited in all.
     */
    public void finish(final long lostEvents, final long fullWaits, final long fullWaitNanos)
    {
        if (finished)
        {
            return;
        }
        finished = true;
        if (!inFlight.isEmpty())
        {
            final DecodedEvent[] pending = inFlight.values().toArray(new DecodedEvent[0]);
            inFlight.clear();
            java.util.Arrays.sort(pending, java.util.Comparator.comparingLong(DecodedEvent::timeStart));
            for (final DecodedEvent event : pending)
            {
                process(event, true);
                if (io.iotrace.core.format.Effect.EXEC == event.function().effect())
                {
                    // a vfork child's image would be the first (incarnation 0) of the child's own pid
                    final boolean vforkChild = 0 != (event.status() & TraceFormat.STATUS_VFORK_CHILD);
                    completedExecs.add(new CompletedExec(vforkChild ? event.tid() : info.pid(),
                        vforkChild ? -1 : info.incarnation(), lastExecTarget));
                }
            }
        }
        if (alreadyWritten > 0)
        {
            context.log.log(info.key() + ": " + alreadyWritten + " records read again were already in the file");
        }
        if (lostEvents > 0)
        {
            warnings = Math.min(warnings, MAX_WARNINGS - 1);
            warn(null, null, lostEvents + " events lost: they could be neither written to the ring nor spilled");
        }
        if (fullWaits > 0)
        {
            // not a loss, but the one way the tracer slows the program beyond its per-call cost: said, not hidden
            final String waited = String.format(java.util.Locale.ROOT, "%d records waited for ring space (%.1f ms " +
                "in all): the collector fell behind and slowed the program; a larger IOTRACE_RING_SIZE absorbs " +
                "longer bursts", fullWaits, fullWaitNanos / 1e6);
            context.log.log(info.key() + ": " + waited);
            warnings = Math.min(warnings, MAX_WARNINGS - 1);
            warn(null, null, waited);
        }
        if (notWritten > 0)
        {
            warnings = Math.min(warnings, MAX_WARNINGS - 1);
            warn(null, null, notWritten + " records not written: " + outputFailure + " writing " +
                (null == file ? "the trace" : file.toString()) + " (it ends with the last complete record before)");
        }
        if (suppressedWarnings > 0)
        {
            context.warnings.warn(info.pid(), info.incarnation(), null, null,
                suppressedWarnings + " further warnings of this incarnation suppressed");
        }
        if (malformed > 0)
        {
            context.log.log(info.key() + ": " + malformed + " malformed records skipped");
        }
        closeOutput();
    }

    /**
     * Stop without finishing (the collector is shutting down and leaves the ring for a later collector or
     * recover): flush and close the JSON file; records in flight are not written.
     */
    public void abandon()
    {
        if (finished)
        {
            return;
        }
        finished = true;
        closeOutput();
    }

    private void closeOutput()
    {
        if (outputFailed)
        {
            return; // closed when it failed
        }
        flush();
        if (outputFailed)
        {
            return;
        }
        try
        {
            writer.close();
            out.close();
        }
        catch (final IOException | UncheckedIOException ex)
        {
            context.log.log("cannot close the trace of " + info.key(), ex);
        }
    }

    /** @return the successful execs of this incarnation and its vfork children (known once finished). */
    public java.util.List<CompletedExec> completedExecs()
    {
        return completedExecs;
    }

    /** @return true once {@link #finish} ran. */
    public boolean isFinished()
    {
        return finished;
    }

    /** @return the trace's key, pid-incarnation. */
    public String key()
    {
        return info.key();
    }
}
