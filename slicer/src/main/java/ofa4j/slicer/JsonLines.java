package ofa4j.slicer;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/** Append-only JSON-lines files that survive a kill: a last line cut short is dropped before appending. */
final class JsonLines {

    private JsonLines() {}

    /**
     * Drops a last line that has no line end (a write cut short by a kill), so that the next line
     * appended starts a line of its own.
     *
     * @param file the file; nothing happens when it does not exist
     * @return bytes dropped
     * @throws IOException if the file cannot be read or truncated
     */
    static long repairTail(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return 0;
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long len = f.length();
            long end = len;
            while (end > 0) {
                f.seek(end - 1);
                if (f.read() == '\n') {
                    break;
                }
                end--;
            }
            if (end < len) {
                f.setLength(end);
            }
            return len - end;
        }
    }
}
