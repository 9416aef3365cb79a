package ofa4j.predictor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ofa4j.models.SearchSpace;

/**
 * An accuracy dataset on disk: a JSON-lines file, one {@link AccuracySample} per line, written
 * row by row (each row flushed and forced to disk) so that a killed build loses at most the row
 * being written. A last line without its newline is a row cut short by a kill: readers ignore it
 * and {@link #openForAppend(Path)} cuts it off before appending.
 *
 * <p>Rows are unique by {@link AccuracySample#key()}; a duplicate key is an error.
 */
public final class AccuracyDataset implements AutoCloseable {

    private final Path file;
    private final FileChannel channel;
    private final Map<String, AccuracySample> rows;

    private AccuracyDataset(Path file, FileChannel channel, Map<String, AccuracySample> rows) {
        this.file = file;
        this.channel = channel;
        this.rows = rows;
    }

    /**
     * Reads every complete row of a dataset file (an empty or missing file gives no rows).
     *
     * @param file the JSONL file
     * @param space if not null, each architecture is validated against this space
     * @return the rows, in file order
     * @throws IOException if a complete line is not a valid row, naming the file and line number, or
     *     if a key repeats
     */
    public static List<AccuracySample> read(Path file, SearchSpace space) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        return new ArrayList<>(parse(file, space).rows.values());
    }

    /**
     * Reads a dataset that must hold at least {@code minRows} rows (for fitting predictors).
     *
     * @param file the JSONL file
     * @param space if not null, each architecture is validated against this space
     * @param minRows the fewest rows accepted
     * @return the rows
     * @throws IOException if the file is missing, corrupt or has fewer rows, naming the file
     */
    public static List<AccuracySample> load(Path file, SearchSpace space, int minRows) throws IOException {
        if (!Files.exists(file)) {
            throw new IOException("accuracy dataset " + file + " does not exist");
        }
        List<AccuracySample> rows = read(file, space);
        if (rows.size() < minRows) {
            throw new IOException(
                    "accuracy dataset " + file + " has " + rows.size() + " complete rows, at least " + minRows
                            + " needed" + (rows.isEmpty() ? " (the file is empty)" : ""));
        }
        return rows;
    }

    private record Parsed(Map<String, AccuracySample> rows, long goodBytes) {}

    private static Parsed parse(Path file, SearchSpace space) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        Map<String, AccuracySample> rows = new LinkedHashMap<>();
        int start = 0;
        int lineNo = 0;
        long good = 0;
        while (start < bytes.length) {
            int nl = start;
            while (nl < bytes.length && bytes[nl] != '\n') {
                nl++;
            }
            lineNo++;
            if (nl == bytes.length) {
                // no newline: a row cut short by a kill; ignored (and cut off before appending)
                break;
            }
            String line = utf8(file, bytes, start, nl - start, lineNo).strip();
            if (!line.isEmpty()) {
                AccuracySample s = parseRow(file, lineNo, line, space);
                if (rows.putIfAbsent(s.key(), s) != null) {
                    throw new IOException(
                            "accuracy dataset " + file + " line " + lineNo + ": duplicate key " + s.key());
                }
            }
            start = nl + 1;
            good = start;
        }
        return new Parsed(rows, good);
    }

    /** One complete line, decoded strictly: a byte that is not UTF-8 is named, not replaced. */
    private static String utf8(Path file, byte[] bytes, int start, int length, int lineNo) throws IOException {
        java.nio.charset.CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, start, length);
        try {
            return dec.decode(in).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            int at = in.position();
            throw new IOException("accuracy dataset " + file + " line " + lineNo + " is not UTF-8 text: byte 0x"
                    + String.format("%02x", bytes[Math.min(at, bytes.length - 1)] & 0xff) + " at offset " + at);
        }
    }

    private static AccuracySample parseRow(Path file, int lineNo, String line, SearchSpace space)
            throws IOException {
        String where = "accuracy dataset " + file + " line " + lineNo;
        AccuracySample s = AccuracySample.fromLine(line, where);
        if (space != null) {
            try {
                space.validate(s.arch());
            } catch (IllegalArgumentException e) {
                throw new IOException(where + ": " + e.getMessage(), e);
            }
        }
        return s;
    }

    /**
     * Opens a dataset for appending, creating it if missing; existing rows are read (and a row cut
     * short at the end is removed) so that callers can skip the keys already measured.
     *
     * @param file the JSONL file
     * @return the open dataset; close it when done
     * @throws IOException if the existing content is corrupt (naming file and line)
     */
    public static AccuracyDataset openForAppend(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        if (abs.getParent() != null) {
            Files.createDirectories(abs.getParent());
        }
        Parsed p = Files.exists(abs) ? parse(abs, null) : new Parsed(new LinkedHashMap<>(), 0);
        FileChannel ch = FileChannel.open(abs, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            if (ch.size() > p.goodBytes()) {
                ch.truncate(p.goodBytes());
            }
            ch.position(p.goodBytes());
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new AccuracyDataset(abs, ch, p.rows());
    }

    /** @return the file */
    public Path file() {
        return file;
    }

    /** @return the rows read or appended so far, by key (unmodifiable view) */
    public Map<String, AccuracySample> rows() {
        return Collections.unmodifiableMap(rows);
    }

    /**
     * @param key an architecture key
     * @return whether a row with this key exists
     */
    public boolean contains(String key) {
        return rows.containsKey(key);
    }

    /**
     * Appends one row and forces it to disk.
     *
     * @param sample the row
     * @throws IOException if writing fails
     * @throws IllegalArgumentException if the key is already present
     */
    public synchronized void append(AccuracySample sample) throws IOException {
        if (rows.containsKey(sample.key())) {
            throw new IllegalArgumentException("accuracy dataset " + file + " already has key " + sample.key());
        }
        byte[] line = (sample.toLine() + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.wrap(line);
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
        channel.force(false);
        rows.put(sample.key(), sample);
    }

    /** Closes the file. */
    @Override
    public void close() throws IOException {
        channel.close();
    }
}
