package ofa4j.slicer;

import java.util.List;
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
        return new CostAxis() {
            @Override
            public String name() {
                return "MACs";
            }

            @Override
            public String label() {
                return "MACs per image (millions)";
            }

            @Override
            public double value(Candidate c) {
                return c.costs().macs() / 1e6;
            }

            @Override
            public List<LatencyPredictor> devices() {
                return List.of();
            }

            @Override
            public String toString() {
                return name();
            }
        };
    }

    /** @return trainable parameters, in millions */
    static CostAxis params() {
        return new CostAxis() {
            @Override
            public String name() {
                return "params";
            }

            @Override
            public String label() {
                return "parameters (millions)";
            }

            @Override
            public double value(Candidate c) {
                return c.costs().params() / 1e6;
            }

            @Override
            public List<LatencyPredictor> devices() {
                return List.of();
            }

            @Override
            public String toString() {
                return name();
            }
        };
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
        return new CostAxis() {
            @Override
            public String name() {
                return "latency[" + device.deviceName() + "]";
            }

            @Override
            public String label() {
                return "latency on " + device.deviceName() + " (ms)";
            }

            @Override
            public double value(Candidate c) {
                Double v = c.costs().latencyMs().get(device.deviceName());
                return v != null ? v : device.predictMs(c.arch());
            }

            @Override
            public List<LatencyPredictor> devices() {
                return List.of(device);
            }

            @Override
            public String toString() {
                return name();
            }
        };
    }
}
