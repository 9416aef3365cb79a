package ofa4j.cli;

import ofa4j.predictor.DeviceProfile;
import ofa4j.slicer.Constraint;
import picocli.CommandLine.Option;

/**
 * The bounds of a constraint other than latency (a picocli mixin): MACs, parameters, peak
 * activation memory and the input resolution range. Each is unbounded when not given.
 */
final class BoundsOptions {

    @Option(names = "--max-macs", description = "Bound on MACs.")
    Long maxMacs;

    @Option(names = "--max-params", description = "Bound on parameters.")
    Long maxParams;

    @Option(names = "--max-memory", description = "Bound on peak activation memory at batch 1, bytes.")
    Long maxMemory;

    @Option(names = "--min-resolution", description = "Lower bound on input resolution, px.")
    Integer minResolution;

    @Option(names = "--max-resolution", description = "Upper bound on input resolution, px.")
    Integer maxResolution;

    /**
     * The constraint of these bounds and a latency budget.
     *
     * @param dev the device the latency budget is on
     * @param maxLatencyMs the latency budget, ms, or null for none
     * @return the constraint
     */
    Constraint constraint(DeviceProfile dev, Double maxLatencyMs) {
        return Constraint.of(dev, maxLatencyMs, maxMacs, maxParams, maxMemory, minResolution, maxResolution);
    }
}
