package ofa4j.predictor;

import com.google.gson.annotations.JsonAdapter;
import java.io.IOException;
import ofa4j.models.ArchConfig;
import ofa4j.models.JsonFiles;

/**
 * One row of an accuracy dataset: a subnet and its measured top-1 accuracy on the validation split.
 *
 * @param key the subnet's {@link ArchConfig#key()} (rows are unique by key)
 * @param arch the subnet
 * @param accuracy measured top-1 validation accuracy, fraction in [0, 1]
 * @param macs multiply-accumulates per image from the cost model
 */
public record AccuracySample(String key, ArchConfig arch, double accuracy, long macs) {

    /** Checks the key and the accuracy range. */
    public AccuracySample {
        if (arch == null) {
            throw new IllegalArgumentException("accuracy sample needs an architecture");
        }
        if (key == null || !key.equals(arch.key())) {
            throw new IllegalArgumentException(
                    "accuracy sample key '" + key + "' does not match its architecture's key '" + arch.key() + "'");
        }
        if (!(accuracy >= 0 && accuracy <= 1)) {
            throw new IllegalArgumentException(
                    "accuracy of " + key + " must be a fraction in [0, 1], found " + accuracy);
        }
        if (macs < 0) {
            throw new IllegalArgumentException("MACs of " + key + " must be >= 0, found " + macs);
        }
    }

    /**
     * Creates a sample keyed by the architecture.
     *
     * @param arch the subnet
     * @param accuracy top-1 fraction
     * @param macs MACs per image
     * @return the sample
     */
    public static AccuracySample of(ArchConfig arch, double accuracy, long macs) {
        return new AccuracySample(arch.key(), arch, accuracy, macs);
    }

    /** @return the input resolution in pixels */
    public int resolution() {
        return arch.resolution();
    }

    // ------------------------------------------------------------------ files

    /**
     * One line of {@code accuracy.jsonl} and {@code measured.jsonl}: {@code
     * {"key":..,"arch":{..},"resolution":..,"accuracy":..,"macs":..}}. The resolution repeats the
     * architecture's, for people and tools reading the table.
     *
     * @param key the architecture key
     * @param arch the architecture
     * @param resolution its input resolution, px
     * @param accuracy top-1 validation accuracy, fraction
     * @param macs MACs per image
     */
    record Row(
            String key,
            @JsonAdapter(ArchConfig.Adapter.class) ArchConfig arch,
            Integer resolution,
            Double accuracy,
            Long macs) {

        /** Checks that every key is there and that the resolution is the architecture's. */
        Row {
            JsonFiles.required(key, "key");
            JsonFiles.required(arch, "arch");
            JsonFiles.required(accuracy, "accuracy");
            JsonFiles.required(macs, "macs");
            if (resolution != null && resolution != arch.resolution()) {
                throw new IllegalArgumentException("'resolution' " + resolution + " of " + key
                        + " is not its architecture's resolution " + arch.resolution());
            }
        }
    }

    /**
     * Returns the JSON-lines form, one line without its newline.
     *
     * @return the line
     */
    public String toLine() {
        return JsonFiles.toLine(new Row(key, arch, arch.resolution(), accuracy, macs));
    }

    /**
     * Reads a line written by {@link #toLine()}.
     *
     * @param line the line
     * @param where names the file and line in messages
     * @return the sample (its architecture not yet validated against a space)
     * @throws IOException naming {@code where} when the line is not a row or holds a bad value
     */
    public static AccuracySample fromLine(String line, String where) throws IOException {
        Row r = JsonFiles.parse(line, Row.class, where);
        try {
            return new AccuracySample(r.key(), r.arch(), r.accuracy(), r.macs());
        } catch (IllegalArgumentException e) {
            throw new IOException(where + ": " + e.getMessage(), e);
        }
    }
}
