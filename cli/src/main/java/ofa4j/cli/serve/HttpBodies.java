package ofa4j.cli.serve;

import java.util.List;
import ofa4j.models.ArchConfig;
import ofa4j.models.SpaceJson;

/**
 * The JSON bodies the slicing server answers with, as records written through {@code
 * JsonFiles.COMPACT} (requests are {@link SliceRequest}). Field names are the API: {@code
 * docs/file-formats.md} lists them.
 */
public final class HttpBodies {

    private HttpBodies() {}

    /**
     * {@code GET /v1/space}.
     *
     * @param space the search space of the served supernet
     * @param checkpointSha256 SHA-256 of its parameters
     */
    public record SpaceBody(SpaceJson space, String checkpointSha256) {}

    /**
     * {@code GET /v1/devices}.
     *
     * @param devices device profile names
     */
    public record DevicesBody(List<String> devices) {}

    /**
     * Predicted figures of a served slice.
     *
     * @param accuracy predicted validation accuracy
     * @param accuracyPredictor predictor kind
     * @param latencyMs predicted latency on the requested device
     */
    public record Predicted(Double accuracy, String accuracyPredictor, double latencyMs) {}

    /**
     * Measured figures of a served slice.
     *
     * @param valAccuracy validation accuracy after BN recalibration
     * @param latencyMs measured latency, absent when the device is not this machine
     * @param latencyCheckedBy {@code measurement} or {@code prediction}
     */
    public record Measured(double valAccuracy, Double latencyMs, String latencyCheckedBy) {}

    /**
     * {@code POST /v1/slice}: the delivered subnet.
     *
     * @param arch the subnet
     * @param key its key
     * @param predicted predicted figures
     * @param measured measured figures (absent from backends that do not measure)
     * @param candidatesMeasured candidates the closed loop measured
     * @param macs multiply-accumulates
     * @param params parameters
     * @param peakActivationBytes peak activation memory
     * @param searchMs search time
     * @param totalMs time of the whole request
     * @param id model id (added by the server)
     * @param onnx model URL (added by the server)
     * @param cached whether the answer came from the cache (added by the server)
     */
    public record SliceAnswer(ArchConfig.Json arch, String key, Predicted predicted, Measured measured,
            int candidatesMeasured, long macs, long params, long peakActivationBytes, double searchMs, double totalMs,
            String id, String onnx, Boolean cached) {

        /**
         * @param newId the model id
         * @return this answer with its id and model URL
         */
        public SliceAnswer withId(String newId) {
            return new SliceAnswer(arch, key, predicted, measured, candidatesMeasured, macs, params,
                    peakActivationBytes, searchMs, totalMs, newId, "/v1/models/" + newId + ".onnx", cached);
        }

        /**
         * @param fromCache whether it came from the cache
         * @return this answer marked
         */
        public SliceAnswer withCached(boolean fromCache) {
            return new SliceAnswer(arch, key, predicted, measured, candidatesMeasured, macs, params,
                    peakActivationBytes, searchMs, totalMs, id, onnx, fromCache);
        }
    }

    /**
     * Every error.
     *
     * @param error what is wrong and what is allowed
     * @param field the offending field, when there is one
     * @param status the HTTP status
     */
    public record ErrorBody(String error, String field, int status) {}
}
