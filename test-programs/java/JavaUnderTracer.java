import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Java program under the tracer (issue 8): file I/O through FileOutputStream (one write(2) per call), and the
 * JVM's own SIGSEGV handling (stack overflow guard pages, implicit null checks in compiled code) must keep working.
 * Usage: java JavaUnderTracer.java DIR WRITES  — prints "writes W bytes B npe N soe S".
 */
public class JavaUnderTracer {
    static int depth;

    static void recurse() {
        depth++;
        recurse();
    }

    static int length(String s) {
        return s.length();
    }

    public static void main(String[] args) throws IOException {
        final Path dir = Path.of(args[0]);
        final int writes = Integer.parseInt(args[1]);
        final byte[] block = new byte[100];
        try (FileOutputStream out = new FileOutputStream(dir.resolve("java.dat").toFile())) {
            for (int i = 0; i < writes; i++) {
                out.write(block);
            }
        }
        final long bytes = Files.size(dir.resolve("java.dat"));
        int npe = 0;
        final String[] values = {"a", null};
        for (int i = 0; i < 200_000; i++) {
            try {
                length(values[i & 1]);
            } catch (NullPointerException e) {
                npe++;
            }
        }
        int soe = 0;
        for (int i = 0; i < 3; i++) {
            try {
                recurse();
            } catch (StackOverflowError e) {
                soe++;
            }
        }
        System.out.println("writes " + writes + " bytes " + bytes + " npe " + npe + " soe " + soe);
    }
}
