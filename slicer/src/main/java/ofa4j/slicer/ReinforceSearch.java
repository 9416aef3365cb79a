package ofa4j.slicer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.BlockChoice;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.LatencyPredictor;

/**
 * Policy-gradient search (Zoph and Le, "Neural Architecture Search with Reinforcement Learning",
 * ICLR 2017; Tan et al., "MnasNet: Platform-Aware Neural Architecture Search for Mobile", CVPR
 * 2019): a categorical policy over every elastic choice, trained with REINFORCE (Williams 1992)
 * and a moving-average baseline, maximises the predicted accuracy of the subnets it samples.
 *
 * <p>The policy holds one vector of logits per decision: the kernel and the expand ratio of every
 * block slot, the depth of every stage, and the resolution (among the resolutions the constraint
 * allows); a subnet is one independent draw of each. It starts uniform. Each update draws {@code
 * batchSize} feasible subnets, predicts them in one batch, and moves the logits along the REINFORCE
 * gradient {@code mean_i (R_i - b) grad log pi(a_i)} with Adam (Kingma and Ba 2015; Zoph and Le
 * trained their controller with Adam too), where {@code b} is an exponential moving average of
 * past rewards (Zoph and Le's baseline). Kernel and expand choices of slots that the drawn depth
 * skips do not change the network, so they get no gradient.
 *
 * <p>Hard constraints, as the other strategies: a subnet is drawn from the policy until it satisfies
 * the constraint (at most {@link RejectionPolicy#maxAttempts()} draws; then a uniform feasible
 * sample stands in, is predicted and kept, but does not train the policy, since the policy did not
 * draw it). Rejected draws are never predicted, but they do train the policy: with reward 0, which
 * makes the objective the expected accuracy of a draw times its feasibility, so the policy learns
 * to stay inside the bounds without spending predictor calls on it.
 *
 * <p>MnasNet's soft reward, as an option ({@link Builder#optSoftLatency}): {@code R = acc x
 * (lat / T)^w} with the latency predicted on a device, a target {@code T} in ms and {@code w =
 * -0.07} (MnasNet's soft setting, alpha = beta = -0.07: a subnet twice as slow as the target must
 * be about 5% more accurate to score the same). It can stand alone (no latency bound) or come on
 * top of hard bounds. With it, the result's {@code best} is the subnet of highest reward, and its
 * {@code bestHistory} records rewards.
 *
 * <p>MnasNet trained its controller with PPO; this is the plain REINFORCE of Zoph and Le. Defaults:
 * 50,100 evaluations (OFA's evolution budget), batches of 10, learning rate 0.05, baseline decay
 * 0.9. A learning rate of 0 leaves the policy uniform: the search is then random search (an
 * ablation; the tests use it as the broken variant).
 */
public final class ReinforceSearch implements SearchStrategy {

    /** The name of this strategy ({@link #name()}). */
    public static final String NAME = "reinforce";

    /** MnasNet's exponent of the soft latency reward (alpha = beta = -0.07). */
    public static final double MNASNET_EXPONENT = -0.07;

    /**
     * MnasNet's soft latency term.
     *
     * @param device the latency model
     * @param targetMs the target latency T, ms
     * @param exponent w (MnasNet: -0.07)
     */
    public record SoftLatency(LatencyPredictor device, double targetMs, double exponent) {
        /** Checks the values. */
        public SoftLatency {
            if (device == null) {
                throw new IllegalArgumentException("soft-latency device must not be null");
            }
            if (!(targetMs > 0) || Double.isInfinite(targetMs)) {
                throw new IllegalArgumentException("soft-latency target must be a positive number of ms, found " + targetMs);
            }
            if (!(exponent <= 0) || Double.isInfinite(exponent)) {
                throw new IllegalArgumentException("soft-latency exponent must be <= 0 (MnasNet: -0.07), found " + exponent);
            }
        }

        double reward(double accuracy, ArchCosts costs) {
            return accuracy * Math.pow(costs.latencyMs(device.deviceName()) / targetMs, exponent);
        }
    }

    private final long evaluations;
    private final int batchSize;
    private final double learningRate;
    private final double baselineDecay;
    private final SoftLatency soft;
    private final RejectionPolicy rejection;
    private final CostAxis frontAxis;

