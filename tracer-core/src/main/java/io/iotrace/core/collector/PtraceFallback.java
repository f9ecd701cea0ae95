package io.iotrace.core.collector;

import io.iotrace.core.decode.DecodedEvent;
import io.iotrace.core.decode.Errno;
import io.iotrace.core.format.FunctionInfo;
import io.iotrace.core.format.TraceFormat;

/**
 * The collector's side of the ptrace fallback (ptrace-fallback/, IOTRACE_PTRACE=on): records the tracer wrote
 * (status SOURCE_SYSCALL) are ordinary records of their rows, resolved by their effects like the shim's, plus a
 * warning naming the call that bypassed the wrappers; the shim's ptrace_unavailable meta event becomes one warning
 * per session and cause, never a record.
 */
final class PtraceFallback
{
    static final String UNAVAILABLE = "ptrace_unavailable";

    private PtraceFallback()
    {
    }

    static boolean isUnavailableNotice(final DecodedEvent event)
    {
        return UNAVAILABLE.equals(event.function().name());
    }

    static boolean isBypass(final DecodedEvent event)
    {
        return 0 != (event.status() & TraceFormat.STATUS_SOURCE_SYSCALL);
    }

    /**
     * The tracer's fd_discovered event (how = {@link TraceFormat#DISCOVERED_BY_PTRACE}) naming a descriptor that a
     * stopped call uses, from /proc: taken only when the descriptor is unknown (its open was seen by nobody).
     */
    static boolean isNamingNotice(final DecodedEvent event)
    {
        final FunctionInfo f = event.function();
        return isBypass(event) && f.howSlot() >= 0 && TraceFormat.DISCOVERED_BY_PTRACE == event.slot(f.howSlot());
    }

    /**
     * The warning of a descriptor first named by the ptrace tracer.
     *
     * @param tracerAlone the ring is the tracer's own (run --ptrace-only, attach): there are no wrappers.
     */
    static String namedMessage(final int fd, final String name, final boolean tracerAlone)
    {
        final String what = null == name ? "name unknown" : name;
        if (tracerAlone)
        {
            return "open not observed: descriptor " + fd + " (" + what + ") was made by a call the ptrace tracer " +
                "does not stop on (socketpair, signalfd, ...) or before tracing began; named from /proc";
        }
        return "open not observed: descriptor " + fd + " (" + what + ") was made by a call neither the wrappers " +
            "nor the ptrace fallback saw (glibc reaching a wrapped function through an internal alias, or before " +
            "tracing began); named from /proc by the ptrace fallback";
    }

    /** One warning per session for each step/errno that kept the fallback from running. */
    static void warnUnavailableOnce(
        final SessionContext context, final int pid, final int incarnation, final DecodedEvent event)
    {
        final int error = (int)event.slot(0);
        final String step = event.string(0);
        if (!context.ptraceNotices.add(step + "/" + error))
        {
            return;
        }
        context.warnings.warn(pid, incarnation, UNAVAILABLE, null, "IOTRACE_PTRACE=on but the ptrace fallback " +
            "is not running (" + step + ": " + Errno.text(error) + "): calls glibc makes internally and raw " +
            "system calls are not traced");
    }

    /** The warning of a bypass record: the call as made, e.g. {@code openat("/etc/passwd") = 3}. */
    static String bypassMessage(final DecodedEvent event)
    {
        final FunctionInfo f = event.function();
        final StringBuilder call = new StringBuilder(f.name()).append('(');
        if (f.pathString() >= 0)
        {
            call.append('"').append(event.string(f.pathString())).append('"');
        }
        else if (f.fdSlot() >= 0)
        {
            call.append(event.slot(f.fdSlot()));
        }
        call.append(") = ");
        if (0 != (event.status() & TraceFormat.STATUS_FAILED))
        {
            call.append("-1 ").append(Errno.text(event.errno()));
        }
        else
        {
            call.append(event.result());
        }
        return call + " bypassed the libc wrappers (a call glibc makes internally, or a raw system call " +
            "instruction): recorded by the ptrace fallback";
    }
}
