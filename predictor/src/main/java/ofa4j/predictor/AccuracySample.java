package ofa4j.predictor;

import com.google.gson.JsonObject;
import ofa4j.models.ArchConfig;

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

    /**
     * Returns the JSONL form: {@code {"key":..,"arch":{..},"resolution":..,"accuracy":..,"macs":..}}.
     *
     * @return one JSON object
     */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("key", key);
        o.add("arch", arch.toJsonTree());
        o.addProperty("resolution", arch.resolution());
        o.addProperty("accuracy", accuracy);
        o.addProperty("macs", macs);
        return o;
    }
}
