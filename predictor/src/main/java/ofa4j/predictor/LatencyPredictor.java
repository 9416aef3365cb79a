package ofa4j.predictor;

import ofa4j.models.ArchConfig;

/** Predicts the latency of a subnet on one device (a device profile's latency model). */
public interface LatencyPredictor {

    /**
     * Predicts the end-to-end latency of one forward pass at the profile's batch size.
     *
     * @param arch a subnet of the profile's search space
     * @return latency in milliseconds
     */
    double predictMs(ArchConfig arch);

    /** @return the device name, e.g. {@code cpu-ort-1t} */
    String deviceName();
}
