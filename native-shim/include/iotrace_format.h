/*
 * iotrace binary formats: the one place they are documented byte by byte.
 *
 * Mirrored in Java by exactly one descriptor class, io.iotrace.core.format.TraceFormat
 * (tracer-core); FormatAgreementTest checks that both sides agree.
 * All integers are little-endian (x86_64/aarch64 native order); strings are raw bytes, not NUL-terminated
 * unless said so.
 *
 * ---------------------------------------------------------------------------------------------------------
 * 1. Files and directories of a trace session
 * ---------------------------------------------------------------------------------------------------------
 *  output dir  O = $IOTRACE_DIR, made absolute (lexically normalised); default ./iotrace-YYYYmmdd-HHMMSS-<pid>
 *              (cwd, local time and pid of the process that created the session).
 *  session id  = 16 lower-case hex digits of FNV-1a-64 over the bytes of O (no trailing slash).
 *  runtime dir R = $IOTRACE_RUNTIME_DIR (default /dev/shm) + "/iotrace-<uid>/<session id>", mode 0700.
 *    R/session          text: O followed by '\n'; written (O_EXCL, then rename) by the process creating R.
 *    R/collector.lock   flock(LOCK_EX) held by the session's collector for its whole life (see collector).
 *    R/<pid>-<inc>.ring one ring file per process incarnation (section 2); <inc> is the incarnation number.
 *  $IOTRACE_RUNTIME_DIR/iotrace-<uid>/by-pid/<pid>  symlink to the session id of the newest ring of <pid>: lets a
 *                     starting process find its parent's session without scanning every session (the ring's
 *                     pid and start ticks are still checked); removed by the collector when the pid's last ring
 *                     is retired.
 *  O/<host>_<pid>_<inc>.jsonl         the JSON Lines trace of one process incarnation (written by the collector)
 *  O/iotrace-warnings.jsonl           one JSON object per warning (unresolved handles, lost events, ...)
 *  O/collector.log                    the collector's own log (rate-limited)
 *  O/.iotrace-spill/<pid>-<inc>.spill spill file of an incarnation whose ring was full with no live collector
 *  O/.iotrace-spill/<pid>-<inc>.backlog the collector's backlog of an incarnation: records it moved out of the ring
 *                     before writing them as JSON (section 5)
 *
 *  Incarnation numbers: a process image that starts with no ring of its pid in R gets 0; an image started by
 *  execve in a pid that already has a ring gets the next free number (O_EXCL create loop). Fork children
 *  start at the first free number of their new pid (normally 0).
 *
 * ---------------------------------------------------------------------------------------------------------
 * 2. Ring file  R/<pid>-<inc>.ring
 * ---------------------------------------------------------------------------------------------------------
 *  [0, 16384)                          ring file header (2a)
 *  [16384, 16384 + capacity)           agrona ManyToOneRingBuffer data area; capacity is a power of two
 *  [16384 + capacity, ... + 768)       agrona RingBufferDescriptor trailer (2b)
 *
 *  The producer maps the whole file MAP_SHARED and never unmaps it while the process lives, so a SIGKILLed
 *  process leaves every committed record in the file for the collector or `recover`.
 */
#ifndef IOTRACE_FORMAT_H
#define IOTRACE_FORMAT_H

#include <stdint.h>
#include <string.h>

#define IOTRACE_FORMAT_VERSION 1
#define IOTRACE_PID_INDEX_DIR "by-pid"

