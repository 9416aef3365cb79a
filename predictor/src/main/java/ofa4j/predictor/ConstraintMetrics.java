package ofa4j.predictor;

import java.util.Locale;
import ofa4j.models.ArchConfig;
import ofa4j.models.CostModel;
import ofa4j.models.SearchSpace;

/**
 * The figures a deployment constraint can bound, for one subnet: predicted latency on a device
 * profile and the analytic costs of {@link CostModel}.
 *
 * @param latencyMs predicted latency on the device, ms (NaN without a latency predictor)
 * @param macs multiply-accumulates per image
 * @param params trainable parameters
 * @param peakActivationBytes peak activation memory at batch 1, bytes (float32)
 */
public record ConstraintMetrics(double latencyMs, long macs, long params, long peakActivationBytes) {

    /**
     * Computes the metrics of a subnet.
     *
     * @param space the space
     * @param latency latency predictor of the target device, or null to leave latency NaN
     * @param arch the subnet
     * @return the metrics
     */
    public static ConstraintMetrics of(SearchSpace space, LatencyPredictor latency, ArchConfig arch) {
        CostModel.Cost c = new CostModel(space).cost(arch);
        double ms = latency == null ? Double.NaN : latency.predictMs(arch);
        return new ConstraintMetrics(ms, c.macs(), c.params(), c.peakActivationBytes());
    }

    /** @return MACs in millions */
    public double mmacs() {
        return macs / 1e6;
    }

    /** @return one line for reports */
    @Override
    public String toString() {
        return String.format(
                Locale.ROOT, "%.3f ms, %.3f M MACs, %.3f M params, %.1f KiB peak activations", latencyMs, macs / 1e6,
                params / 1e6, peakActivationBytes / 1024.0);
    }
}
