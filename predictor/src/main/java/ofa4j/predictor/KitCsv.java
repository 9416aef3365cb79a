package ofa4j.predictor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import ofa4j.models.AtomicFiles;
import ofa4j.models.JsonFiles;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

/**
 * The CSV files of a profiling kit ({@code manifest.csv}, and the {@code timings.csv} a device sends
 * back), read and written with Apache Commons CSV: RFC 4180 quoting, CRLF or LF line ends, a UTF-8
 * byte-order mark (spreadsheets write one) ignored, blank lines and {@code #} comment lines skipped.
 * Each row keeps its file and line so that a bad value is reported as {@code file line L column C
 * (name)}.
 */
final class KitCsv {

    /** Comma separated, LF line ends, quotes only where needed, comments with {@code #}. */
    private static final CSVFormat FORMAT = CSVFormat.DEFAULT.builder()
            .setRecordSeparator('\n')
            .setCommentMarker('#')
            .setIgnoreEmptyLines(true)
            .setIgnoreSurroundingSpaces(true)
            .get();

    private KitCsv() {}

    /**
     * One row of a CSV file.
     *
     * @param file the file
     * @param line line of the file the row starts on (1-based)
     * @param columns the column names (the header, or the expected names when it has none)
     * @param values the values, stripped
     */
    record Row(Path file, long line, List<String> columns, List<String> values) {

        /**
         * @param column 0-based column
         * @return the value in that column
         */
        String get(int column) {
            return values.get(column);
        }

        /**
         * @param column 0-based column
         * @param message what is wrong with its value
         * @return an exception naming the file, line and column
         */
        IOException error(int column, String message) {
            return new IOException(file + " line " + line + " column " + (column + 1) + " (" + columns.get(column)
                    + "): " + message);
        }
    }

    /**
     * Reads a CSV file whose rows have the given columns.
     *
     * @param file the file
     * @param columns the column names
     * @param headerRequired whether the first row must be exactly these names; otherwise a first row
     *     whose first value is the first name (case ignored) is taken as the header and skipped
     * @return the data rows, each with exactly {@code columns.size()} values
     * @throws IOException naming the file, and the line of a row with a wrong number of values or
     *     of a wrong header
     */
    static List<Row> read(Path file, List<String> columns, boolean headerRequired) throws IOException {
        String text = JsonFiles.readText(file);
        long[] lineStarts = lineStarts(text);
        List<Row> out = new ArrayList<>();
        try (CSVParser p = CSVParser.parse(text, FORMAT)) {
            boolean first = true;
            for (CSVRecord r : p) {
                long line = firstLineOf(text, lineStarts, r.getCharacterPosition());
                List<String> values = r.stream().map(String::strip).toList();
                if (first) {
                    first = false;
                    if (headerRequired && !values.equals(columns)) {
                        throw new IOException(file + " line " + line + ": expected the header " + String.join(",", columns)
                                + ", found " + String.join(",", values));
                    }
                    if (headerRequired || values.get(0).equalsIgnoreCase(columns.get(0))) {
                        continue;
                    }
                }
                if (values.size() != columns.size()) {
                    throw new IOException(file + " line " + line + ": expected " + columns.size() + " values ("
                            + String.join(",", columns) + "), found " + values.size() + ": " + r);
                }
                out.add(new Row(file, line, columns, values));
            }
        } catch (UncheckedIOException e) { // Commons CSV's iterator wraps a malformed row, e.g. an open quote
            throw new IOException(file + " is not valid CSV: " + e.getCause().getMessage(), e);
        }
        if (headerRequired && out.isEmpty() && text.isBlank()) {
            throw new IOException(file + " is empty, expected the header " + String.join(",", columns));
        }
        return out;
    }

    /**
     * Writes a CSV file atomically, with a header row.
     *
     * @param file the target
     * @param columns the header
     * @param rows the rows
     * @throws IOException if writing fails
     */
    static void write(Path file, List<String> columns, List<List<String>> rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (CSVPrinter out = new CSVPrinter(sb, FORMAT)) {
            out.printRecord(columns);
            for (List<String> r : rows) {
                out.printRecord(r);
            }
        }
        AtomicFiles.writeString(file, sb.toString());
    }

    /** Offsets at which lines start; a line ends at LF, CR LF or a lone CR, as in Commons CSV. */
    private static long[] lineStarts(String text) {
        List<Long> starts = new ArrayList<>();
        starts.add(0L);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' || (c == '\r' && (i + 1 == text.length() || text.charAt(i + 1) != '\n'))) {
                starts.add((long) i + 1);
            }
        }
        return starts.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * The line a record starts on: Commons CSV gives the offset where it began reading the record,
     * which may be a blank or comment line before it; those are skipped here.
     */
    private static long firstLineOf(String text, long[] lineStarts, long offset) {
        int i = Arrays.binarySearch(lineStarts, offset);
        int line = i >= 0 ? i : -i - 2;
        while (line + 1 < lineStarts.length) {
            String content = text.substring((int) lineStarts[line], (int) lineStarts[line + 1]).strip();
            if (!content.isEmpty() && !content.startsWith("#")) {
                break;
            }
            line++;
        }
        return line + 1L;
    }
}
