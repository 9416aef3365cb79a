package ofa4j.slicer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.BlockChoice;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import ofa4j.models.Shuffle;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.LatencyPredictor;
import ofa4j.supernet.PathGates;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.Batches;
import ofa4j.supernet.data.ImageSet;

/**
 * Gradient-based architecture search on the trained supernet, single-path (ProxylessNAS, Cai et
 * al., ICLR 2019; FBNet, Wu et al., CVPR 2019; the relaxation of DARTS, Liu et al., ICLR 2019):
 * architecture logits for every elastic choice (kernel and expand ratio of every block slot, depth of
 * every stage, the input resolution); each step samples one path by the straight-through
 * Gumbel-softmax (Jang et al., ICLR 2017): the hard sample runs forward, the gradient reaches the
 * soft sample through a gate of value 1 on each chosen path ({@link PathGates}); the loss is the
 * validation cross-entropy of a batch plus {@code lambda x E[cost] / T} ({@link Penalty#LINEAR}) or
 * {@code lambda x max(0, E[cost] / T - 1)} ({@link Penalty#HINGE}), with {@code E[cost]} the expected
 * cost of the constraint's first latency bound (or MACs) under the logits' distribution and {@code T}
 * its bound. Only the logits learn (Adam); the supernet's weights and running statistics stay.
 *
 * <p>Gradients: a path's gate gradient {@code G} gives {@code dL/d alpha_k = G y_sel (1[k = sel] -
 * y_k) / tau} for the decision that chose it ({@code y} the soft sample); a block's gate serves its
 * kernel and expand decisions and, for a block beyond the smallest depth, its stage's depth decision
 * (summed over such blocks). No gradient reaches the input resolution through the network (a gate on the
 * logits only says whether sharper logits help), so the resolution's logits learn by the score-function
 * estimate (REINFORCE, as ProxylessNAS does for non-differentiable choices): {@code dL/d alpha_k = (L -
 * b) (1[k = sel] - p_k)}, {@code b} a moving average of the loss (decay 0.9). The expected cost is taken to
 * first order around the current argmax subnet ({@code E = c(A) + sum_d sum_k p_dk (c(A with d = k) -
 * c(A))}), whose gradient is exact and computed in closed form from the cost table. Temperature
 * anneals geometrically from {@code tauStart} to {@code tauEnd} (FBNet anneals 5.0 down).
 *
 * <p>The answer: the argmax subnet when it meets the constraint; the search then scores (with the
 * given predictor) up to {@code candidates} distinct feasible subnets, the argmax first and then the
 * most probable draws from the learned distribution, so that a closed loop measures them like any
 * strategy's proposals; if no draw is feasible, bounded random sampling stands in and a note says so.
 */
public final class GradientSearch implements SearchStrategy {

    /** The name of this strategy ({@link #name()}). */
    public static final String NAME = "gradient";

    /** How the expected cost enters the loss. */
    public enum Penalty {
        /**
         * {@code lambda x E[cost] / T} at every step (ProxylessNAS's and FBNet's additive form): a
         * pull towards cheaper subnets even well under the bound.
         */
        LINEAR,
        /**
         * {@code lambda x max(0, E[cost] / T - 1)}: a pull only while the expected cost is over the
         * bound, so that under it the cross-entropy alone decides (a budget, as every other strategy
         * here is given one).
         */
        HINGE;

