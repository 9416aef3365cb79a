package ofa4j.models;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.Strictness;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The one reader and writer of ofa4j's JSON files. Every file is a Java record bound by Gson:
 * component {@code lutMs} is key {@code lut_ms}; each record carries its own format version, and
 * its compact constructor checks the values, so a bad file fails while it is read, naming itself.
 */
public final class JsonFiles {

    /** snake_case keys, strict JSON (no NaN, no comments), no HTML escaping, on one line. */
    public static final Gson COMPACT = new GsonBuilder()
            .setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
            .setStrictness(Strictness.STRICT)
            .disableHtmlEscaping()
            .create();

    /** The same binding, pretty-printed, for files people read. */
    public static final Gson GSON = COMPACT.newBuilder().setPrettyPrinting().create();

    private JsonFiles() {}

    /**
     * Reads a file as UTF-8 text, refusing malformed bytes (Java's default decoder would report
     * only "Input length = 1", naming neither the file nor the place).
     *
     * @param file the file
     * @return its text
     * @throws IOException naming the file and the byte offset of the first malformed byte
     */
    public static String readText(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            String s = dec.decode(in).toString();
            return s.startsWith("\uFEFF") ? s.substring(1) : s;
        } catch (MalformedInputException e) {
            int at = in.position();
            throw new IOException(file + " is not UTF-8 text: byte 0x"
                    + String.format("%02x", bytes[Math.min(at, bytes.length - 1)] & 0xff) + " at offset " + at);
        } catch (CharacterCodingException e) {
            throw new IOException(file + " is not UTF-8 text: " + e);
        }
    }

    /**
     * Reads one JSON file into a record.
     *
     * @param file the file
     * @param type the record type
     * @param <T> the type
     * @return the value
     * @throws IOException naming the file when it is unreadable, not JSON, or has a bad value
     */
    public static <T> T read(Path file, Class<T> type) throws IOException {
        return parse(readText(file), type, file.toString());
    }

    /**
     * Binds JSON text to a record.
     *
     * @param text the JSON text
     * @param type the record type
     * @param where names the source in messages (a file, "request body")
     * @param <T> the type
     * @return the value
     * @throws IOException naming {@code where} when the text is not JSON of that shape or a value
     *     is refused by the record
     */
    public static <T> T parse(String text, Class<T> type, String where) throws IOException {
        T value;
        try {
            value = GSON.fromJson(text, type);
        } catch (RuntimeException e) { // Gson wraps a record constructor's refusal in a plain RuntimeException
            throw new IOException(where + ": " + reason(e), e);
        }
        if (value == null) {
            throw new IOException(where + ": empty, expected a JSON object");
        }
        return value;
    }

    /**
     * Reads a JSON-lines file, one record per non-blank line.
     *
     * @param file the file
     * @param type the record type
     * @param <T> the type
     * @return the values in file order
     * @throws IOException naming the file and line of the first bad line
     */
    public static <T> List<T> readLines(Path file, Class<T> type) throws IOException {
        List<T> out = new ArrayList<>();
        String[] lines = readText(file).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (!line.isEmpty()) {
                out.add(parse(line, type, file + " line " + (i + 1)));
            }
        }
        return out;
    }

    /**
     * Writes a record as pretty JSON, atomically (temporary file, then rename).
     *
     * @param file the target
     * @param value the record
     * @throws IOException if writing fails; the previous file stays
     */
    public static void write(Path file, Object value) throws IOException {
        AtomicFiles.writeString(file, GSON.toJson(value) + "\n");
    }

    /**
     * @param value a record
     * @return its JSON on one line
     */
    public static String toLine(Object value) {
        return COMPACT.toJson(value);
    }

    /**
     * Refuses a format version this build cannot read.
     *
     * @param where names the file
     * @param found the version in the file
     * @param oldest the oldest version read
     * @param newest the newest version read (the one written)
     */
    public static void checkVersion(String where, int found, int oldest, int newest) {
        if (found < oldest || found > newest) {
            throw new IllegalArgumentException(where + " has format_version " + found + "; this build reads "
                    + (oldest == newest ? "version " + newest : "versions " + oldest + "-" + newest));
        }
    }

    /**
     * Refuses a missing value in a record's compact constructor.
     *
     * @param value the value
     * @param name the JSON key
     * @param <T> the type
     * @return the value
     */
    public static <T> T required(T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException("'" + name + "' is missing");
        }
        return value;
    }

    /**
     * Why binding failed: a record's own refusal (its compact constructor, wrapped by Gson) is the
     * clearest message; else Gson's own, which has the path.
     *
     * @param e what Gson threw
     * @return the message to show
     */
    public static String reason(Throwable e) {
        Throwable t = rootCause(e);
        Throwable pick = t instanceof IllegalArgumentException && t != e ? t : e;
        String m = pick.getMessage();
        return m == null ? pick.getClass().getSimpleName() : oneLine(m);
    }

    /**
     * @param e an exception
     * @return the message of its innermost cause (its class name when it has none)
     */
    public static String rootMessage(Throwable e) {
        Throwable t = rootCause(e);
        return t.getMessage() == null ? t.getClass().getSimpleName() : oneLine(t.getMessage());
    }

    /** Gson's hint for malformed input, which names an API rather than the problem. */
    private static final String GSON_LENIENT_HINT = "Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON";

    /**
     * A message as one line for people: Gson's second line (a link to its troubleshooting page), a
     * wrapped exception's class name in front and its hint to parse leniently are dropped, e.g.
     * {@code malformed JSON at line 1 column 9 path $.key}.
     */
    private static String oneLine(String m) {
        int nl = m.indexOf('\n');
        String s = (nl >= 0 ? m.substring(0, nl) : m).strip();
        s = s.replaceFirst("^(?:[a-z][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error): ", "");
        s = s.replace(GSON_LENIENT_HINT, "malformed JSON").replaceFirst("^End of input at ", "the JSON ends early at ");
        java.util.regex.Matcher t = GSON_TOKENS.matcher(s);
        if (t.lookingAt()) {
            s = "expected " + token(t.group(1)) + ", found " + token(t.group(2)) + s.substring(t.end());
        }
        return s;
    }

    /** Gson's "Expected BEGIN_OBJECT but was BEGIN_ARRAY": a value of the wrong kind. */
    private static final java.util.regex.Pattern GSON_TOKENS = java.util.regex.Pattern.compile("Expected (an? \\w+|[A-Z_]+) but was ([A-Z_]+)");

    private static String token(String gsonToken) {
        return switch (gsonToken) {
            case "BEGIN_OBJECT" -> "a JSON object";
            case "BEGIN_ARRAY" -> "an array";
            case "STRING" -> "a string";
            case "NUMBER" -> "a number";
            case "BOOLEAN" -> "true or false";
            case "NULL" -> "null";
            case "NAME" -> "a key";
            case "END_DOCUMENT" -> "the end of the text";
            default -> gsonToken; // already words: "a string", "an int"
        };
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
