package ofa4j.slicer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.BlockChoice;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.LatencyPredictor;

/**
 * Compound scaling (Tan and Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural
 * Networks", ICML 2019, section 3.3): from the smallest subnet, depth, width and resolution grow
 * together along one coefficient phi, {@code depth = d0 x alpha^phi}, {@code width = e0 x
 * beta^phi}, {@code resolution = r0 x gamma^phi}. Not a search but the baseline curve that
 * hand-scaled model families follow; the answer is the most accurate feasible subnet on it.
 *
 * <p>Width is the expand ratio here (the elastic width of OFA's blocks), the kernel stays fixed
 * (default: the space's smallest, as in the smallest subnet; EfficientNet does not scale kernels).
 * The defaults are EfficientNet's coefficients alpha = 1.2, beta = 1.1, gamma = 1.15, found there by
 * a grid search on EfficientNet-B0 at phi = 1; that grid search is not repeated: in a space with
 * three depths, three expand ratios and three resolutions, phi = 1 barely leaves the smallest subnet.
 *
 * <p>Discretisation: a target that falls between two allowed values is met on average: with
 * {@code n} units (stages for depth, active blocks for width) and a target at fraction {@code f}
 * of the way from one allowed value to the next, the last {@code floor(f x n)} units take the
 * higher value and the others the lower one, so each step of phi changes a few units and the curve
 * is fine-grained. The resolution takes the largest allowed resolution not above its target. Phi
 * runs over {@code steps} evenly spaced values from 0 to the first value at which every scaled axis
 * has reached its maximum; the curve is the sequence of distinct subnets met ({@link #curve}).
 *
 * <p>The search predicts every point of the curve that satisfies the constraint, in one batch
 * (evaluations: at most {@code steps}); if none does, the smallest feasible subnets ({@link
 * ConstrainedSpace#feasibleMinConfigs()}) stand in, and a note says so. A coefficient of 1 keeps its
 * axis at the smallest value: {@code (alpha, 1, 1)} scales depth alone (an ablation; the tests use
 * a single axis as the broken variant). The search draws no random numbers: its result does not
 * depend on the seed.
 */
public final class CompoundScaling implements SearchStrategy {

    /** The name of this strategy ({@link #name()}). */
    public static final String NAME = "compound-scaling";

    /**
     * One point of the scaling curve.
     *
     * @param phi the compound coefficient at which the subnet first appears
     * @param arch the subnet
     */
    public record CurvePoint(double phi, ArchConfig arch) {}

    private final double alpha;
    private final double beta;
    private final double gamma;
    private final int steps;
    private final Integer kernel;
    private final CostAxis frontAxis;

    private CompoundScaling(Builder b) {
        this.alpha = b.alpha;
        this.beta = b.beta;
        this.gamma = b.gamma;
        this.steps = b.steps;
        this.kernel = b.kernel;
        this.frontAxis = b.frontAxis;
    }

