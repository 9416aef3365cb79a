package ofa4j.slicer;

import java.util.List;
import java.util.function.ToDoubleFunction;
import ofa4j.predictor.LatencyPredictor;

/**
 * The cost side of an accuracy-vs-cost trade-off: Pareto fronts ({@link ParetoFront}, {@link
 * Nsga2Search}) and plots ({@link ParetoPlot}) minimise it while maximising accuracy.
 */
public interface CostAxis {

    /** @return a short name, e.g. {@code MACs} or {@code latency[cpu-ort-1t]} */
    String name();

    /** @return an axis label with its unit, e.g. {@code MACs (millions)} */
    String label();

    /**
     * Returns the cost of a candidate in this axis' unit.
     *
     * @param c the candidate
     * @return the cost (lower is better)
     */
    double value(Candidate c);

    /** @return the latency models this axis reads (searches compute their predictions for every candidate) */
    List<LatencyPredictor> devices();

    /** @return MACs per image, in millions */
    static CostAxis macs() {
        return of("MACs", "MACs per image (millions)", c -> c.costs().macs() / 1e6, List.of());
    }

    /** @return trainable parameters, in millions */
    static CostAxis params() {
        return of("params", "parameters (millions)", c -> c.costs().params() / 1e6, List.of());
    }

    /**
     * Returns the latency axis of one device.
     *
     * @param device the device's latency model
     * @return predicted latency in ms (taken from the candidate's costs when present, else predicted)
     */
    static CostAxis latency(LatencyPredictor device) {
        if (device == null) {
            throw new IllegalArgumentException("a latency axis needs a latency predictor, found null");
        }
        return of("latency[" + device.deviceName() + "]", "latency on " + device.deviceName() + " (ms)", c -> {
            Double v = c.costs().latencyMs().get(device.deviceName());
            return v != null ? v : device.predictMs(c.arch());
        }, List.of(device));
    }

    private static CostAxis of(String name, String label, ToDoubleFunction<Candidate> value, List<LatencyPredictor> devices) {
        return new CostAxis() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String label() {
                return label;
            }

            @Override
            public double value(Candidate c) {
                return value.applyAsDouble(c);
            }

            @Override
            public List<LatencyPredictor> devices() {
                return devices;
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
