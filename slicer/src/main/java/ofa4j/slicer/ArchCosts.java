package ofa4j.slicer;

import java.util.Map;

/**
 * The costs of one subnet that constraints and cost axes look at.
 *
 * @param macs multiply-accumulates per image
 * @param params trainable parameters
 * @param peakActivationBytes peak activation memory at batch 1, float32, bytes
 * @param latencyMs predicted latency in ms by device name (the devices of the search's constraint
 *     and cost axis; empty when none)
 */
public record ArchCosts(long macs, long params, long peakActivationBytes, Map<String, Double> latencyMs) {

    /** Copies the map. */
    public ArchCosts {
        latencyMs = Map.copyOf(latencyMs);
    }

    /**
     * Returns the predicted latency on one device.
     *
     * @param device device name
     * @return latency in ms
     * @throws IllegalArgumentException if the latency on that device was not computed
     */
    public double latencyMs(String device) {
        Double v = latencyMs.get(device);
        if (v == null) {
            throw new IllegalArgumentException(
                    "no latency computed for device '" + device + "'; computed for " + latencyMs.keySet());
        }
        return v;
    }
}
