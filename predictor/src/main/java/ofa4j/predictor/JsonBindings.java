package ofa4j.predictor;

import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import ofa4j.models.ArchConfig;
import ofa4j.models.SpaceJson;

/**
 * Gson bindings for the record components of this module's files that are not plain records: a
 * search space and an architecture keep the JSON form {@code models} gives them ({@link SpaceJson},
 * {@link ArchConfig#toJsonTree()}), and a figure that may be undefined (a rank correlation of
 * constant predictions, an error with nothing to fit) is written as {@code null}, since strict JSON
 * has no NaN. Used through {@code @JsonAdapter} on the component.
 */
final class JsonBindings {

    private JsonBindings() {}

    /**
     * Checks the header of a file identified by {@code format} and {@code version} keys (device
     * profiles, ridge predictors, profiling kits); files of this module's other kind carry {@code
     * format_version} and use {@link ofa4j.models.JsonFiles#checkVersion}.
     *
     * @param expected the format name this file must have
     * @param format the format name found
     * @param version the version found
     * @param oldest oldest version read
     * @param newest newest version read (the one written)
     * @throws IllegalArgumentException naming the key, the value found and the values read
     */
    static void checkFormat(String expected, String format, int version, int oldest, int newest) {
        if (!expected.equals(format)) {
            throw new IllegalArgumentException("'format' must be '" + expected + "', found "
                    + (format == null ? "nothing" : "'" + format + "'"));
        }
        if (version < oldest || version > newest) {
            throw new IllegalArgumentException("format version " + version + " is not read by this build (it reads "
                    + (oldest == newest ? "version " + newest : "versions " + oldest + "-" + newest) + ")");
        }
    }



    /**
     * A {@code double} that may be undefined: NaN and infinities are written as an explicit
     * {@code null}, and {@code null} reads back as NaN (a missing key would read as 0). Use with
     * {@code @JsonAdapter(value = JsonBindings.NanAsNull.class, nullSafe = false)}.
     */
    static final class NanAsNull extends TypeAdapter<Double> {
        @Override
        public void write(JsonWriter out, Double v) throws IOException {
            if (v == null || !Double.isFinite(v)) {
                boolean nulls = out.getSerializeNulls();
                out.setSerializeNulls(true);
                out.nullValue();
                out.setSerializeNulls(nulls);
            } else {
                out.value(v.doubleValue());
            }
        }

        @Override
        public Double read(JsonReader in) throws IOException {
            if (in.peek() == JsonToken.NULL) {
                in.nextNull();
                return Double.NaN;
            }
            return in.nextDouble();
        }
    }
}
