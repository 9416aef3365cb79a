package ofa4j.cli.serve;

import java.util.List;
import ofa4j.models.ArchConfig;
import ofa4j.models.SpaceJson;
import ofa4j.slicer.LruCache;

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
     * @param precisions the precisions each device can be searched in ({@code fp32}; {@code int8} and
     *     {@code auto} when the run has its INT8 profile)
     */
    public record DevicesBody(List<String> devices, java.util.Map<String, List<String>> precisions) {}

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
     * One precision's search of a {@code precision: auto} request.
     *
     * @param key the subnet it delivered
     * @param valAccuracy its measured validation accuracy, as a model of that precision
     * @param latencyMs its measured latency with that precision's profile, absent when not measured
     * @param latencyProfile the device profile of its latency bound and figures
     * @param overBudget its measured latency exceeds {@code max_latency_ms}
     */
    public record AutoSide(String key, double valAccuracy, Double latencyMs, String latencyProfile,
            boolean overBudget) {}

    /**
     * How a {@code precision: auto} request was decided: both precisions searched under the same
     * bounds, each with its own latency profile; the higher measured validation accuracy among those
     * within the latency budget is delivered (a tie goes to INT8, the smaller model).
     *
     * @param chosen {@code fp32} or {@code int8}
     * @param why one sentence
     * @param fp32 the FP32 search's slice
     * @param int8 the INT8 search's slice
     */
    public record AutoBody(String chosen, String why, AutoSide fp32, AutoSide int8) {}

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
     * @param precision precision of the delivered model, {@code fp32} or {@code int8} (for a request of
     *     {@code auto}, the one chosen); the predicted and measured figures are those of a model of
     *     this precision, its latency from {@code latencyProfile}
     * @param latencyProfile the device profile the latency figures and bound come from ({@code
     *     <device>-int8} for INT8), absent from backends without profiles
     * @param auto both precisions' figures when the request asked for {@code auto}, else absent
     */
    public record SliceAnswer(ArchConfig.Json arch, String key, Predicted predicted, Measured measured,
            int candidatesMeasured, long macs, long params, long peakActivationBytes, double searchMs, double totalMs,
            String id, String onnx, Boolean cached, String precision, String latencyProfile, AutoBody auto) {

        /**
         * An answer without precision details (the server adds the request's precision).
         *
         * @param arch the subnet
         * @param key its key
         * @param predicted predicted figures
         * @param measured measured figures
         * @param candidatesMeasured candidates measured
         * @param macs multiply-accumulates
         * @param params parameters
         * @param peakActivationBytes peak activation memory
         * @param searchMs search time
         * @param totalMs request time
         * @param id model id
         * @param onnx model URL
         * @param cached from the cache
         * @param precision model precision
         */
        public SliceAnswer(ArchConfig.Json arch, String key, Predicted predicted, Measured measured,
                int candidatesMeasured, long macs, long params, long peakActivationBytes, double searchMs,
                double totalMs, String id, String onnx, Boolean cached, String precision) {
            this(arch, key, predicted, measured, candidatesMeasured, macs, params, peakActivationBytes, searchMs,
                    totalMs, id, onnx, cached, precision, null, null);
        }

        /**
         * @param newId the model id
         * @return this answer with its id and model URL
         */
        public SliceAnswer withId(String newId) {
            return new SliceAnswer(arch, key, predicted, measured, candidatesMeasured, macs, params,
                    peakActivationBytes, searchMs, totalMs, newId, "/v1/models/" + newId + ".onnx", cached, precision,
                    latencyProfile, auto);
        }

        /**
         * @param fromCache whether it came from the cache
         * @return this answer marked
         */
        public SliceAnswer withCached(boolean fromCache) {
            return new SliceAnswer(arch, key, predicted, measured, candidatesMeasured, macs, params,
                    peakActivationBytes, searchMs, totalMs, id, onnx, fromCache, precision, latencyProfile, auto);
        }

        /**
         * @param modelPrecision {@code fp32} or {@code int8}
         * @return this answer with the precision of its ONNX model
         */
        public SliceAnswer withPrecision(String modelPrecision) {
            return new SliceAnswer(arch, key, predicted, measured, candidatesMeasured, macs, params,
                    peakActivationBytes, searchMs, totalMs, id, onnx, cached, modelPrecision, latencyProfile, auto);
        }

        /**
         * @param how how an {@code auto} request was decided
         * @return this answer with it
         */
        public SliceAnswer withAuto(AutoBody how) {
            return new SliceAnswer(arch, key, predicted, measured, candidatesMeasured, macs, params,
                    peakActivationBytes, searchMs, totalMs, id, onnx, cached, precision, latencyProfile, how);
        }
    }

    /**
     * A budget axis of the web page: the smallest and largest value a subnet of the space has.
     *
     * @param min the cheapest subnet's value
     * @param max the largest subnet's value
     * @param unit {@code ms}, {@code MACs} or {@code params}
     */
    public record Range(double min, double max, String unit) {}

    /**
     * A subnet of the predicted Pareto front.
     *
     * @param key arch key
     * @param predictedAccuracy predicted validation accuracy
     * @param latencyMs predicted latency on the device
     * @param macs multiply-accumulates
     * @param params parameters
     */
    public record FrontPoint(String key, double predictedAccuracy, double latencyMs, long macs, long params) {}

    /**
     * A candidate the closed loop measured (for any request so far).
     *
     * @param key arch key
     * @param predictedAccuracy accuracy the search predicted
     * @param measuredAccuracy validation accuracy measured after BN recalibration
     * @param predictedLatencyMs predicted latency on the device
     * @param measuredLatencyMs measured latency, absent when the device is not this machine
     * @param macs multiply-accumulates
     * @param params parameters
     */
    public record MeasuredPoint(String key, double predictedAccuracy, double measuredAccuracy,
            double predictedLatencyMs, Double measuredLatencyMs, long macs, long params) {}

    /**
     * {@code GET /v1/front?device=D&metric=M}: what the web page draws and the range of its budget slider.
     *
     * @param device the device
     * @param metric the budget axis the front was searched along: {@code latency}, {@code macs} or {@code params}
     * @param latencyMs predicted latency range on the device (ms)
     * @param macs MACs range
     * @param params parameter count range
     * @param accuracyPredictor the predictor of the accuracies
     * @param front the predicted Pareto front along {@code metric}, cheapest first
     * @param measured the candidates measured so far
     */
    public record FrontBody(String device, String metric, Range latencyMs, Range macs, Range params,
            String accuracyPredictor, List<FrontPoint> front, List<MeasuredPoint> measured) {

        /** Copies the lists. */
        public FrontBody {
            front = List.copyOf(front);
            measured = List.copyOf(measured);
        }
    }

    /**
     * The work queue of a server (searches and ONNX builds) at one moment.
     *
     * @param running jobs running
     * @param waiting jobs admitted and not running
     * @param capacity jobs admitted at most, running and waiting (beyond: 503)
     * @param threads jobs run at once
     * @param rejected requests refused with 503 because the queue was full, so far
     * @param timedOut requests answered 503 at their time limit, so far
     * @param cancelled jobs cancelled because no request waited for them any more, so far
     */
    public record QueueBody(int running, int waiting, int capacity, int threads, long rejected, long timedOut,
            long cancelled) {}

    /**
     * {@code GET /v1/health}: the queue and every bounded cache with its limits.
     *
     * @param status {@code ok}
     * @param searchesRun searches run so far (cache misses)
     * @param queue searches running and waiting, and what was refused
     * @param caches sizes and limits of the server's and the backend's caches
     * @param requestTimeoutS time limit of a request, seconds
     * @param maxBodyBytes largest request body accepted, bytes
     * @param tokenRequired whether requests need a bearer token
     * @param allowedHosts hosts the {@code Host} header may name
     */
    public record HealthBody(String status, long searchesRun, QueueBody queue, List<LruCache.Stats> caches,
            long requestTimeoutS, long maxBodyBytes, boolean tokenRequired, List<String> allowedHosts) {}

    /**
     * Every error.
     *
     * @param error what is wrong and what is allowed
     * @param field the offending field, when there is one
     * @param status the HTTP status
     */
    public record ErrorBody(String error, String field, int status) {}
}