    private ReinforceSearch(Builder b) {
        this.evaluations = b.evaluations;
        this.batchSize = b.batchSize;
        this.learningRate = b.learningRate;
        this.baselineDecay = b.baselineDecay;
        this.soft = b.soft;
        this.rejection = b.rejection;
        this.frontAxis = b.frontAxis;
    }

    /** @return a builder with the defaults of the class comment */
    public static Builder builder() {
        return new Builder();
    }

    /** @return predictor evaluations one search makes */
    public long budget() {
        return evaluations;
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return NAME;
    }

    /** {@inheritDoc} */
    @Override
    public List<LatencyPredictor> extraDevices() {
        List<LatencyPredictor> out = new ArrayList<>(frontAxis.devices());
        if (soft != null && out.stream().noneMatch(d -> d.deviceName().equals(soft.device().deviceName()))) {
            out.add(soft.device());
        }
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public SearchResult search(ConstrainedSpace space, AccuracyPredictor predictor, long seed) {
        if (soft != null && space.devices().stream().noneMatch(d -> d.deviceName().equals(soft.device().deviceName()))) {
            throw new IllegalArgumentException("the soft-latency device " + soft.device().deviceName()
                    + " is not among the devices of the constrained space " + deviceNames(space)
                    + "; build the space with this strategy's extraDevices()");
        }
        SearchRun run = new SearchRun(space, predictor, seed);
        Policy policy = new Policy(space.space(), space.resolutions());
        Adam adam = new Adam(policy.logits.length, learningRate);
        double[] grad = new double[policy.logits.length];
        int[] draw = new int[policy.decisions()];
        List<Candidate> evaluated = new ArrayList<>();
        List<Double> history = new ArrayList<>();
        List<ConstrainedSpace.Feasible> batch = new ArrayList<>(batchSize);
        List<int[]> batchDraws = new ArrayList<>(batchSize);
        double baseline = Double.NaN;
        Candidate best = null;
        double bestReward = Double.NEGATIVE_INFINITY;
        long rejected = 0;
        long fallbacks = 0;
        for (long done = 0; done < evaluations; ) {
            int n = (int) Math.min(batchSize, evaluations - done);
            batch.clear();
            batchDraws.clear();
            List<int[]> rejectedDraws = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ConstrainedSpace.Feasible f = null;
                for (int a = 0; a < rejection.maxAttempts() && f == null; a++) {
                    ArchConfig arch = policy.sample(run.rng, draw);
                    f = space.tryAccept(arch, run.log);
                    if (f == null) {
                        rejectedDraws.add(draw.clone());
                    }
                }
                if (f != null) {
                    batch.add(f);
                    batchDraws.add(draw.clone());
                } else {
                    batch.add(space.sample(run.rng, rejection, run.log));
                    batchDraws.add(null);
                    fallbacks++;
                }
            }
            rejected += rejectedDraws.size();
            List<Candidate> scored = run.scorer.score(batch);
            double[] rewards = new double[scored.size()];
            for (int i = 0; i < rewards.length; i++) {
                Candidate c = scored.get(i);
                rewards[i] = reward(c);
                if (rewards[i] > bestReward) {
                    bestReward = rewards[i];
                    best = c;
                }
                evaluated.add(c);
            }
            history.add(bestReward);
            done += n;
            // REINFORCE on the draws of the policy: feasible ones with their reward, rejected ones with 0
            double sum = 0;
            int m = rejectedDraws.size();
            for (int i = 0; i < rewards.length; i++) {
                if (batchDraws.get(i) != null) {
                    sum += rewards[i];
                    m++;
                }
            }
            if (m == 0) {
                continue;
            }
            double mean = sum / m;
            if (Double.isNaN(baseline)) {
                baseline = mean; // the first batch sets the baseline, so its own advantages average to zero
            }
            Arrays.fill(grad, 0);
            for (int i = 0; i < rewards.length; i++) {
                if (batchDraws.get(i) != null) {
                    policy.addLogProbGradient(batchDraws.get(i), (rewards[i] - baseline) / m, grad);
                }
            }
            for (int[] d : rejectedDraws) {
                policy.addLogProbGradient(d, -baseline / m, grad);
            }
            adam.ascend(policy.logits, grad);
            policy.refresh();
            baseline = baselineDecay * baseline + (1 - baselineDecay) * mean;
        }
        List<String> notes = run.log.notes(space, rejection);
        if (fallbacks > 0) {
            notes.add(fallbacks + " policy samples found no feasible subnet in " + rejection.maxAttempts()
                    + " draws under (" + space.constraint().describe() + "); uniform feasible samples stood in"
                    + " (predicted, not used to train the policy)");
        }
        if (rejected > 0) {
            notes.add(String.format(Locale.ROOT, "%d policy draws rejected by the constraint (%.1f per evaluation),"
                    + " trained on with reward 0", rejected, rejected / (double) Math.max(1, run.scorer.evaluations)));
        }
        if (soft != null) {
            notes.add(String.format(Locale.ROOT, "soft reward acc x (lat/%.3f ms)^%.3f on %s; best reward %.4f",
                    soft.targetMs(), soft.exponent(), soft.device().deviceName(), bestReward));
        }
        return run.result(name(), best, ParetoFront.of(evaluated, frontAxis), frontAxis, history, notes);
    }