/* 2a. Ring file header (also the first 16384 bytes of a spill file).
 *
 *  offset size field
 *       0    8 magic                "IOTRRING" for a ring file, "IOTRSPIL" for a spill file, "IOTRBKLG" for a
 *                                   backlog file
 *       8    4 format_version       IOTRACE_FORMAT_VERSION
 *      12    4 header_length        16384
 *      16    4 ring_capacity        bytes of the data area (power of two); 0 in a spill file
 *      20    4 pid
 *      24    4 ppid                 getppid() when the incarnation started
 *      28    4 incarnation
 *      32    4 origin               IOTRACE_ORIGIN_*
 *      36    4 state                IOTRACE_STATE_*; written with release semantics
 *      40    8 start_time_ns        CLOCK_REALTIME when the header was written
 *      48    8 proc_start_ticks     field 22 of /proc/self/stat (guards against pid reuse)
 *      56    8 lost_events          atomic: events that could neither be ringed nor spilled
 *      64    8 spilled_events       atomic: events written to the spill file instead of the ring
 *      72    4 spilling             0, or 1 once this incarnation has switched to its spill file (sticky)
 *      76    4 uid
 *      80    8 parent_start_ticks   proc_start_ticks of the parent incarnation for FORK origin, else 0
 *      88    4 producer             IOTRACE_PRODUCER_*: who writes the records
 *      92    4 mpi_rank_known       1 when mpi_rank holds the MPI rank of the process when the ring was made, else 0
 *      96    4 mpi_rank             MPI_COMM_WORLD rank: the launcher's environment (OMPI_COMM_WORLD_RANK, PMIX_RANK,
 *                                   PMI_RANK; never MPI_LOCALRANKID, the rank on the node), or for a fork child the
 *                                   rank its parent got from MPI_Init; the collector writes it into every record
 *     100    4 reserved             zero
 *     104    8 full_waits           atomic: records that found the ring full and waited for the collector to make
 *                                   room (back-pressure: the program was slowed by the tracer), 0 in older rings
 *     112    8 full_wait_ns         atomic: nanoseconds those records waited in all
 *     120    8 backlog_consumed     backlog file only (section 5; zero in rings and spill files): file offset up
 *                                   to which the records have been written as JSON
 *     128    8 backlog_end          backlog file only: file offset where the complete records end
 *     136    8 backlog_ring_end     backlog file only: the ring position (consumer position) that backlog_end
 *                                   corresponds to: every ring record before it is in this file
 *     144  112 reserved             zero
 *     256  256 hostname             NUL-terminated
 *     512 4096 exe                  readlink(/proc/self/exe), NUL-terminated
 *    4608 4096 cwd                  getcwd() at start, NUL-terminated (relative paths resolve against it)
 *    8704    4 cmdline_length       bytes used in cmdline
 *    8708 4096 cmdline              /proc/self/cmdline: argv strings, each NUL-terminated, truncated to 4096
 *   12804 3580 reserved             zero
 */
#define IOTRACE_RING_MAGIC  0x474e495252544f49ULL /* "IOTRRING" read as a little-endian u64 */
#define IOTRACE_SPILL_MAGIC 0x4c49505352544f49ULL /* "IOTRSPIL" */
#define IOTRACE_BACKLOG_MAGIC 0x474c4b4252544f49ULL /* "IOTRBKLG" */

#define IOTRACE_HDR_MAGIC              0
#define IOTRACE_HDR_FORMAT_VERSION     8
#define IOTRACE_HDR_HEADER_LENGTH      12
#define IOTRACE_HDR_RING_CAPACITY      16
#define IOTRACE_HDR_PID                20
#define IOTRACE_HDR_PPID               24
#define IOTRACE_HDR_INCARNATION        28
#define IOTRACE_HDR_ORIGIN             32
#define IOTRACE_HDR_STATE              36
#define IOTRACE_HDR_START_TIME_NS      40
#define IOTRACE_HDR_PROC_START_TICKS   48
#define IOTRACE_HDR_LOST_EVENTS        56
#define IOTRACE_HDR_SPILLED_EVENTS     64
#define IOTRACE_HDR_SPILLING           72
#define IOTRACE_HDR_UID                76
#define IOTRACE_HDR_PARENT_START_TICKS 80
#define IOTRACE_HDR_PRODUCER           88
#define IOTRACE_HDR_MPI_RANK_KNOWN     92
#define IOTRACE_HDR_MPI_RANK           96
#define IOTRACE_HDR_FULL_WAITS         104
#define IOTRACE_HDR_FULL_WAIT_NS       112
#define IOTRACE_HDR_BACKLOG_CONSUMED   120
#define IOTRACE_HDR_BACKLOG_END        128
#define IOTRACE_HDR_BACKLOG_RING_END   136
#define IOTRACE_HDR_HOSTNAME           256
#define IOTRACE_HDR_HOSTNAME_LENGTH    256
#define IOTRACE_HDR_EXE                512
#define IOTRACE_HDR_EXE_LENGTH         4096
#define IOTRACE_HDR_CWD                4608
#define IOTRACE_HDR_CWD_LENGTH         4096
#define IOTRACE_HDR_CMDLINE_LENGTH     8704
#define IOTRACE_HDR_CMDLINE            8708
#define IOTRACE_HDR_CMDLINE_CAPACITY   4096
#define IOTRACE_RING_HEADER_LENGTH     16384

/* origin: how this incarnation came to be */
#define IOTRACE_ORIGIN_START 1 /* a new process image whose parent is not (known to be) traced in this session */
#define IOTRACE_ORIGIN_FORK  2 /* a fork child: its handles are its parent's at the parent's fork record */
#define IOTRACE_ORIGIN_EXEC  3 /* execve in a pid that had a ring: the previous incarnation ended at exec */