        /**
         * @param name {@code linear} or {@code hinge}, any case
         * @return the penalty
         * @throws IllegalArgumentException naming the value and the allowed ones
         */
        public static Penalty parse(String name) {
            for (Penalty p : values()) {
                if (p.name().equalsIgnoreCase(name)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown gradient penalty '" + name + "': use linear or hinge");
        }
    }

    /**
     * What one step of the loss says about the paths of a sampled subnet.
     *
     * @param loss the loss of the step (e.g. the batch's cross-entropy)
     * @param blockGates d loss / d gate of each active block, in network order
     */
    public record Step(double loss, double[] blockGates) {}

    /** The loss of a sampled subnet and its path-gate gradients. */
    @FunctionalInterface
    public interface PathLoss {
        /**
         * Evaluates one step.
         *
         * @param arch the sampled subnet
         * @param rng the step's random source (e.g. the batch)
         * @return the loss and its gate gradients
         */
        Step step(ArchConfig arch, SplittableRandom rng);
    }

    private final PathLoss loss;
    private final int steps;
    private final double learningRate;
    private final double tauStart;
    private final double tauEnd;
    private final double lambda;
    private final Penalty penalty;
    private final int candidates;
    private final double sign;
    private final CostAxis frontAxis;

    private GradientSearch(Builder b) {
        this.loss = b.loss;
        this.steps = b.steps;
        this.learningRate = b.learningRate;
        this.tauStart = b.tauStart;
        this.tauEnd = b.tauEnd;
        this.lambda = b.lambda;
        this.penalty = b.penalty;
        this.candidates = b.candidates;
        this.sign = b.ascend ? -1 : 1;
        this.frontAxis = b.frontAxis;
    }

    /**
     * @param loss the loss of a sampled subnet (e.g. {@link #supernetLoss})
     * @return a builder
     */
    public static Builder builder(PathLoss loss) {
        return new Builder(loss);
    }

    /**
     * The validation cross-entropy of a trained supernet's sampled subnet on a random batch, batch
     * norm on the batch's statistics ({@link Supernet#forwardGated}); every array lives in a manager
     * closed at the end of the step.
     *
     * @param net the supernet (not closed here)
     * @param val validation images
     * @param mean per-channel input mean
     * @param std per-channel input standard deviation
     * @param batch images per step
     * @return the loss
     */
    public static PathLoss supernetLoss(Supernet net, ImageSet val, float[] mean, float[] std, int batch) {
        if (batch < 2 || batch > val.size()) {
            throw new IllegalArgumentException("batch must be in [2, " + val.size() + "] images, found " + batch);
        }
        return (arch, rng) -> {
            int[] idx = Shuffle.sample(val.size(), batch, rng);
            int blocks = (int) net.space().layers(arch).stream().filter(l -> l.kind() == LayerSpec.Kind.BLOCK).count();
            try (NDManager scope = NDManager.newBaseManager()) {
                NDArray x = Batches.images(scope, val, idx, arch.resolution(), mean, std);
                NDArray onehot = Batches.labels(scope, val, idx).oneHot(net.space().numClasses());
                NDArray[] gates = new NDArray[blocks];
                for (int i = 0; i < blocks; i++) {
                    gates[i] = scope.create(new float[] {1f});
                    gates[i].setRequiresGradient(true);
                }
                double l;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    // no logits gate: the resolution learns from the loss itself
                    NDArray logits = net.forwardGated(scope, x, arch, (index, layer) -> gates[index]);
                    NDArray ce = logits.logSoftmax(1).mul(onehot).sum(new int[] {1}).neg().mean();
                    l = ce.getFloat();
                    gc.backward(ce);
                }
                double[] g = new double[blocks];
                for (int i = 0; i < blocks; i++) {
                    g[i] = gates[i].getGradient().getFloat();
                }
                return new Step(l, g);
            }
        };
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return NAME;
    }

    /** @return optimisation steps of one search: one sampled subnet's loss and gate gradients each */
    public int steps() {
        return steps;
    }

    /** @return feasible subnets scored at the end at most (the argmax first): its evaluations */
    public int candidates() {
        return candidates;
    }

    /** {@inheritDoc} */
    @Override
    public List<LatencyPredictor> extraDevices() {
        return frontAxis.devices();
    }

    /** One categorical decision: its logits and Adam moments. */
    private static final class Decision {
        final double[] alpha;
        final double[] m;
        final double[] v;
        final double[] grad;
        /** d E[cost] / d alpha of the current step, before the penalty's weight. */
        final double[] costGrad;

        Decision(int n) {
            alpha = new double[n];
            m = new double[n];
            v = new double[n];
            grad = new double[n];
            costGrad = new double[n];
        }

        double[] probs() {
            return softmax(alpha, 1);
        }

        int argmax() {
            int best = 0;
            for (int i = 1; i < alpha.length; i++) {
                if (alpha[i] > alpha[best]) {
                    best = i;
                }
            }
            return best;
        }
    }