    private double reward(Candidate c) {
        return soft == null ? c.predictedAccuracy() : soft.reward(c.predictedAccuracy(), c.costs());
    }

    private static List<String> deviceNames(ConstrainedSpace space) {
        return space.devices().stream().map(LatencyPredictor::deviceName).toList();
    }

    /**
     * The categorical policy: logits of every decision in one array. Decision order: for each block
     * slot its kernel then its expand ratio, then each stage's depth, then the resolution.
     */
    static final class Policy {
        private final SearchSpace space;
        private final List<Integer> resolutions;
        final double[] logits;
        private final double[] probs;
        private final int[] offset;
        private final int[] size;
        private final int slots;
        private final int stages;

        Policy(SearchSpace space, List<Integer> resolutions) {
            this.space = space;
            this.resolutions = resolutions;
            this.slots = space.numBlockSlots();
            this.stages = space.numStages();
            int d = 2 * slots + stages + 1;
            offset = new int[d];
            size = new int[d];
            int at = 0;
            for (int i = 0; i < d; i++) {
                int s;
                if (i < 2 * slots) {
                    s = i % 2 == 0 ? space.kernels().size() : space.expandRatios().size();
                } else if (i < 2 * slots + stages) {
                    s = space.depths().size();
                } else {
                    s = resolutions.size();
                }
                offset[i] = at;
                size[i] = s;
                at += s;
            }
            logits = new double[at];
            probs = new double[at];
            refresh();
        }

        int decisions() {
            return offset.length;
        }

        /** Recomputes the probabilities from the logits (after every update). */
        void refresh() {
            for (int i = 0; i < offset.length; i++) {
                int o = offset[i];
                int n = size[i];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    max = Math.max(max, logits[o + j]);
                }
                double z = 0;
                for (int j = 0; j < n; j++) {
                    probs[o + j] = Math.exp(logits[o + j] - max);
                    z += probs[o + j];
                }
                for (int j = 0; j < n; j++) {
                    probs[o + j] /= z;
                }
            }
        }

        /** Draws a subnet, writing the index chosen for each decision into {@code draw}. */
        ArchConfig sample(SplittableRandom rng, int[] draw) {
            for (int i = 0; i < draw.length; i++) {
                draw[i] = categorical(i, rng.nextDouble());
            }
            List<BlockChoice> blocks = new ArrayList<>(slots);
            for (int s = 0; s < slots; s++) {
                blocks.add(new BlockChoice(space.kernels().get(draw[2 * s]), space.expandRatios().get(draw[2 * s + 1])));
            }
            List<Integer> depths = new ArrayList<>(stages);
            for (int s = 0; s < stages; s++) {
                depths.add(space.depths().get(draw[2 * slots + s]));
            }
            return new ArchConfig(blocks, depths, resolutions.get(draw[draw.length - 1]));
        }

        private int categorical(int decision, double u) {
            int o = offset[decision];
            int n = size[decision];
            double acc = 0;
            for (int j = 0; j < n - 1; j++) {
                acc += probs[o + j];
                if (u < acc) {
                    return j;
                }
            }
            return n - 1;
        }