/* state */
#define IOTRACE_PRODUCER_SHIM      0 /* the shim (and, with IOTRACE_PTRACE=on, the tracer for the calls it missed) */
#define IOTRACE_PRODUCER_TRACER    1 /* the tracer alone (iotrace run --ptrace-only, iotrace attach): no wrappers */

#define IOTRACE_STATE_ACTIVE       1
#define IOTRACE_STATE_EXEC_PENDING 2 /* inside execve: if the exec succeeds this ring gets no more records */
#define IOTRACE_STATE_EXITED       3 /* set by the library destructor / exit path; records may still be unread */
#define IOTRACE_STATE_DETACHED     4 /* iotrace attach's tracer detached from the (still running) process: the
                                         * ring gets no more records; it is finished once drained */

/* 2b. agrona trailer after the data area (offsets relative to the trailer start, agrona 2.x
 * org.agrona.concurrent.ringbuffer.RingBufferDescriptor); each field sits alone in 2 cache lines. */
#define IOTRACE_TRAILER_TAIL_POSITION       128 /* i64: producers CAS it to claim space */
#define IOTRACE_TRAILER_HEAD_CACHE_POSITION 256 /* i64: producers' cached copy of head */
#define IOTRACE_TRAILER_HEAD_POSITION       384 /* i64: consumer's position, written with release */
#define IOTRACE_TRAILER_CORRELATION_COUNTER 512 /* i64: unused by iotrace */
#define IOTRACE_TRAILER_CONSUMER_HEARTBEAT  640 /* i64: collector's CLOCK_REALTIME in ms, refreshed >= 10/s */
#define IOTRACE_TRAILER_LENGTH              768

/* 2c. agrona record framing inside the data area (RecordDescriptor):
 *
 *  offset size field
 *       0    4 length     total record length incl. this 8-byte header; negative while being written,
 *                         made positive with release semantics when the record is complete
 *       4    4 type       msgTypeId: the event's function id (section 3), or -1 for a padding record
 *       8    n payload    event (section 3)
 *  Records are aligned to 8 bytes. A record that would not fit before the end of the data area is preceded by
 *  a padding record (type -1) that fills the rest. The consumer zeroes what it has read before moving head, and
 *  a producer relies on claimed space being zero. Largest record: capacity / 8 bytes.
 */
#define IOTRACE_RECORD_HEADER_LENGTH 8
#define IOTRACE_RECORD_ALIGNMENT     8
#define IOTRACE_PADDING_TYPE_ID      (-1)

/*
 * ---------------------------------------------------------------------------------------------------------
 * 3. Event payload (the record payload; the record type is the function id of native-shim/functions.tbl)
 * ---------------------------------------------------------------------------------------------------------
 *  offset size field
 *       0    8 time_start   CLOCK_REALTIME ns just before the real call
 *       8    8 time_end     CLOCK_REALTIME ns just after it
 *      16    8 result       the return value: signed integers sign-extended, pointers as unsigned
 *      24    4 tid          gettid() of the calling thread
 *      28    2 errno        errno after the call when status has IOTRACE_STATUS_FAILED, else 0
 *      30    2 status       IOTRACE_STATUS_* bits
 *      32  8*k arguments    one 8-byte slot per scalar argument of the table row, in table order
 *       .    . strings      then, per string argument in table order: u16 byte length, then the bytes
 *                           (kind `argv`: u16 count, then count strings each as u16 length + bytes)
 *  Strings longer than IOTRACE_MAX_STRING bytes are cut there and the TRUNCATED status bit is set.
 *  Only what follows the table is in the record: the table is the schema (both sides read the same table).
 */
#define IOTRACE_EVENT_TIME_START 0
#define IOTRACE_EVENT_TIME_END   8
#define IOTRACE_EVENT_RESULT     16
#define IOTRACE_EVENT_TID        24
#define IOTRACE_EVENT_ERRNO      28
#define IOTRACE_EVENT_STATUS     30
#define IOTRACE_EVENT_ARGS       32
#define IOTRACE_ARG_SLOT_LENGTH  8
#define IOTRACE_MAX_STRING       4096

/* The fixed fields above, as every producer writes them (the shim's event.c, the ptrace tracer's record.c). */
static inline void iotrace_event_fixed(unsigned char *payload, int64_t time_start, int64_t time_end, uint64_t result,
                                       int32_t tid, uint16_t err, uint16_t status)
{
    memcpy(payload + IOTRACE_EVENT_TIME_START, &time_start, 8);
    memcpy(payload + IOTRACE_EVENT_TIME_END, &time_end, 8);
    memcpy(payload + IOTRACE_EVENT_RESULT, &result, 8);
    memcpy(payload + IOTRACE_EVENT_TID, &tid, 4);
    memcpy(payload + IOTRACE_EVENT_ERRNO, &err, 2);
    memcpy(payload + IOTRACE_EVENT_STATUS, &status, 2);
}

