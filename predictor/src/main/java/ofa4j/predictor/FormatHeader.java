package ofa4j.predictor;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;

/** Reads the JSON object of a versioned predictor file and checks its {@code format} and {@code version}. */
final class FormatHeader {

    private FormatHeader() {}

    /**
     * Parses {@code text} and checks its header.
     *
     * @param text the file's text
     * @param where message prefix naming the file and the expected format
     * @param format expected value of {@code format}
     * @param version expected value of {@code version}
     * @return the JSON object
     * @throws IOException naming the file when it is not an object of that format and version
     */
    static JsonObject read(String text, String where, String format, int version) throws IOException {
        return read(text, where, format, version, version);
    }

    /**
     * Parses {@code text} and checks its header, accepting a range of versions.
     *
     * @param text the file's text
     * @param where message prefix naming the file and the expected format
     * @param format expected value of {@code format}
     * @param minVersion oldest version read
     * @param maxVersion newest version read
     * @return the JSON object
     * @throws IOException naming the file when it is not an object of that format and version
     */
    static JsonObject read(String text, String where, String format, int minVersion, int maxVersion) throws IOException {
        JsonElement e = JsonParser.parseString(text);
        if (!e.isJsonObject()) {
            throw new IOException(where + "not a JSON object");
        }
        JsonObject o = e.getAsJsonObject();
        String fmt = o.has("format") ? o.get("format").getAsString() : null;
        if (!format.equals(fmt)) {
            throw new IOException(where + "format is '" + fmt + "'");
        }
        int v = o.get("version").getAsInt();
        if (v < minVersion || v > maxVersion) {
            throw new IOException(where + "unsupported version " + v
                    + (minVersion == maxVersion ? "" : " (versions " + minVersion + "-" + maxVersion + " are read)"));
        }
        return o;
    }
}