    /** @return a builder with EfficientNet's coefficients and 50 steps */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return NAME;
    }

    /** {@inheritDoc} */
    @Override
    public List<LatencyPredictor> extraDevices() {
        return frontAxis.devices();
    }

    /**
     * Returns the scaling curve: the distinct subnets met as phi grows, smallest first.
     *
     * @param space the search space
     * @param resolutions the resolutions the curve may use, ascending (e.g. {@link
     *     ConstrainedSpace#resolutions()}, or the space's own)
     * @return the points, in order of phi; the first is the smallest subnet at the smallest resolution
     * @throws IllegalArgumentException if the kernel is not one of the space's, or a resolution is not
     */
    public List<CurvePoint> curve(SearchSpace space, List<Integer> resolutions) {
        int k = kernel != null ? kernel : space.kernels().get(0);
        if (!space.kernels().contains(k)) {
            throw new IllegalArgumentException("compound-scaling kernel must be one of " + space.kernels() + ", found " + k);
        }
        if (resolutions.isEmpty() || !space.resolutions().containsAll(resolutions)) {
            throw new IllegalArgumentException("curve resolutions must be some of " + space.resolutions() + ", found "
                    + resolutions);
        }
        List<Integer> ds = space.depths();
        List<Integer> es = space.expandRatios();
        double phiMax = Math.max(phiToMax(ds, alpha), Math.max(phiToMax(es, beta), phiToMax(resolutions, gamma)));
        Map<String, CurvePoint> out = new LinkedHashMap<>();
        for (int i = 0; i < steps; i++) {
            double phi = steps == 1 ? 0 : phiMax * i / (steps - 1);
            ArchConfig a = at(space, resolutions, k, phi);
            out.putIfAbsent(a.key(), new CurvePoint(phi, a));
        }
        return List.copyOf(out.values());
    }

    /**
     * Predicts every point of the curve (feasible or not), with its costs: the baseline curve of a
     * Pareto plot.
     *
     * @param space the constrained space (its devices give the latencies; its resolutions the curve's)
     * @param predictor the accuracy predictor
     * @return the points, in order of phi
     */
    public List<Candidate> curveCandidates(ConstrainedSpace space, AccuracyPredictor predictor) {
        List<ConstrainedSpace.Feasible> all = new ArrayList<>();
        for (CurvePoint p : curve(space.space(), space.resolutions())) {
            all.add(new ConstrainedSpace.Feasible(p.arch(), space.costs(p.arch())));
        }
        return new Scorer(predictor).score(all);
    }

    /**
     * The baseline curve of a Pareto plot: the points of compound scaling with its defaults
     * (EfficientNet's coefficients, 50 steps, no constraint), predicted, with their costs on {@code axis}.
     *
     * @param space the search space
     * @param axis the plot's cost axis (its devices give the latencies)
     * @param predictor the accuracy predictor
     * @return the points, in order of phi
     */
    public static List<Candidate> baselineCurve(SearchSpace space, CostAxis axis, AccuracyPredictor predictor) {
        return builder().build().curveCandidates(new ConstrainedSpace(space, Constraint.none(), axis.devices()), predictor);
    }

    /** {@inheritDoc} */
    @Override
    public SearchResult search(ConstrainedSpace space, AccuracyPredictor predictor, long seed) {
        long t0 = System.nanoTime();
        ConstrainedSpace.RejectionLog log = space.newLog();
        Scorer scorer = new Scorer(predictor);
        List<CurvePoint> curve = curve(space.space(), space.resolutions());
        List<ConstrainedSpace.Feasible> feasible = new ArrayList<>();
        for (CurvePoint p : curve) {
            ConstrainedSpace.Feasible f = space.tryAccept(p.arch(), log);
            if (f != null) {
                feasible.add(f);
            }
        }
        List<String> notes = new ArrayList<>();
        notes.add(feasible.size() + " of " + curve.size() + " curve points satisfy (" + space.constraint().describe()
                + "); coefficients depth " + alpha + ", width " + beta + ", resolution " + gamma);
        if (feasible.isEmpty()) {
            notes.add("no point of the scaling curve satisfies the constraint: the smallest feasible subnets stand in");
            for (ArchConfig a : space.feasibleMinConfigs()) {
                feasible.add(new ConstrainedSpace.Feasible(a, space.costs(a)));
            }
        }
        List<Candidate> scored = scorer.score(feasible);
        List<Double> history = new ArrayList<>();
        Candidate best = null;
        for (Candidate c : scored) {
            if (best == null || c.predictedAccuracy() > best.predictedAccuracy()) {
                best = c;
            }
            history.add(best.predictedAccuracy());
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        return new SearchResult(name(), seed, space.constraint(), best, ParetoFront.of(scored, frontAxis), frontAxis,
                history, scorer.evaluations, scorer.distinct, log.attempts, notes, ms);
    }

    /** The phi at which {@code min x coef^phi} reaches the largest value; 0 for a fixed axis. */
    private static double phiToMax(List<Integer> values, double coef) {
        if (coef == 1 || values.size() == 1) {
            return 0;
        }
        return Math.log(values.get(values.size() - 1) / (double) values.get(0)) / Math.log(coef);
    }

    private ArchConfig at(SearchSpace space, List<Integer> resolutions, int k, double phi) {
        int stages = space.numStages();
        int maxDepth = space.maxDepth();
        List<Integer> ds = space.depths();
        int[] depth = levels(ds, ds.get(0) * Math.pow(alpha, phi), stages);
        List<Integer> depths = new ArrayList<>(stages);
        List<Integer> active = new ArrayList<>();
        for (int s = 0; s < stages; s++) {
            depths.add(depth[s]);
            for (int j = 0; j < depth[s]; j++) {
                active.add(s * maxDepth + j);
            }
        }
        List<Integer> es = space.expandRatios();
        int[] expand = levels(es, es.get(0) * Math.pow(beta, phi), active.size());
        List<BlockChoice> blocks = new ArrayList<>(space.numBlockSlots());
        for (int i = 0; i < space.numBlockSlots(); i++) {
            blocks.add(new BlockChoice(k, es.get(0)));
        }
        for (int u = 0; u < active.size(); u++) {
            blocks.set(active.get(u), new BlockChoice(k, expand[u]));
        }
        double r = resolutions.get(0) * Math.pow(gamma, phi);
        int res = resolutions.get(0);
        for (int v : resolutions) {
            if (v <= r * (1 + 1e-9)) {
                res = v;
            }
        }
        return space.validate(new ArchConfig(blocks, depths, res));
    }

    /**
     * Assigns allowed values to {@code n} units so that their mean follows {@code target}: between
     * values {@code v_i <= target < v_(i+1)}, the last {@code floor(f x n)} units take {@code v_(i+1)}.
     */
    static int[] levels(List<Integer> values, double target, int n) {
        int[] out = new int[n];
        int top = values.get(values.size() - 1);
        if (target >= top * (1 - 1e-9)) {
            java.util.Arrays.fill(out, top);
            return out;
        }
        int i = 0;
        while (i + 1 < values.size() && values.get(i + 1) <= target * (1 + 1e-9)) {
            i++;
        }
        int lo = values.get(i);
        int hi = values.get(i + 1);
        double f = Math.max(0, (target - lo) / (hi - lo));
        int up = (int) Math.floor(f * n + 1e-9);
        for (int u = 0; u < n; u++) {
            out[u] = u >= n - up ? hi : lo;
        }
        return out;
    }

    /** Builds a {@link CompoundScaling}; every setting is optional. */
    public static final class Builder extends SearchBuilder<Builder> {
        private double alpha = 1.2;
        private double beta = 1.1;
        private double gamma = 1.15;
        private int steps = 50;
        private Integer kernel;

        private Builder() {}

        /** {@inheritDoc} */
        @Override
        Builder self() {
            return this;
        }

        /**
         * Sets the scaling coefficients (EfficientNet: 1.2, 1.1, 1.15).
         *
         * @param depth alpha, >= 1 (1 = depth stays smallest)
         * @param width beta, >= 1 (expand ratio)
         * @param resolution gamma, >= 1
         * @return this builder
         */
        public Builder optCoefficients(double depth, double width, double resolution) {
            this.alpha = depth;
            this.beta = width;
            this.gamma = resolution;
            return this;
        }

        /**
         * @param n values of phi sampled from 0 to the largest useful (default 50): at most this many
         *     evaluations
         * @return this builder
         */
        public Builder optSteps(int n) {
            this.steps = n;
            return this;
        }

        /**
         * @param k the kernel of every block (default: the space's smallest)
         * @return this builder
         */
        public Builder optKernel(int k) {
            this.kernel = k;
            return this;
        }

        /**
         * Checks the settings and builds the search.
         *
         * @return the search
         * @throws IllegalArgumentException naming a setting out of range
         */
        public CompoundScaling build() {
            for (double c : new double[] {alpha, beta, gamma}) {
                if (!(c >= 1) || Double.isInfinite(c)) {
                    throw new IllegalArgumentException("scaling coefficients must be finite and >= 1, found depth "
                            + alpha + ", width " + beta + ", resolution " + gamma);
                }
            }
            if (alpha == 1 && beta == 1 && gamma == 1) {
                throw new IllegalArgumentException("at least one scaling coefficient must be above 1, found 1, 1, 1");
            }
            if (steps < 2) {
                throw new IllegalArgumentException("steps must be at least 2, found " + steps);
            }
            checkFrontAxis();
            return new CompoundScaling(this);
        }
    }
}