#define IOTRACE_STATUS_FAILED    0x0001 /* the call failed by its own convention (-1, NULL, MAP_FAILED, ...) */
#define IOTRACE_STATUS_EOF       0x0002 /* a read hit end of file (read returned 0, fread short with feof) */
#define IOTRACE_STATUS_IN_FLIGHT 0x0004 /* published before the call returned (execve): a later record of the
                                           same tid and time_start, if any, replaces it */
#define IOTRACE_STATUS_TRUNCATED 0x0008 /* a string argument was cut at IOTRACE_MAX_STRING */
#define IOTRACE_STATUS_VIA_SYSCALL 0x0010 /* made through libc's syscall(SYS_x, ...): the record is the row of
                                             the function SYS_x is traced as (function_data "via":"syscall") */
#define IOTRACE_STATUS_VFORK_CHILD 0x0020 /* made by a vfork child before its exec/_exit, in the parent's ring:
                                             tid is the child's pid */
#define IOTRACE_STATUS_ENV_ADDED 0x0040 /* keep_env: LD_PRELOAD/IOTRACE_* were put back into the child's env */
#define IOTRACE_STATUS_ENV_NOT_KEPT 0x0080 /* keep_env: they were missing but the copy did not fit: the child
                                              runs untraced */
#define IOTRACE_STATUS_IN_MPI 0x0100 /* made inside the real call of an MPI_File_* wrapper of the same thread (the
                                        POSIX I/O of an MPI-IO call): function_data "in_mpi": true */
#define IOTRACE_STATUS_SOURCE_SYSCALL 0x0200 /* seen by the ptrace fallback (ptrace-fallback/, IOTRACE_PTRACE=on) at
                                                a system call no wrapper made (glibc-internal or a raw syscall
                                                instruction), written into the ring by the tracer process; the
                                                record is the row the call is traced as (function_data
                                                "source":"syscall") */
/* fd_discovered's `how` when the ptrace fallback names a descriptor a stopped call uses (close, dup, mmap...) from
 * /proc/<tid>/fd, before that call's record: the collector takes the name only for a descriptor it does not know */
#define IOTRACE_DISCOVERED_BY_PTRACE 3

/*
 * ---------------------------------------------------------------------------------------------------------
 * 4. Spill file  O/.iotrace-spill/<pid>-<inc>.spill
 * ---------------------------------------------------------------------------------------------------------
 *  [0, 16384)  ring file header (2a) with magic IOTRACE_SPILL_MAGIC and ring_capacity 0
 *  then records framed exactly as in 2c (length always positive, no padding records), each written with a
 *  single write(2) on an O_APPEND descriptor so records of different threads never interleave.
 *  A truncated last record (crash mid-write) is ignored by readers.
 *  Per thread, every spilled record is later than every ring record: once spilling, an incarnation never
 *  writes to its ring again.
 *
 * ---------------------------------------------------------------------------------------------------------
 * 5. Backlog file  O/.iotrace-spill/<pid>-<inc>.backlog  (written by the collector only; no producer reads it)
 * ---------------------------------------------------------------------------------------------------------
 *  A collector that falls behind a live producer (its ring more than a quarter full: typically while its JIT
 *  warms up) moves the ring's committed records into this file in blocks, at memory-copy speed, so that the
 *  program never waits for ring space, and decodes them from here; the ring is read directly again once the
 *  backlog is empty.
 *  [0, 16384)  the ring's header (2a) with magic IOTRACE_BACKLOG_MAGIC; backlog_* fields as described there
 *  then records framed as in the spill file (no padding records), in ring order.
 *  Order of a block move, so that a collector killed at any point leaves every record exactly once in ring +
 *  backlog: write the block at backlog_end; then one pwrite of backlog_end and backlog_ring_end; then zero the
 *  block in the ring and move the consumer position. Records between the consumer position and
 *  backlog_ring_end are therefore already in the backlog: a later reader skips them in the ring. Bytes after
 *  backlog_end are an interrupted block move and are ignored. backlog_consumed is written after the JSON of the
 *  records before it has been flushed (as the ring's consumer position is). Read order of an incarnation:
 *  backlog [backlog_consumed, backlog_end), then the ring, then the spill file. An emptied backlog is reset
 *  (consumed = end = 16384, then truncated); the file is deleted when the incarnation is retired.
 */

#endif /* IOTRACE_FORMAT_H */
