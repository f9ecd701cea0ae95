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
        final String unixPath = "unix:" + data.resolve("s.sock");
        final String passed = data.resolve("passed.txt").toString();
        final String v64 = lfs ? "64" : "";
        final String recvChk = lfs ? "__recv_chk" : "recv";

        final TraceRecords trace = run.records();
        assertEquals(List.of(), trace.warnings(), "every descriptor resolves");
        final List<JsonNode> calls = trace.calls();
        final long pid = TraceRecords.pid(calls.getFirst());
        // traced_filename of each call; "socket:[N]" stands for an unbound socket's kernel name (checked below)
        final List<List<String>> expected = List.of(
            // socketpair
            List.of("socketpair", "S0"), List.of("write", "S0"), List.of("read", "S1"), List.of("send", "S1"),
            List.of("recv", "S0"), List.of("close", "S0"), List.of("close", "S1"),
            // unix stream
            List.of("socket", "S"), List.of("bind", unixPath), List.of("listen", unixPath), List.of("socket", "S"),
            List.of("connect", unixPath), List.of("accept", unixPath), List.of("write", unixPath),
            List.of("read", unixPath), List.of("close", unixPath), List.of("close", unixPath),
            List.of("close", unixPath), List.of("unlink", data.resolve("s.sock").toString()),
            // SCM_RIGHTS
            List.of("open" + v64, passed), List.of("write", passed), List.of("socketpair", "S0"),
            List.of("sendmsg", "S0"), List.of("close", passed), List.of("recvmsg", "S1"),
            List.of("pread" + v64, passed), List.of("close", passed), List.of("close", "S0"), List.of("close", "S1"),
            // tcp
            List.of("socket", "S"), List.of("bind", tcpServer), List.of("getsockname", tcpServer),
            List.of("listen", tcpServer), List.of("socket", "S"), List.of("connect", tcpServer),
            List.of("accept4", tcpClient), List.of("send", tcpServer), List.of(recvChk, tcpClient),
            List.of("shutdown", tcpServer), List.of(recvChk, tcpClient), List.of("close", tcpClient),
            List.of("close", tcpServer), List.of("close", tcpServer),
            List.of("socket", "S"), List.of("connect", "S"), List.of("close", "S"),
            // udp
            List.of("socket", "S"), List.of("bind", udpReceiver), List.of("getsockname", udpReceiver),
            List.of("socket", "S"), List.of("sendto", "S"), List.of(lfs ? "__recvfrom_chk" : "recvfrom", udpReceiver),
            List.of("sendmmsg", "S"), List.of("recvmmsg", udpReceiver), List.of("sendmsg", "S"),
            List.of("recvmsg", udpReceiver), List.of("close", "S"), List.of("close", udpReceiver),
            // other descriptors
            List.of("eventfd", "anon_inode:[eventfd]"), List.of("write", "anon_inode:[eventfd]"),
            List.of("read", "anon_inode:[eventfd]"), List.of("close", "anon_inode:[eventfd]"),
            List.of("memfd_create", "/memfd:iotrace-memfd (deleted)"),
            List.of("write", "/memfd:iotrace-memfd (deleted)"), List.of("mmap" + v64, "/memfd:iotrace-memfd (deleted)"),
            List.of("munmap", "/memfd:iotrace-memfd (deleted)"), List.of("close", "/memfd:iotrace-memfd (deleted)"),
            List.of("epoll_create1", "anon_inode:[eventpoll]"), List.of("close", "anon_inode:[eventpoll]"),
            List.of("inotify_init1", "anon_inode:inotify"), List.of("close", "anon_inode:inotify"),
            List.of("timerfd_create", "anon_inode:[timerfd]"), List.of("close", "anon_inode:[timerfd]"),
            List.of("signalfd", "anon_inode:[signalfd]"), List.of("close", "anon_inode:[signalfd]"),
            List.of("socket", "S"), List.of("bind", "unix:@iotrace-" + pid), List.of("close", "unix:@iotrace-" + pid),
            List.of("socket", "<not a file>"));
        assertEquals(expected.stream().map(List::getFirst).toList(), trace.callNames());

        // the kernel names of sockets: each socket (or socketpair end) has its own inode, kept until it is renamed
        String pairEnd0 = null;
        String pairEnd1 = null;
        String lastSocket = null;
        for (int i = 0; i < expected.size(); i++)
        {
            final JsonNode call = calls.get(i);
            final String want = expected.get(i).get(1);
            final String name = filename(call);
            switch (want)
            {
                case "S0", "S1" ->
                {
                    if ("socketpair".equals(functionName(call)))
                    {
                        pairEnd0 = call.path("function_data").path("fd0_name").asText();
                        pairEnd1 = call.path("function_data").path("fd1_name").asText();
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
                        assertEquals(name, call.path("function_data").path("fd_name").asText());
                    }
                    assertTrue(name.matches(SOCKET), i + ": " + call); // unbound: still its kernel name
                }
                default -> assertEquals(want, name, i + ": " + call);
            }
        }

        // socketpair: both ends, bytes
        final JsonNode pair = calls.get(0);
        assertEquals(List.of(3L, 4L), List.of(data(pair, "fd0"), data(pair, "fd1")));
        assertEquals(List.of(4L, 4L, 4L, 4L), List.of(data(calls.get(1), "written_bytes"),
            data(calls.get(2), "read_bytes"), data(calls.get(3), "written_bytes"), data(calls.get(4), "read_bytes")));

        // unix stream: the accepted connection (fd 5) is named by the server's address (the client has none)
        final JsonNode accept = calls.get(12);
        assertEquals(5, descriptor(accept));
        assertEquals(3, data(accept, "fd"));
        assertEquals(unixPath, accept.path("function_data").path("sockaddr").asText());
        assertEquals(List.of(5L, 5L), List.of(data(calls.get(13), "written_bytes"), data(calls.get(14), "read_bytes")));

        // SCM_RIGHTS: fd 3 arrives as a discovery (how=received) right before the recvmsg, named as the file passed
        final JsonNode recvmsg = calls.get(24);
        assertEquals(1, data(calls.get(22), "written_bytes"));
        assertEquals(1, data(recvmsg, "received_fds"));
        assertEquals(1, data(recvmsg, "read_bytes"));
        final List<JsonNode> all = trace.all();
        final JsonNode received = all.get(all.indexOf(recvmsg) - 1);
        assertEquals("fd_discovered", functionName(received));
        assertEquals("received", received.path("function_data").path("how").asText());
        assertEquals(3, data(received, "fd"));
        assertEquals(passed, filename(received));
        assertEquals(11, data(calls.get(25), "read_bytes"), "read through the received descriptor");

        // tcp: bound port, peer ports, bytes, eof, refused connect
        assertEquals(tcpServer, calls.get(30).path("function_data").path("sockaddr").asText());
        assertEquals(5, descriptor(calls.get(35)));
        assertEquals(tcpClient, calls.get(35).path("function_data").path("sockaddr").asText());
        assertEquals(3, data(calls.get(36), "written_bytes"));
        assertEquals(3, data(calls.get(37), "read_bytes"));
        assertEquals(1, data(calls.get(38), "shutdown_how"));
        assertEquals("eof", state(calls.get(39)));
        assertEquals(0, data(calls.get(39), "read_bytes"));
        final JsonNode refused = calls.get(44);
        assertEquals("error", state(refused));
        assertEquals(111, errno(refused), "ECONNREFUSED");
        assertEquals(tcpServer, refused.path("function_data").path("sockaddr").asText());
        assertEquals(filename(calls.get(43)), filename(refused), "a failed connect keeps the socket's name");

        // udp: datagram addresses and byte counts (mmsg: the sum of msg_len)
        final JsonNode sendto = calls.get(50);
        assertEquals(udpReceiver, sendto.path("function_data").path("sockaddr").asText());
        assertEquals(8, data(sendto, "written_bytes"));
        final JsonNode recvfrom = calls.get(51);
        assertEquals(udpSender, recvfrom.path("function_data").path("sockaddr").asText());
        assertEquals(8, data(recvfrom, "read_bytes"));
        assertEquals(List.of(2L, 8L), List.of(data(calls.get(52), "messages"), data(calls.get(52), "written_bytes")));
        assertEquals(List.of(2L, 8L), List.of(data(calls.get(53), "messages"), data(calls.get(53), "read_bytes")));
        assertEquals(udpReceiver, calls.get(54).path("function_data").path("sockaddr").asText());
        assertEquals(1, data(calls.get(54), "written_bytes"));
        assertEquals(udpSender, calls.get(55).path("function_data").path("sockaddr").asText());
        assertEquals(List.of(1L, 0L), List.of(data(calls.get(55), "read_bytes"), data(calls.get(55), "received_fds")));
        assertEquals(filename(calls.get(49)), filename(calls.get(56)), "the unbound sender keeps its kernel name");

        // other descriptors: bytes through them, the memfd mapping
        assertEquals(List.of(8L, 8L), List.of(data(calls.get(59), "written_bytes"), data(calls.get(60), "read_bytes")));
        assertEquals("iotrace-memfd", calls.get(62).path("function_data").path("memfd_name").asText());
        assertEquals(6, data(calls.get(63), "written_bytes"));
        final JsonNode bad = calls.get(expected.size() - 1);
        assertEquals("error", state(bad));
        assertEquals(22, errno(bad), "EINVAL");

        // every record on a descriptor: ok except the two expected failures
        final List<Integer> failed = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++)
        {
            if ("error".equals(state(calls.get(i))))
            {
                failed.add(i);
            }
        }
        assertEquals(List.of(44, expected.size() - 1), failed);
    }
}