    static double[] softmax(double[] z, double tau) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : z) {
            max = Math.max(max, x / tau);
        }
        double[] p = new double[z.length];
        double s = 0;
        for (int i = 0; i < z.length; i++) {
            p[i] = Math.exp(z[i] / tau - max);
            s += p[i];
        }
        for (int i = 0; i < z.length; i++) {
            p[i] /= s;
        }
        return p;
    }

    /** The decisions of a space: kernel and expand per slot, depth per stage, resolution. */
    private static final class Decisions {
        final SearchSpace space;
        final List<Integer> resolutions;
        final Decision[] kernel;
        final Decision[] expand;
        final Decision[] depth;
        final Decision resolution;

        Decisions(SearchSpace space, List<Integer> resolutions) {
            this.space = space;
            this.resolutions = resolutions;
            int slots = space.numBlockSlots();
            kernel = new Decision[slots];
            expand = new Decision[slots];
            for (int i = 0; i < slots; i++) {
                kernel[i] = new Decision(space.kernels().size());
                expand[i] = new Decision(space.expandRatios().size());
            }
            depth = new Decision[space.numStages()];
            for (int s = 0; s < depth.length; s++) {
                depth[s] = new Decision(space.depths().size());
            }
            resolution = new Decision(resolutions.size());
        }

        List<Decision> all() {
            List<Decision> out = new ArrayList<>(List.of(kernel));
            out.addAll(List.of(expand));
            out.addAll(List.of(depth));
            out.add(resolution);
            return out;
        }

        ArchConfig arch(int[] k, int[] e, int[] d, int r) {
            List<BlockChoice> blocks = new ArrayList<>(k.length);
            for (int i = 0; i < k.length; i++) {
                blocks.add(new BlockChoice(space.kernels().get(k[i]), space.expandRatios().get(e[i])));
            }
            List<Integer> ds = new ArrayList<>(d.length);
            for (int x : d) {
                ds.add(space.depths().get(x));
            }
            return new ArchConfig(blocks, ds, resolutions.get(r));
        }

        int[] argmax(Decision[] ds) {
            int[] out = new int[ds.length];
            for (int i = 0; i < ds.length; i++) {
                out[i] = ds[i].argmax();
            }
            return out;
        }

        ArchConfig argmaxArch() {
            return arch(argmax(kernel), argmax(expand), argmax(depth), resolution.argmax());
        }
    }

    /** {@inheritDoc} */
    @Override
    public SearchResult search(ConstrainedSpace space, AccuracyPredictor predictor, long seed) {
        long t0 = System.nanoTime();
        SplittableRandom rng = new SplittableRandom(seed);
        SearchSpace ss = space.space();
        Decisions dec = new Decisions(ss, space.resolutions());
        java.util.function.ToDoubleFunction<ArchConfig> cost = null;
        double bound = Double.NaN;
        String costName = "none";
        if (!space.constraint().latencyBounds().isEmpty()) {
            Constraint.LatencyBound b = space.constraint().latencyBounds().get(0);
            String dev = b.predictor().deviceName();
            cost = a -> space.costs(a).latencyMs(dev);
            bound = b.maxMs();
            costName = "latency[" + dev + "]";
        } else if (space.constraint().maxMacs() != null) {
            cost = a -> space.table().cost(a).macs();
            bound = space.constraint().maxMacs();
            costName = "MACs";
        }
        int maxDepth = ss.maxDepth();
        int minDepth = ss.depths().get(0);
        double lossSum = 0;
        int lossN = 0;
        List<Double> history = new ArrayList<>();
        double lastExpected = Double.NaN;
        double baseline = Double.NaN;
        for (int t = 0; t < steps; t++) {
            double tau = steps == 1 ? tauStart : tauStart * Math.pow(tauEnd / tauStart, t / (double) (steps - 1));
            Map<Decision, double[]> soft = new LinkedHashMap<>();
            Map<Decision, Integer> hard = new LinkedHashMap<>();
            for (Decision d : dec.all()) {
                double[] z = new double[d.alpha.length];
                for (int i = 0; i < z.length; i++) {
                    double u = Math.max(1e-12, rng.nextDouble());
                    z[i] = d.alpha[i] - Math.log(-Math.log(u));
                }
                double[] y = softmax(z, tau);
                int sel = 0;
                for (int i = 1; i < y.length; i++) {
                    if (y[i] > y[sel]) {
                        sel = i;
                    }
                }
                soft.put(d, y);
                hard.put(d, sel);
                java.util.Arrays.fill(d.grad, 0);
                java.util.Arrays.fill(d.costGrad, 0);
            }
            int[] k = new int[dec.kernel.length];
            int[] e = new int[dec.expand.length];
            int[] ds = new int[dec.depth.length];
            for (int i = 0; i < k.length; i++) {
                k[i] = hard.get(dec.kernel[i]);
                e[i] = hard.get(dec.expand[i]);
            }
            for (int s = 0; s < ds.length; s++) {
                ds[s] = hard.get(dec.depth[s]);
            }
            ArchConfig arch = dec.arch(k, e, ds, hard.get(dec.resolution));
            Step st = loss.step(arch, rng.split());
            lossSum += st.loss();
            lossN++;
            // gate gradients per decision
            Map<Decision, Double> gate = new LinkedHashMap<>();
            int activeSum = 0;
            for (int s = 0; s < ds.length; s++) {
                activeSum += arch.depths().get(s);
            }
            int offset = st.blockGates().length - activeSum; // blocks outside the stages (OFA's first block)
            if (offset < 0) {
                throw new IllegalStateException("path loss returned " + st.blockGates().length + " block gates for "
                        + activeSum + " active blocks");
            }
            int b = offset;
            for (int s = 0; s < ds.length; s++) {
                for (int j = 0; j < arch.depths().get(s); j++) {
                    double g = st.blockGates()[b++];
                    int slot = s * maxDepth + j;
                    gate.merge(dec.kernel[slot], g, Double::sum);
                    gate.merge(dec.expand[slot], g, Double::sum);
                    if (arch.depths().get(s) > minDepth && j >= minDepth) {
                        gate.merge(dec.depth[s], g, Double::sum);
                    }
                }
            }
            for (Map.Entry<Decision, Double> en : gate.entrySet()) {
                Decision d = en.getKey();
                double[] y = soft.get(d);
                int sel = hard.get(d);
                double g = sign * en.getValue();
                for (int i = 0; i < y.length; i++) {
                    d.grad[i] += g * y[sel] * ((i == sel ? 1 : 0) - y[i]) / tau;
                }
            }
            // resolution: score-function estimate against a moving-average baseline of the loss
            double advantage = Double.isNaN(baseline) ? 0 : st.loss() - baseline;
            baseline = Double.isNaN(baseline) ? st.loss() : 0.9 * baseline + 0.1 * st.loss();
            double[] pr = dec.resolution.probs();
            int rsel = hard.get(dec.resolution);
            for (int i = 0; i < pr.length; i++) {
                dec.resolution.grad[i] += sign * advantage * ((i == rsel ? 1 : 0) - pr[i]);
            }
            // expected cost, first order around the argmax subnet
            if (cost != null && lambda != 0) {
                int[] ak = dec.argmax(dec.kernel);
                int[] ae = dec.argmax(dec.expand);
                int[] ad = dec.argmax(dec.depth);
                int ar = dec.resolution.argmax();
                ArchConfig base = dec.arch(ak, ae, ad, ar);
                double c0 = cost.applyAsDouble(base);
                double expected = c0;
                for (int s = 0; s < ad.length; s++) {
                    for (int j = 0; j < ss.depths().get(ad[s]); j++) {
                        int slot = s * maxDepth + j;
                        expected += costTerm(dec.kernel[slot], cost, c0, i -> {
                            int[] kk = ak.clone();
                            kk[slot] = i;
                            return dec.arch(kk, ae, ad, ar);
                        });
                        expected += costTerm(dec.expand[slot], cost, c0, i -> {
                            int[] ee = ae.clone();
                            ee[slot] = i;
                            return dec.arch(ak, ee, ad, ar);
                        });
                    }
                    int stage = s;
                    expected += costTerm(dec.depth[s], cost, c0, i -> {
                        int[] dd = ad.clone();
                        dd[stage] = i;
                        return dec.arch(ak, ae, dd, ar);
                    });
                }
                expected += costTerm(dec.resolution, cost, c0, i -> dec.arch(ak, ae, ad, i));
                lastExpected = expected;
                // linear: lambda x E / T everywhere; hinge: lambda x max(0, E / T - 1), no pull below the bound
                double weight = penalty == Penalty.LINEAR || expected > bound ? lambda / bound : 0;
                for (Decision d : dec.all()) {
                    for (int i = 0; i < d.grad.length; i++) {
                        d.grad[i] += weight * d.costGrad[i];
                    }
                }
            }
            // Adam (Kingma and Ba 2015: beta1 0.9, beta2 0.999, eps 1e-8)
            for (Decision d : dec.all()) {
                for (int i = 0; i < d.alpha.length; i++) {
                    d.m[i] = 0.9 * d.m[i] + 0.1 * d.grad[i];
                    d.v[i] = 0.999 * d.v[i] + 0.001 * d.grad[i] * d.grad[i];
                    double mh = d.m[i] / (1 - Math.pow(0.9, t + 1));
                    double vh = d.v[i] / (1 - Math.pow(0.999, t + 1));
                    d.alpha[i] -= learningRate * mh / (Math.sqrt(vh) + 1e-8);
                }
            }
            if ((t + 1) % 10 == 0 || t == steps - 1) {
                history.add(lossSum / lossN);
                lossSum = 0;
                lossN = 0;
            }
        }
        // the answer: the argmax, then the most probable feasible draws
        ConstrainedSpace.RejectionLog log = space.newLog();
        List<String> notes = new ArrayList<>();
        Map<String, ConstrainedSpace.Feasible> found = new LinkedHashMap<>();
        Map<String, Double> logProb = new LinkedHashMap<>();
        ArchConfig top = dec.argmaxArch();
        ConstrainedSpace.Feasible f0 = space.satisfies(top) ? space.tryAccept(top, log) : null;
        if (f0 != null) {
            found.put(top.key(), f0);
            logProb.put(top.key(), Double.POSITIVE_INFINITY);
        } else {
            notes.add("the argmax subnet " + top.key() + " does not meet (" + space.constraint().describe()
                    + "): the most probable feasible draws stand in");
        }
        for (int draw = 0; draw < 50 * candidates && found.size() < candidates; draw++) {
            int[] k = new int[dec.kernel.length];
            int[] e = new int[dec.expand.length];
            int[] d = new int[dec.depth.length];
            double lp = 0;
            for (int i = 0; i < k.length; i++) {
                k[i] = draw(dec.kernel[i].probs(), rng);
                e[i] = draw(dec.expand[i].probs(), rng);
            }
            for (int s = 0; s < d.length; s++) {
                d[s] = draw(dec.depth[s].probs(), rng);
                lp += Math.log(dec.depth[s].probs()[d[s]]);
            }
            int r = draw(dec.resolution.probs(), rng);
            lp += Math.log(dec.resolution.probs()[r]);
            for (int s = 0; s < d.length; s++) {
                for (int j = 0; j < ss.depths().get(d[s]); j++) {
                    int slot = s * maxDepth + j;
                    lp += Math.log(dec.kernel[slot].probs()[k[slot]]) + Math.log(dec.expand[slot].probs()[e[slot]]);
                }
            }
            ArchConfig a = dec.arch(k, e, d, r).canonical();
            if (found.containsKey(a.key()) || !space.resolutions().contains(a.resolution())) {
                continue;
            }
            ConstrainedSpace.Feasible f = space.tryAccept(a, log);
            if (f != null) {
                found.put(a.key(), f);
                logProb.put(a.key(), lp);
            }
        }
        if (found.isEmpty()) {
            notes.add("no draw of the learned distribution met the constraint: " + candidates
                    + " random feasible subnets stand in");
            for (int i = 0; i < candidates; i++) {
                ConstrainedSpace.Feasible f = space.sample(rng, RejectionPolicy.DEFAULT, log);
                found.putIfAbsent(f.arch().key(), f);
                logProb.putIfAbsent(f.arch().key(), Double.NEGATIVE_INFINITY);
            }
        }
        List<ConstrainedSpace.Feasible> ranked = new ArrayList<>(found.values());
        ranked.sort(Comparator.comparingDouble((ConstrainedSpace.Feasible f) -> logProb.get(f.arch().key())).reversed());
        Scorer scorer = new Scorer(predictor);
        List<Candidate> scored = scorer.score(ranked);
        Candidate best = scored.get(0);
        history.add(best.predictedAccuracy());
        notes.add(String.format(Locale.ROOT, "%d steps, tau %.2f -> %.2f, lambda %.3f (%s) on %s (bound %s), mean loss"
                        + " of the last 10 steps %.4f, expected cost at the end %s", steps, tauStart, tauEnd, lambda,
                penalty.name().toLowerCase(Locale.ROOT), costName,
                Double.isNaN(bound) ? "-" : String.format(Locale.ROOT, "%.4g", bound),
                history.size() >= 2 ? history.get(history.size() - 2) : Double.NaN,
                Double.isNaN(lastExpected) ? "-" : String.format(Locale.ROOT, "%.4g", lastExpected)));
        notes.addAll(log.notes(space, RejectionPolicy.DEFAULT));
        double ms = (System.nanoTime() - t0) / 1e6;
        return new SearchResult(name(), seed, space.constraint(), best, ParetoFront.of(scored, frontAxis), frontAxis,
                history, scorer.evaluations, scorer.distinct, log.attempts, notes, ms);
    }

    /**
     * Adds the first-order expected-cost gradient of one decision ({@code p_k (D_k - sum_c p_c D_c)},
     * {@code D_c} the cost change of choice c) to its {@code costGrad} and returns its share of the
     * expected cost.
     */
    private static double costTerm(Decision d, java.util.function.ToDoubleFunction<ArchConfig> cost, double c0,
            java.util.function.IntFunction<ArchConfig> with) {
        double[] p = d.probs();
        double[] delta = new double[p.length];
        double mean = 0;
        for (int i = 0; i < p.length; i++) {
            delta[i] = cost.applyAsDouble(with.apply(i)) - c0;
            mean += p[i] * delta[i];
        }
        for (int i = 0; i < p.length; i++) {
            d.costGrad[i] += p[i] * (delta[i] - mean);
        }
        return mean;
    }

    private static int draw(double[] p, SplittableRandom rng) {
        double u = rng.nextDouble();
        double s = 0;
        for (int i = 0; i < p.length; i++) {
            s += p[i];
            if (u < s) {
                return i;
            }
        }
        return p.length - 1;
    }

    /** Builds a {@link GradientSearch}. */
    public static final class Builder extends SearchBuilder<Builder> {
        private final PathLoss loss;
        private int steps = 200;
        private double learningRate = 0.05;
        private double tauStart = 5;
        private double tauEnd = 0.5;
        private double lambda = 1;
        private Penalty penalty = Penalty.HINGE;
        private int candidates = 8;
        private boolean ascend;

        private Builder(PathLoss loss) {
            this.loss = loss;
        }

        /** {@inheritDoc} */
        @Override
        Builder self() {
            return this;
        }

        /**
         * @param n optimisation steps, one sampled subnet and batch each (default 200)
         * @return this builder
         */
        public Builder optSteps(int n) {
            this.steps = n;
            return this;
        }

        /**
         * @param lr Adam learning rate of the logits (default 0.05)
         * @return this builder
         */
        public Builder optLearningRate(double lr) {
            this.learningRate = lr;
            return this;
        }

        /**
         * @param start Gumbel-softmax temperature of the first step (default 5, FBNet's)
         * @param end temperature of the last step (default 0.5)
         * @return this builder
         */
        public Builder optTemperature(double start, double end) {
            this.tauStart = start;
            this.tauEnd = end;
            return this;
        }

        /**
         * @param l weight of the expected cost relative to its bound (default 1)
         * @return this builder
         */
        public Builder optLambda(double l) {
            this.lambda = l;
            return this;
        }

        /**
         * @param p how the expected cost enters the loss (default {@link Penalty#HINGE})
         * @return this builder
         */
        public Builder optPenalty(Penalty p) {
            this.penalty = java.util.Objects.requireNonNull(p, "penalty");
            return this;
        }

        /**
         * @param n feasible subnets scored at the end, the argmax first (default 8, the closed loop's K)
         * @return this builder
         */
        public Builder optCandidates(int n) {
            this.candidates = n;
            return this;
        }

        /**
         * Climbs the loss instead of descending it: a deliberately broken variant for tests.
         *
         * @return this builder
         */
        Builder brokenAscent() {
            this.ascend = true;
            return this;
        }

        /**
         * @return the search
         * @throws IllegalArgumentException naming a bad setting
         */
        public GradientSearch build() {
            if (loss == null) {
                throw new IllegalArgumentException("gradient search needs a path loss, found null");
            }
            if (steps < 1) {
                throw new IllegalArgumentException("steps must be at least 1, found " + steps);
            }
            if (!(learningRate >= 0) || !(tauStart > 0) || !(tauEnd > 0) || !(lambda >= 0)) {
                throw new IllegalArgumentException("learning rate and lambda must be >= 0 and temperatures > 0, found "
                        + learningRate + ", " + lambda + ", " + tauStart + " and " + tauEnd);
            }
            if (candidates < 1 || candidates > 256) {
                throw new IllegalArgumentException("candidates must be in [1, 256], found " + candidates);
            }
            checkFrontAxis();
            return new GradientSearch(this);
        }
    }
}
