package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.descriptor;
import static io.iotrace.core.it.TraceRecords.errno;
import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.functionName;
import static io.iotrace.core.it.TraceRecords.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sockets and other non-file descriptors (test-programs/sockets.c): new descriptors are named as /proc names them
 * (socket:[N], anon_inode:[eventfd], /memfd:NAME (deleted), ...), sockets are renamed by address on bind, connect
 * and accept, and a descriptor received with SCM_RIGHTS resolves to the file the sender passed. Run on a plain
 * build and on one with distribution flags (fortified recv/recvfrom, 64-bit open/pread/mmap).
 */
class SocketsFamilyTest
{
    private static final String SOCKET = "socket:\\[[1-9][0-9]*]";

    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"sockets, false", "sockets-lfs, true"})
    void shouldNameSocketsByAddressAndOtherDescriptorsAsTheKernelDoes(final String program, final boolean lfs)
        throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program(program, data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final String[] ports = run.stdout().strip().split(" ");
        final String tcpServer = "tcp:127.0.0.1:" + ports[0];
        final String tcpClient = "tcp:127.0.0.1:" + ports[1];
        final String udpReceiver = "udp:127.0.0.1:" + ports[2];
        final String udpSender = "udp:127.0.0.1:" + ports[3];
        final boolean ipv6 = !"-1".equals(ports[4]);
        final String unixPath = "unix:" + data.resolve("s.sock");
        final String passed = data.resolve("passed.txt").toString();
        final String memfd = "/memfd:iotrace-memfd (deleted)";
        final String eventfd = "anon_inode:[eventfd]";
        final String epoll = "anon_inode:[eventpoll]";
        final String inotify = "anon_inode:inotify";
        final String timerfd = "anon_inode:[timerfd]";
        final String v64 = lfs ? "64" : "";
        final String recvChk = lfs ? "__recv_chk" : "recv";

        final TraceRecords trace = run.records().withoutStdoutReport();
        assertEquals(List.of(), trace.warnings(), "every descriptor resolves");
        final List<JsonNode> calls = trace.calls();
        final long pid = TraceRecords.pid(calls.getFirst());
        final String abstractName = "unix:@iotrace-" + pid;

        // every call with its traced_filename, in order: "S0"/"S1" are the two ends of the latest socketpair,
        // "S" an unbound socket (its kernel name socket:[N], checked below)
        final Expected x = new Expected();
        final int pair = x.at("socketpair", "S0");
        x.add("write", "S0").add("read", "S1").add("send", "S1").add("recv", "S0").add("close", "S0").add("close", "S1");
        x.add("socket", "S").add("bind", unixPath).add("listen", unixPath).add("socket", "S").add("connect", unixPath);
        final int accept = x.at("accept", unixPath);
        x.add("write", unixPath).add("read", unixPath).add("close", unixPath).add("close", unixPath)
            .add("close", unixPath).add("unlink", data.resolve("s.sock").toString());
        x.add("open" + v64, passed).add("write", passed).add("socketpair", "S0");
        final int sendmsg = x.at("sendmsg", "S0");
        x.add("close", passed);
        final int recvmsg = x.at("recvmsg", "S1");
        final int pread = x.at("pread" + v64, passed);
        x.add("close", passed).add("close", "S0").add("close", "S1");
        x.add("socket", "S").add("setsockopt", "S");
        final int tcpBind = x.at("bind", tcpServer);
        x.add("getsockname", tcpServer).add("listen", tcpServer).add("socket", "S").add("connect", tcpServer);
        final int accept4 = x.at("accept4", tcpClient);
        final int tcpSend = x.at("send", tcpServer);
        x.add(recvChk, tcpClient).add("sockatmark", tcpClient).add("shutdown", tcpServer).add(recvChk, tcpClient).add("close", tcpClient)
            .add("close", tcpServer).add("socket", "S");
        final int nonBlocking = x.at("connect", tcpServer);
        x.add("close", tcpServer).add("close", tcpServer);
        final int refusedSocket = x.at("socket", "S");
        final int refused = x.at("connect", "S");
        x.add("close", "S");
        x.add("socket", "S").add("bind", udpReceiver).add("getsockname", udpReceiver).add("getsockopt", udpReceiver);
        final int sender = x.at("socket", "S");
        final int sendto = x.at("sendto", "S");
        x.add(lfs ? "__recvfrom_chk" : "recvfrom", udpReceiver).add("sendmmsg", "S").add("recvmmsg", udpReceiver)
            .add("sendmsg", "S").add("recvmsg", udpReceiver);
        final int senderClose = x.at("close", "S");
        x.add("close", udpReceiver);
        final int eventfdCall = x.at("eventfd", eventfd);
        x.add("write", eventfd).add("epoll_create1", epoll).add("epoll_ctl", epoll);
        final int epollWait = x.at("epoll_wait", epoll);
        x.add("read", eventfd).add("epoll_pwait", epoll);
        final int pwait2 = x.at("epoll_pwait2", epoll);
        x.add("eventfd_write", eventfd).add("eventfd_read", eventfd)
            .add("close", epoll).add("close", eventfd).add("epoll_create", epoll).add("close", epoll);
        final int memfdCall = x.at("memfd_create", memfd);
        x.add("write", memfd).add("mmap" + v64, memfd).add("munmap", memfd).add("close", memfd);
        x.add("inotify_init1", inotify);
        final int watch = x.at("inotify_add_watch", inotify);
        x.add("inotify_rm_watch", inotify).add("close", inotify).add("inotify_init", inotify).add("close", inotify);
        x.add("timerfd_create", timerfd).add("timerfd_settime", timerfd).add("timerfd_gettime", timerfd)
            .add("close", timerfd);
        x.add("signalfd", "anon_inode:[signalfd]").add("close", "anon_inode:[signalfd]");
        x.add("socket", "S").add("bind", abstractName).add("close", abstractName);
        final int bad = x.at("socket", "<not a file>");
        x.add("socket", "S");
        if (ipv6)
        {
            final String tcp6 = "tcp6:[::1]:" + ports[4];
            x.add("bind", tcp6).add("getsockname", tcp6).add("close", tcp6);
        }
        else
        {
            x.add("bind", "S").add("close", "S");
        }
        assertEquals(x.names, trace.callNames());

        // the kernel names of sockets: each socket (or socketpair end) has its own inode, kept until it is renamed
        String pairEnd0 = null;
        String pairEnd1 = null;
        String lastSocket = null;
        for (int i = 0; i < x.names.size(); i++)
        {
            final JsonNode call = calls.get(i);
            final String want = x.filenames.get(i);
            final String name = filename(call);
            switch (want)
            {
                case "S0", "S1" ->
                {
                    if ("socketpair".equals(functionName(call)))
                    {
                        pairEnd0 = text(call, "fd0_name");
                        pairEnd1 = text(call, "fd1_name");
                        assertTrue(pairEnd0.matches(SOCKET) && pairEnd1.matches(SOCKET), call.toString());
                        assertNotEquals(pairEnd0, pairEnd1, "two sockets, two inodes");
                    }
                    assertEquals("S0".equals(want) ? pairEnd0 : pairEnd1, name, i + ": " + call);
                }
                case "S" ->
                {
                    if ("socket".equals(functionName(call)))
                    {
                        assertNotEquals(lastSocket, name, "a new socket, a new inode");
                        lastSocket = name;
                        assertEquals(name, text(call, "fd_name"));
                    }
                    assertTrue(name.matches(SOCKET), i + ": " + call); // unbound: still its kernel name
                }
                default -> assertEquals(want, name, i + ": " + call);
            }
        }

        // socketpair: both ends, bytes
        assertEquals(List.of(3L, 4L), List.of(data(calls.get(pair), "fd0"), data(calls.get(pair), "fd1")));
        assertEquals(List.of(4L, 4L, 4L, 4L), List.of(data(calls.get(pair + 1), "written_bytes"),
            data(calls.get(pair + 2), "read_bytes"), data(calls.get(pair + 3), "written_bytes"),
            data(calls.get(pair + 4), "read_bytes")));

        // unix stream: the accepted connection (fd 5) is named by the server's address (the client has none)
        assertEquals(5, descriptor(calls.get(accept)));
        assertEquals(3, data(calls.get(accept), "fd"));
        assertEquals(unixPath, text(calls.get(accept), "sockaddr"));
        assertEquals(List.of(5L, 5L),
            List.of(data(calls.get(accept + 1), "written_bytes"), data(calls.get(accept + 2), "read_bytes")));

        // SCM_RIGHTS: fd 3 arrives as a discovery (how=received) right before the recvmsg, named as the file passed
        assertEquals(1, data(calls.get(sendmsg), "written_bytes"));
        assertEquals(1, data(calls.get(recvmsg), "received_fds"));
        assertEquals(1, data(calls.get(recvmsg), "read_bytes"));
        final List<JsonNode> all = trace.all();
        final JsonNode received = all.get(all.indexOf(calls.get(recvmsg)) - 1);
        assertEquals("fd_discovered", functionName(received));
        assertEquals("received", text(received, "how"));
        assertEquals(3, data(received, "fd"));
        assertEquals(passed, filename(received));
        assertEquals(11, data(calls.get(pread), "read_bytes"), "read through the received descriptor");

        // tcp: bound port, peer ports, bytes, eof, refused connect
        assertEquals(tcpServer, text(calls.get(tcpBind), "sockaddr"));
        assertEquals(5, descriptor(calls.get(accept4)));
        assertEquals(tcpClient, text(calls.get(accept4), "sockaddr"));
        assertEquals(3, data(calls.get(tcpSend), "written_bytes"));
        assertEquals(3, data(calls.get(tcpSend + 1), "read_bytes"));
        assertEquals("ok", state(calls.get(tcpSend + 2)), "sockatmark: not at the mark");
        assertEquals(1, data(calls.get(tcpSend + 3), "shutdown_how"));
        assertEquals("eof", state(calls.get(tcpSend + 4)));
        assertEquals(0, data(calls.get(tcpSend + 4), "read_bytes"));
        assertEquals("error", state(calls.get(refused)));
        assertEquals(111, errno(calls.get(refused)), "ECONNREFUSED");
        assertEquals(tcpServer, text(calls.get(refused), "sockaddr"));
        assertEquals(filename(calls.get(refusedSocket)), filename(calls.get(refused)),
            "a failed connect keeps the socket's name");

        final JsonNode inProgress = calls.get(nonBlocking);
        assertTrue("ok".equals(state(inProgress)) || 115 == errno(inProgress), "ok or EINPROGRESS: " + inProgress);

        // udp: datagram addresses and byte counts (mmsg: the sum of msg_len)
        assertEquals(udpReceiver, text(calls.get(sendto), "sockaddr"));
        assertEquals(8, data(calls.get(sendto), "written_bytes"));
        assertEquals(udpSender, text(calls.get(sendto + 1), "sockaddr"));
        assertEquals(8, data(calls.get(sendto + 1), "read_bytes"));
        assertEquals(List.of(2L, 8L),
            List.of(data(calls.get(sendto + 2), "messages"), data(calls.get(sendto + 2), "written_bytes")));
        assertEquals(List.of(2L, 8L),
            List.of(data(calls.get(sendto + 3), "messages"), data(calls.get(sendto + 3), "read_bytes")));
        assertEquals(udpReceiver, text(calls.get(sendto + 4), "sockaddr"));
        assertEquals(1, data(calls.get(sendto + 4), "written_bytes"));
        assertEquals(udpSender, text(calls.get(sendto + 5), "sockaddr"));
        assertEquals(List.of(1L, 0L),
            List.of(data(calls.get(sendto + 5), "read_bytes"), data(calls.get(sendto + 5), "received_fds")));
        assertEquals(filename(calls.get(sender)), filename(calls.get(senderClose)),
            "the unbound sender keeps its kernel name");

        // other descriptors: bytes through them, readiness, the memfd and its mapping, the watched directory
        assertEquals(List.of(8L, 8L),
            List.of(data(calls.get(eventfdCall + 1), "written_bytes"), data(calls.get(epollWait + 1), "read_bytes")));
        assertEquals(3, data(calls.get(epollWait - 1), "target_fd"));
        assertEquals(List.of(1L, 0L), List.of(data(calls.get(epollWait), "ready"), data(calls.get(epollWait + 2), "ready")));
        assertEquals(2, data(calls.get(pwait2 + 1), "eventfd_value"));
        final JsonNode pwait2Call = calls.get(pwait2);
        assertTrue("ok".equals(state(pwait2Call)) ? 0 == data(pwait2Call, "ready") : 38 == errno(pwait2Call),
            "0 ready, or ENOSYS before Linux 5.11: " + pwait2Call);
        assertEquals("iotrace-memfd", text(calls.get(memfdCall), "memfd_name"));
        assertEquals(6, data(calls.get(memfdCall + 1), "written_bytes"));
        assertEquals(data.toString(), text(calls.get(watch), "path"));
        assertEquals("error", state(calls.get(bad)));
        assertEquals(22, errno(calls.get(bad)), "EINVAL");

        // every other call succeeded
        final List<Integer> failed = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++)
        {
            if ("error".equals(state(calls.get(i))))
            {
                failed.add(i);
            }
        }
        failed.remove((Integer)nonBlocking);
        failed.remove((Integer)pwait2);
        assertEquals(ipv6 ? List.of(refused, bad) : List.of(refused, bad, bad + 2), failed);
    }

    private static String text(final JsonNode record, final String field)
    {
        return record.path("function_data").path(field).asText();
    }

    /** The expected calls: function names and traced_filenames in order. */
    private static final class Expected
    {
        final List<String> names = new ArrayList<>();
        final List<String> filenames = new ArrayList<>();

        Expected add(final String function, final String filename)
        {
            names.add(function);
            filenames.add(filename);
            return this;
        }

        /** @return the index of the call added. */
        int at(final String function, final String filename)
        {
            add(function, filename);
            return names.size() - 1;
        }
    }
}
