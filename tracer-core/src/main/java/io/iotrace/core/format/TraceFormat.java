package io.iotrace.core.format;

import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * The iotrace binary formats, mirroring {@code native-shim/include/iotrace_format.h} (the only prose documentation
 * of them). Offsets only; {@code FormatAgreementTest} checks every constant against the C header.
 * <p>
 * Ring file {@code R/<pid>-<inc>.ring}:
 * <pre>
 *   0                              16384                       16384 + capacity        + 768
 *   +------------------------------+---------------------------+------------------------+
 *   | ring file header (below)     | ManyToOneRingBuffer data  | RingBufferDescriptor   |
 *   |                              | area, capacity = 2^n      | trailer                |
 *   +------------------------------+---------------------------+------------------------+
 * </pre>
 * Ring file header (also the first 16384 bytes of a spill file), all little-endian:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+  0
 *  |          Magic "IOTRRING" / "IOTRSPIL" / "IOTRBKLG"           |
 *  +---------------------------------------------------------------+  8
 *  |        Format Version         |        Header Length          |
 *  +---------------------------------------------------------------+ 16
 *  |        Ring Capacity          |             Pid               |
 *  +---------------------------------------------------------------+ 24
 *  |            Ppid               |         Incarnation           |
 *  +---------------------------------------------------------------+ 32
 *  |           Origin              |   State (release/acquire)     |
 *  +---------------------------------------------------------------+ 40
 *  |                   Start Time (CLOCK_REALTIME ns)              |
 *  +---------------------------------------------------------------+ 48
 *  |                Proc Start Ticks (/proc/self/stat #22)         |
 *  +---------------------------------------------------------------+ 56
 *  |                   Lost Events (atomic)                        |
 *  +---------------------------------------------------------------+ 64
 *  |                   Spilled Events (atomic)                     |
 *  +---------------------------------------------------------------+ 72
 *  |     Spilling (sticky 0/1)     |             Uid               |
 *  +---------------------------------------------------------------+ 80
 *  |                   Parent Start Ticks                          |
 *  +---------------------------------------------------------------+ 88
 *  |          Producer             |       MPI Rank Known          |
 *  +---------------------------------------------------------------+ 96
 *  |          MPI Rank             |          (reserved)           |
 *  +---------------------------------------------------------------+ 104
 *  |                   Full Waits (atomic)                         |
 *  +---------------------------------------------------------------+ 112
 *  |                   Full Wait ns (atomic)                       |
 *  +---------------------------------------------------------------+ 120
 *  |            Backlog Consumed (backlog file only)               |
 *  +---------------------------------------------------------------+ 128
 *  |            Backlog End (backlog file only)                    |
 *  +---------------------------------------------------------------+ 136
 *  |            Backlog Ring End (backlog file only)               |
 *  +---------------------------------------------------------------+ 144 .. 256 reserved
 *  |  Hostname 256 | Exe 4096 | Cwd 4096 (NUL-terminated)          | 256, 512, 4608
 *  +---------------------------------------------------------------+ 8704
 *  | Cmdline Length | Cmdline 4096 (NUL-separated argv)            |
 *  +---------------------------------------------------------------+ 12804 .. 16384 reserved
 * </pre>
 * Event payload (the agrona record's payload; the record type is the function id):
 * <pre>
 *  +---------------------------------------------------------------+  0
 *  |                    Time Start (ns)                            |
 *  +---------------------------------------------------------------+  8
 *  |                    Time End (ns)                              |
 *  +---------------------------------------------------------------+ 16
 *  |                    Result (sign-extended)                     |
 *  +---------------------------------------------------------------+ 24
 *  |             Tid               |     Errno     |    Status     |
 *  +---------------------------------------------------------------+ 32
 *  |          Argument slots, 8 bytes each, in table order        ...
 *  +---------------------------------------------------------------+
 *  |  Strings: u16 length + bytes; argv: u16 count, then strings  ...
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class TraceFormat
{
    /** Version of the formats in this class. */
    public static final int FORMAT_VERSION = 1;

    /** "IOTRRING" read as a little-endian u64. */
    public static final long RING_MAGIC = 0x474e495252544f49L;
    /** "IOTRSPIL" read as a little-endian u64. */
    public static final long SPILL_MAGIC = 0x4c49505352544f49L;
    /** "IOTRBKLG" read as a little-endian u64: a collector's backlog file (section 5 of iotrace_format.h). */
    public static final long BACKLOG_MAGIC = 0x474c4b4252544f49L;

    // ring file header
    public static final int HDR_MAGIC_OFFSET = 0;
    public static final int HDR_FORMAT_VERSION_OFFSET = 8;
    public static final int HDR_HEADER_LENGTH_OFFSET = 12;
    public static final int HDR_RING_CAPACITY_OFFSET = 16;
    public static final int HDR_PID_OFFSET = 20;
    public static final int HDR_PPID_OFFSET = 24;
    public static final int HDR_INCARNATION_OFFSET = 28;
    public static final int HDR_ORIGIN_OFFSET = 32;
    /** Written by the producer with release semantics: read with acquire. */
    public static final int HDR_STATE_OFFSET = 36;
    public static final int HDR_START_TIME_NS_OFFSET = 40;
    public static final int HDR_PROC_START_TICKS_OFFSET = 48;
    /** Atomic counter: read with volatile semantics. */
    public static final int HDR_LOST_EVENTS_OFFSET = 56;
    /** Atomic counter: read with volatile semantics. */
    public static final int HDR_SPILLED_EVENTS_OFFSET = 64;
    /** Sticky 0 → 1: read with volatile semantics. */
    public static final int HDR_SPILLING_OFFSET = 72;
    public static final int HDR_UID_OFFSET = 76;
    public static final int HDR_PARENT_START_TICKS_OFFSET = 80;
    public static final int HDR_PRODUCER_OFFSET = 88;
    /** 1 when {@link #HDR_MPI_RANK_OFFSET} holds the process's MPI rank. */
    public static final int HDR_MPI_RANK_KNOWN_OFFSET = 92;
    public static final int HDR_MPI_RANK_OFFSET = 96;
    /** Atomic counter (records that waited for ring space): read with volatile semantics. */
    public static final int HDR_FULL_WAITS_OFFSET = 104;
    /** Atomic counter (ns those records waited): read with volatile semantics. */
    public static final int HDR_FULL_WAIT_NS_OFFSET = 112;
    public static final int HDR_BACKLOG_CONSUMED_OFFSET = 120;
    public static final int HDR_BACKLOG_END_OFFSET = 128;
    public static final int HDR_BACKLOG_RING_END_OFFSET = 136;
    public static final int HDR_HOSTNAME_OFFSET = 256;
    public static final int HDR_HOSTNAME_LENGTH = 256;
    public static final int HDR_EXE_OFFSET = 512;
    public static final int HDR_EXE_LENGTH = 4096;
    public static final int HDR_CWD_OFFSET = 4608;
    public static final int HDR_CWD_LENGTH = 4096;
    public static final int HDR_CMDLINE_LENGTH_OFFSET = 8704;
    public static final int HDR_CMDLINE_OFFSET = 8708;
    public static final int HDR_CMDLINE_CAPACITY = 4096;
    /** Length of the ring (and spill) file header: the ring data area starts here. */
    public static final int RING_HEADER_LENGTH = 16384;

    // origin
    public static final int ORIGIN_START = 1;
    public static final int ORIGIN_FORK = 2;
    public static final int ORIGIN_EXEC = 3;

    // producer
    public static final int PRODUCER_SHIM = 0;
    /** The ptrace tracer alone wrote the ring (run --ptrace-only, attach): no wrapper was bypassed. */
    public static final int PRODUCER_TRACER = 1;

    // state
    public static final int STATE_ACTIVE = 1;
    public static final int STATE_EXEC_PENDING = 2;
    public static final int STATE_EXITED = 3;
    /** iotrace attach's tracer detached: the process runs on, its ring gets nothing more. */
    public static final int STATE_DETACHED = 4;

    // agrona trailer, relative to the trailer start (= RING_HEADER_LENGTH + capacity)
    public static final int TRAILER_TAIL_POSITION_OFFSET = RingBufferDescriptor.TAIL_POSITION_OFFSET;
    public static final int TRAILER_HEAD_CACHE_POSITION_OFFSET = RingBufferDescriptor.HEAD_CACHE_POSITION_OFFSET;
    public static final int TRAILER_HEAD_POSITION_OFFSET = RingBufferDescriptor.HEAD_POSITION_OFFSET;
    public static final int TRAILER_CORRELATION_COUNTER_OFFSET = RingBufferDescriptor.CORRELATION_COUNTER_OFFSET;
    public static final int TRAILER_CONSUMER_HEARTBEAT_OFFSET = RingBufferDescriptor.CONSUMER_HEARTBEAT_OFFSET;
    public static final int TRAILER_LENGTH = RingBufferDescriptor.TRAILER_LENGTH;

    // agrona record framing
    public static final int RECORD_HEADER_LENGTH = 8;
    public static final int RECORD_ALIGNMENT = 8;
    public static final int PADDING_TYPE_ID = -1;

    // event payload
    public static final int EVENT_TIME_START_OFFSET = 0;
    public static final int EVENT_TIME_END_OFFSET = 8;
    public static final int EVENT_RESULT_OFFSET = 16;
    public static final int EVENT_TID_OFFSET = 24;
    /** u16. */
    public static final int EVENT_ERRNO_OFFSET = 28;
    /** u16 of STATUS_* bits. */
    public static final int EVENT_STATUS_OFFSET = 30;
    public static final int EVENT_ARGS_OFFSET = 32;
    public static final int ARG_SLOT_LENGTH = 8;
    public static final int MAX_STRING = 4096;

    public static final int STATUS_FAILED = 0x0001;
    public static final int STATUS_EOF = 0x0002;
    public static final int STATUS_IN_FLIGHT = 0x0004;
    public static final int STATUS_TRUNCATED = 0x0008;
    /** The call was made through libc's syscall(SYS_x, ...), not the libc function of its row. */
    public static final int STATUS_VIA_SYSCALL = 0x0010;
    /** Made by a vfork child before its exec/_exit, in the parent's ring; tid is the child's pid. */
    public static final int STATUS_VFORK_CHILD = 0x0020;
    /** keep_env: LD_PRELOAD/IOTRACE_* were put back into the child's environment. */
    public static final int STATUS_ENV_ADDED = 0x0040;
    /** keep_env: they were missing but did not fit into the copy: the child runs untraced. */
    public static final int STATUS_ENV_NOT_KEPT = 0x0080;
    /** Made inside an MPI call of the same thread (the POSIX I/O of an MPI-IO call): function_data.in_mpi. */
    public static final int STATUS_IN_MPI = 0x0100;
    /** Seen by the ptrace fallback at a system call no wrapper made (JSON "source":"syscall"). */
    public static final int STATUS_SOURCE_SYSCALL = 0x0200;
    /** fd_discovered's how when the ptrace fallback names a descriptor a stopped call uses (iotrace_format.h). */
    public static final int DISCOVERED_BY_PTRACE = 3;

    // files of a session (section 1)
    public static final String RING_SUFFIX = ".ring";
    public static final String SPILL_SUFFIX = ".spill";
    public static final String SPILL_DIR = ".iotrace-spill";
    public static final String BACKLOG_SUFFIX = ".backlog";
    public static final String LOCK_FILE = "collector.lock";
    public static final String SESSION_FILE = "session";
    /** Beside the session dirs: pid → session id symlinks (IOTRACE_PID_INDEX_DIR). */
    public static final String PID_INDEX_DIR = "by-pid";
    public static final String WARNINGS_FILE = "iotrace-warnings.jsonl";
    public static final String LOG_FILE = "collector.log";
    public static final String RUNTIME_DIR_ENV = "IOTRACE_RUNTIME_DIR";
    public static final String RUNTIME_DIR_DEFAULT = "/dev/shm";
    public static final String LINGER_ENV = "IOTRACE_COLLECTOR_LINGER_MS";
    public static final long LINGER_MS_DEFAULT = 500;

    private TraceFormat()
    {
    }

    /**
     * @param capacity data area length of a ring.
     * @return the file offset of the trailer.
     */
    public static int trailerOffset(final int capacity)
    {
        return RING_HEADER_LENGTH + capacity;
    }

    /**
     * @param capacity data area length of a ring.
     * @return length of a ring file with that capacity.
     */
    public static long ringFileLength(final int capacity)
    {
        return (long)RING_HEADER_LENGTH + capacity + TRAILER_LENGTH;
    }

    /**
     * Offset of an argument slot in the event payload.
     *
     * @param slot index of the scalar argument in table order.
     * @return its offset from the payload start.
     */
    public static int argSlotOffset(final int slot)
    {
        return EVENT_ARGS_OFFSET + slot * ARG_SLOT_LENGTH;
    }
}