        /** @return the probabilities of one decision (a copy) */
        double[] probabilities(int decision) {
            return Arrays.copyOfRange(probs, offset[decision], offset[decision] + size[decision]);
        }

        /**
         * Adds {@code weight x grad log pi(draw)} to {@code grad}: for a softmax, {@code onehot - p} per
         * decision; choices of skipped slots are left out.
         */
        void addLogProbGradient(int[] draw, double weight, double[] grad) {
            int maxDepth = space.maxDepth();
            for (int i = 0; i < draw.length; i++) {
                if (i < 2 * slots) {
                    int slot = i / 2;
                    int depth = space.depths().get(draw[2 * slots + slot / maxDepth]);
                    if (slot % maxDepth >= depth) {
                        continue;
                    }
                }
                int o = offset[i];
                for (int j = 0; j < size[i]; j++) {
                    grad[o + j] -= weight * probs[o + j];
                }
                grad[o + draw[i]] += weight;
            }
        }
    }

    /** Adam (Kingma and Ba 2015) for gradient ascent, with its usual betas 0.9 / 0.999 and epsilon 1e-8. */
    private static final class Adam {
        private final double lr;
        private final double[] m;
        private final double[] v;
        private int t;

        Adam(int n, double lr) {
            this.lr = lr;
            this.m = new double[n];
            this.v = new double[n];
        }

        void ascend(double[] x, double[] g) {
            if (lr == 0) {
                return;
            }
            t++;
            double c1 = 1 - Math.pow(0.9, t);
            double c2 = 1 - Math.pow(0.999, t);
            for (int i = 0; i < x.length; i++) {
                m[i] = 0.9 * m[i] + 0.1 * g[i];
                v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
                x[i] += lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + 1e-8);
            }
        }
    }

    /** Builds a {@link ReinforceSearch}; every setting is optional. */
    public static final class Builder extends SearchBuilder.Sampling<Builder> {
        private long evaluations = 50_100;
        private int batchSize = 10;
        private double learningRate = 0.05;
        private double baselineDecay = 0.9;
        private SoftLatency soft;

        private Builder() {}

        /** {@inheritDoc} */
        @Override
        Builder self() {
            return this;
        }

        /**
         * @param n predictor evaluations (default 50,100)
         * @return this builder
         */
        public Builder optEvaluations(long n) {
            this.evaluations = n;
            return this;
        }

        /**
         * @param n feasible subnets per policy update, predicted in one batch (default 10)
         * @return this builder
         */
        public Builder optBatchSize(int n) {
            this.batchSize = n;
            return this;
        }

        /**
         * @param lr Adam learning rate of the logits (default 0.05; 0 = the uniform policy, random search)
         * @return this builder
         */
        public Builder optLearningRate(double lr) {
            this.learningRate = lr;
            return this;
        }

        /**
         * @param d decay of the moving-average baseline per update (default 0.9)
         * @return this builder
         */
        public Builder optBaselineDecay(double d) {
            this.baselineDecay = d;
            return this;
        }

        /**
         * Uses MnasNet's soft reward {@code acc x (lat / T)^w} instead of the accuracy alone.
         *
         * @param device the device whose predicted latency enters the reward
         * @param targetMs the target T, ms
         * @param exponent w, at most 0 ({@link #MNASNET_EXPONENT} = -0.07)
         * @return this builder
         */
        public Builder optSoftLatency(LatencyPredictor device, double targetMs, double exponent) {
            this.soft = new SoftLatency(device, targetMs, exponent);
            return this;
        }

        /**
         * Checks the settings and builds the search.
         *
         * @return the search
         * @throws IllegalArgumentException naming a setting out of range
         */
        public ReinforceSearch build() {
            if (evaluations < 1) {
                throw new IllegalArgumentException("evaluations must be at least 1, found " + evaluations);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be at least 1, found " + batchSize);
            }
            if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learning rate must be a number >= 0, found " + learningRate);
            }
            if (!(baselineDecay >= 0 && baselineDecay < 1)) {
                throw new IllegalArgumentException("baseline decay must be in [0, 1), found " + baselineDecay);
            }
            checkSampling();
            return new ReinforceSearch(this);
        }
    }
}
