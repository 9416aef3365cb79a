package ofa4j.slicer;

import java.util.List;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.ArchEncoding;
import ofa4j.models.CostModel;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.LatencyPredictor;

/**
 * Deterministic stand-ins for trained predictors, for search tests that need no supernet (shared
 * with other modules through the test-jar).
 */
public final class TestPredictors {

    private TestPredictors() {}

    /**
     * A smooth accuracy function: a saturating curve of MACs (more compute, higher accuracy, as in
     * OFA's figures) plus a small fixed linear term of the one-hot encoding (so that equally
     * expensive subnets differ and a search has something to find), clipped to [0, 1].
     */
    public static final class SmoothAccuracy implements AccuracyPredictor {
        private final ArchEncoding encoding;
        private final CostTable table;
        private final float[] weights;
        private final double minMacs;
        private final double scale;
        private long calls;
        private long predicted;

        /**
         * @param space the space
         * @param seed seed of the encoding weights
         */
        public SmoothAccuracy(SearchSpace space, long seed) {
            this.encoding = new ArchEncoding(space);
            this.table = new CostTable(space);
            SplittableRandom r = new SplittableRandom(seed);
            weights = new float[encoding.length()];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = (float) ((r.nextDouble() * 2 - 1) * 0.004);
            }
            minMacs = table.cost(space.min()).macs();
            scale = (table.cost(space.max()).macs() - minMacs) / 3.0;
        }

        @Override
        public double[] predict(List<ArchConfig> archs) {
            calls++;
            predicted += archs.size();
            double[] out = new double[archs.size()];
            float[] x = new float[encoding.length()];
            for (int i = 0; i < out.length; i++) {
                ArchConfig a = archs.get(i);
                encoding.encodeInto(a, x, 0);
                double lin = 0;
                for (int j = 0; j < x.length; j++) {
                    lin += x[j] * weights[j];
                }
                double m = table.cost(a).macs();
                double acc = 0.70 + 0.22 * (1 - Math.exp(-(m - minMacs) / scale)) + lin;
                out[i] = Math.max(0, Math.min(1, acc));
            }
            return out;
        }

        @Override
        public String name() {
            return "smooth-test";
        }

        /** @return predict calls so far */
        public long calls() {
            return calls;
        }

        /** @return subnets predicted so far */
        public long predicted() {
            return predicted;
        }
    }

    /**
     * A synthetic objective with a known optimum: the similarity of a subnet to a hidden target
     * subnet, {@code 0.5 + 0.4 x J}, where {@code J} is the Jaccard index of the sets of ones of the
     * two {@link ArchEncoding}s (active kernels and expand ratios by slot, and the resolution). Its
     * unique maximum, 0.9, is the target; every choice that matches the target's raises it, so a
     * search that learns from its evaluations can climb it, and one that does not cannot.
     */
    public static final class TargetAccuracy implements AccuracyPredictor {
        /** The value at the target. */
        public static final double OPTIMUM = 0.9;

        private final ArchEncoding encoding;
        private final ArchConfig target;
        private final float[] t;
        private long predicted;

        /**
         * @param space the space
         * @param target the subnet of highest value
         */
        public TargetAccuracy(SearchSpace space, ArchConfig target) {
            this.encoding = new ArchEncoding(space);
            this.target = space.validate(target);
            this.t = encoding.encode(target);
        }

        /**
         * A target drawn uniformly from the space.
         *
         * @param space the space
         * @param seed seed of the draw
         * @return the objective
         */
        public static TargetAccuracy random(SearchSpace space, long seed) {
            return new TargetAccuracy(space, space.sample(new SplittableRandom(seed)));
        }

        /** @return the subnet of highest value */
        public ArchConfig target() {
            return target;
        }

        @Override
        public double[] predict(List<ArchConfig> archs) {
            predicted += archs.size();
            double[] out = new double[archs.size()];
            float[] x = new float[encoding.length()];
            for (int i = 0; i < out.length; i++) {
                encoding.encodeInto(archs.get(i), x, 0);
                int both = 0;
                int either = 0;
                for (int j = 0; j < x.length; j++) {
                    boolean a = x[j] > 0;
                    boolean b = t[j] > 0;
                    both += a && b ? 1 : 0;
                    either += a || b ? 1 : 0;
                }
                out[i] = 0.5 + 0.4 * both / (double) either;
            }
            return out;
        }

        @Override
        public String name() {
            return "target-test";
        }

        /** @return subnets predicted so far */
        public long predicted() {
            return predicted;
        }
    }

    /**
     * A latency model built from the layer list, like a look-up table: per layer a fixed overhead
     * plus time proportional to its MACs, with depthwise-heavy blocks slower per MAC.
     */
    public static final class LayerLatency implements LatencyPredictor {
        private final SearchSpace space;
        private final String name;
        private final double overheadMs;
        private final double msPerMac;

        /**
         * @param space the space
         * @param name device name
         * @param overheadMs per-layer overhead in ms
         * @param msPerMac ms per multiply-accumulate
         */
        public LayerLatency(SearchSpace space, String name, double overheadMs, double msPerMac) {
            this.space = space;
            this.name = name;
            this.overheadMs = overheadMs;
            this.msPerMac = msPerMac;
        }

        /**
         * @param space the space
         * @return a default device: 0.01 ms per layer, 1 GMAC/s
         */
        public static LayerLatency cpu(SearchSpace space) {
            return new LayerLatency(space, "test-cpu", 0.01, 1e-6);
        }

        @Override
        public double predictMs(ArchConfig arch) {
            double ms = 0;
            for (LayerSpec l : space.layers(arch)) {
                double macs = CostModel.macs(l);
                if (l.kind() == LayerSpec.Kind.BLOCK) {
                    // depthwise convs run at a lower MAC rate: add their MACs once more
                    macs += (double) l.outResolution() * l.outResolution() * l.kernel() * l.kernel() * l.hiddenChannels();
                }
                ms += overheadMs + macs * msPerMac;
            }
            return ms;
        }

        @Override
        public String deviceName() {
            return name;
        }
    }
}
