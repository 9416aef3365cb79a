package ofa4j.slicer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import ofa4j.models.ArchEncoding;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.LatencyPredictor;
import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * Bayesian optimisation (Mockus 1975; Jones, Schonlau and Welch, "Efficient Global Optimization of
 * Expensive Black-Box Functions", 1998; the method of Google Vizier's default GP bandit): a
 * Gaussian-process surrogate of predicted accuracy over the architecture encoding picks each next
 * subnet by expected improvement. Made for small budgets (hundreds of evaluations, as when every
 * evaluation is a real BN recalibration and validation pass): the surrogate costs {@code O(n^3)}
 * per refit in the evaluations made so far.
 *
 * <p>Features: OFA's one-hot {@link ArchEncoding} (the encoding the accuracy predictors read). The
 * surrogate: {@link GaussianProcess}, squared-exponential kernel on the squared distance of
 * encodings (twice the number of differing choices), hyperparameters by log marginal likelihood,
 * refitted every {@code refitEvery} evaluations and kept in between.
 *
 * <p>The search: {@code initialPoints} feasible random subnets are predicted. Then each iteration
 * proposes candidates: {@code mutantsPerParent} mutations (OFA's operator, by bounded rejection
 * sampling, so every candidate satisfies the constraint) of each of the {@code parents} most
 * accurate subnets so far, and a pool of up to {@code randomCandidates} feasible random subnets
 * (kept across iterations: each time a tenth of it is drawn afresh and the oldest leave); subnets already evaluated are
 * dropped. The {@code batchSize} candidates of highest expected improvement over the
 * best prediction so far, {@code EI = (mu - f*) Phi(z) + s phi(z)} with {@code z = (mu - f*) / s},
 * are predicted in one batch. The surrogate never decides feasibility: every candidate is checked
 * against the constraint before it is scored.
 *
 * <p>Defaults: 200 evaluations, 20 initial points, batches of 1 (sequential BO), 10 parents x 20
 * mutants + 100 random candidates per iteration, hyperparameters refitted every 10 evaluations.
 * {@link Acquisition#RANDOM} picks candidates uniformly instead of by EI: an ablation that measures
 * what the surrogate adds (the tests use it as the broken variant).
 */
public final class BayesianOptimisation implements SearchStrategy {

    /** The name of this strategy ({@link #name()}). */
    public static final String NAME = "bayes-opt";

    /** How the next subnets are chosen among the candidates. */
    public enum Acquisition {
        /** Highest expected improvement under the GP (the method). */
        EXPECTED_IMPROVEMENT,
        /** Uniformly at random, ignoring the GP (an ablation). */
        RANDOM
    }

    private static final NormalDistribution NORMAL = new NormalDistribution(null, 0, 1);

    private final long evaluations;
    private final int initialPoints;
    private final int batchSize;
    private final int parents;
    private final int mutantsPerParent;
    private final int randomCandidates;
    private final int refitEvery;
    private final Acquisition acquisition;
    private final double archMutateProb;
    private final double resolutionMutateProb;
    private final RejectionPolicy rejection;
    private final CostAxis frontAxis;

    private BayesianOptimisation(Builder b) {
        this.evaluations = b.evaluations;
        this.initialPoints = b.initialPoints;
        this.batchSize = b.batchSize;
        this.parents = b.parents;
        this.mutantsPerParent = b.mutantsPerParent;
        this.randomCandidates = b.randomCandidates;
        this.refitEvery = b.refitEvery;
        this.acquisition = b.acquisition;
        this.archMutateProb = b.archMutateProb;
        this.resolutionMutateProb = b.resolutionMutateProb;
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
        return frontAxis.devices();
    }

    /** {@inheritDoc} */
    @Override
    public SearchResult search(ConstrainedSpace space, AccuracyPredictor predictor, long seed) {
        SearchRun run = new SearchRun(space, predictor, seed);
        ArchEncoding encoding = new ArchEncoding(space.space());
        int cap = (int) evaluations;
        double[][] x = new double[cap][];
        double[][] dist = new double[cap][];
        double[] y = new double[cap];
        List<Candidate> evaluated = new ArrayList<>(cap);
        Set<String> seen = new HashSet<>();
        List<Double> history = new ArrayList<>();

        // initial design: distinct feasible random subnets (repeats are redrawn a bounded number of times)
        List<ConstrainedSpace.Feasible> batch = new ArrayList<>();
        Set<String> batchKeys = new HashSet<>();
        int n0 = (int) Math.min(initialPoints, evaluations);
        for (int tries = 0; batch.size() < n0 && tries < 20 * n0; tries++) {
            ConstrainedSpace.Feasible f = space.sample(run.rng, rejection, run.log);
            if (batchKeys.add(f.arch().key()) || tries >= 10 * n0) {
                batch.add(f);
            }
        }
        add(run.scorer.score(batch), encoding, x, dist, y, evaluated, seen);
        history.add(bestOf(evaluated).predictedAccuracy());

        GaussianProcess gp = null;
        int fittedAt = 0;
        int fittedPoints = 0;
        double acqSum = 0;
        int acqCount = 0;
        boolean exhausted = false;
        Map<String, ConstrainedSpace.Feasible> randomPool = new LinkedHashMap<>();
        while (run.scorer.evaluations < evaluations) {
            int n = evaluated.size();
            double[][] xs = java.util.Arrays.copyOf(x, n);
            double[] ys = java.util.Arrays.copyOf(y, n);
            if (acquisition == Acquisition.EXPECTED_IMPROVEMENT) {
                fittedPoints = n;
                if (gp == null || n - fittedAt >= refitEvery) {
                    gp = GaussianProcess.fit(xs, dist, ys);
                    fittedAt = n;
                } else {
                    GaussianProcess g = GaussianProcess.fit(xs, dist, ys, gp.lengthSq(), gp.noise());
                    gp = g != null ? g : GaussianProcess.fit(xs, dist, ys);
                }
            }
            List<ConstrainedSpace.Feasible> pool = candidates(space, evaluated, seen, randomPool, run.rng, run.log);
            int q = (int) Math.min(batchSize, evaluations - run.scorer.evaluations);
            batch.clear();
            if (pool.isEmpty()) {
                exhausted = true; // every candidate proposed was evaluated already: a tiny feasible space
                break;
            } else if (acquisition == Acquisition.RANDOM) {
                for (int i = 0; i < q && !pool.isEmpty(); i++) {
                    batch.add(pool.remove(run.rng.nextInt(pool.size())));
                }
            } else {
                double best = ys[0];
                for (double v : ys) {
                    best = Math.max(best, v);
                }
                double[] ei = new double[pool.size()];
                for (int i = 0; i < ei.length; i++) {
                    ei[i] = expectedImprovement(gp.predict(features(encoding, pool.get(i))), best);
                }
                Integer[] order = new Integer[ei.length];
                for (int i = 0; i < order.length; i++) {
                    order[i] = i;
                }
                // highest EI first; ties by proposal order, for reproducibility
                java.util.Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -ei[i]).thenComparing(i -> i));
                for (int i = 0; i < q && i < order.length; i++) {
                    batch.add(pool.get(order[i]));
                    acqSum += ei[order[i]];
                    acqCount++;
                }
            }
            add(run.scorer.score(batch), encoding, x, dist, y, evaluated, seen);
            history.add(bestOf(evaluated).predictedAccuracy());
        }
        List<String> notes = run.log.notes(space, rejection);
        if (exhausted) {
            notes.add("stopped after " + run.scorer.evaluations + " of " + evaluations + " evaluations: every"
                    + " candidate proposed (mutants and random samples) had been evaluated already; the feasible space"
                    + " under (" + space.constraint().describe() + ") is nearly exhausted");
        }
        if (gp != null) {
            notes.add(String.format(Locale.ROOT, "GP surrogate at the end: %d points, squared length scale %.3g, noise"
                    + " variance %.3g (standardised), log marginal likelihood %.2f; mean expected improvement of the"
                    + " chosen subnets %.3g", fittedPoints, gp.lengthSq(), gp.noise(),
                    gp.logLikelihood(), acqCount == 0 ? 0.0 : acqSum / acqCount));
        }
        return run.result(name(), bestOf(evaluated), ParetoFront.of(evaluated, frontAxis), frontAxis, history, notes);
    }

    /**
     * Mutants of the most accurate subnets, then random feasible subnets, not yet evaluated, in
     * proposal order. The random candidates persist across iterations (those not chosen stay, a
     * tenth of {@code randomCandidates} fresh ones join each time): under a tight constraint a random
     * feasible subnet costs hundreds of rejected draws, mutants of feasible parents only a few.
     */
    private List<ConstrainedSpace.Feasible> candidates(ConstrainedSpace space, List<Candidate> evaluated,
            Set<String> seen, Map<String, ConstrainedSpace.Feasible> randomPool, SplittableRandom rng,
            ConstrainedSpace.RejectionLog log) {
        List<Candidate> top = new ArrayList<>(evaluated);
        // most accurate first; ties by evaluation order (a stable sort)
        top.sort(Comparator.comparingDouble(Candidate::predictedAccuracy).reversed());
        Map<String, ConstrainedSpace.Feasible> pool = new LinkedHashMap<>();
        for (int p = 0; p < Math.min(parents, top.size()); p++) {
            Candidate c = top.get(p);
            ConstrainedSpace.Feasible parent = new ConstrainedSpace.Feasible(c.arch(), c.costs());
            for (int i = 0; i < mutantsPerParent; i++) {
                ConstrainedSpace.Feasible f = space.mutate(parent, rng, archMutateProb, resolutionMutateProb, rejection, log);
                if (!seen.contains(f.arch().key())) {
                    pool.putIfAbsent(f.arch().key(), f);
                }
            }
        }
        randomPool.keySet().removeAll(seen);
        int fresh = randomPool.isEmpty() ? randomCandidates : Math.max(1, randomCandidates / 10);
        for (int i = 0; i < fresh; i++) {
            ConstrainedSpace.Feasible f = space.sample(rng, rejection, log);
            if (!seen.contains(f.arch().key())) {
                randomPool.putIfAbsent(f.arch().key(), f);
            }
        }
        // the oldest leave first
        var it = randomPool.keySet().iterator();
        while (randomPool.size() > randomCandidates && it.hasNext()) {
            it.next();
            it.remove();
        }
        for (ConstrainedSpace.Feasible f : randomPool.values()) {
            pool.putIfAbsent(f.arch().key(), f);
        }
        return new ArrayList<>(pool.values());
    }

    private static void add(List<Candidate> scored, ArchEncoding encoding, double[][] x, double[][] dist, double[] y,
            List<Candidate> evaluated, Set<String> seen) {
        for (Candidate c : scored) {
            if (!seen.add(c.arch().key())) {
                continue; // a repeat (initial design or fallback): no new information, and a GP needs distinct points
            }
            int i = evaluated.size();
            x[i] = features(encoding, c.arch());
            dist[i] = new double[i];
            for (int j = 0; j < i; j++) {
                dist[i][j] = GaussianProcess.squaredDistance(x[i], x[j]);
            }
            y[i] = c.predictedAccuracy();
            evaluated.add(c);
        }
    }

    private static double[] features(ArchEncoding encoding, ConstrainedSpace.Feasible f) {
        return features(encoding, f.arch());
    }

    private static double[] features(ArchEncoding encoding, ofa4j.models.ArchConfig arch) {
        float[] e = encoding.encode(arch);
        double[] d = new double[e.length];
        for (int i = 0; i < e.length; i++) {
            d[i] = e[i];
        }
        return d;
    }

    /** Expected improvement over {@code best} of a Gaussian {mean, sd} (for maximisation). */
    static double expectedImprovement(double[] meanSd, double best) {
        double gain = meanSd[0] - best;
        double s = meanSd[1];
        if (!(s > 1e-12)) {
            return Math.max(0, gain);
        }
        double z = gain / s;
        return gain * NORMAL.cumulativeProbability(z) + s * NORMAL.density(z);
    }

    private static Candidate bestOf(List<Candidate> cs) {
        Candidate best = null;
        for (Candidate c : cs) {
            if (best == null || c.predictedAccuracy() > best.predictedAccuracy()) {
                best = c;
            }
        }
        return best;
    }

    /** Builds a {@link BayesianOptimisation}; every setting is optional. */
    public static final class Builder extends SearchBuilder.Mutating<Builder> {
        private long evaluations = 200;
        private int initialPoints = 20;
        private int batchSize = 1;
        private int parents = 10;
        private int mutantsPerParent = 20;
        private int randomCandidates = 100;
        private int refitEvery = 10;
        private Acquisition acquisition = Acquisition.EXPECTED_IMPROVEMENT;

        private Builder() {}

        /** {@inheritDoc} */
        @Override
        Builder self() {
            return this;
        }

        /**
         * @param n predictor evaluations (default 200; the GP costs O(n^3) per refit)
         * @return this builder
         */
        public Builder optEvaluations(long n) {
            this.evaluations = n;
            return this;
        }

        /**
         * @param n random subnets predicted before the surrogate is first fitted (default 20)
         * @return this builder
         */
        public Builder optInitialPoints(int n) {
            this.initialPoints = n;
            return this;
        }

        /**
         * @param n subnets chosen per iteration, the n of highest EI (default 1)
         * @return this builder
         */
        public Builder optBatchSize(int n) {
            this.batchSize = n;
            return this;
        }

        /**
         * @param n most accurate subnets whose mutants are candidates (default 10)
         * @return this builder
         */
        public Builder optParents(int n) {
            this.parents = n;
            return this;
        }

        /**
         * @param n mutants proposed per parent and iteration (default 20)
         * @return this builder
         */
        public Builder optMutantsPerParent(int n) {
            this.mutantsPerParent = n;
            return this;
        }

        /**
         * @param n random feasible candidates per iteration (default 100)
         * @return this builder
         */
        public Builder optRandomCandidates(int n) {
            this.randomCandidates = n;
            return this;
        }

        /**
         * @param n evaluations between two choices of length scale and noise (default 10)
         * @return this builder
         */
        public Builder optRefitEvery(int n) {
            this.refitEvery = n;
            return this;
        }

        /**
         * @param a how candidates are chosen (default {@link Acquisition#EXPECTED_IMPROVEMENT})
         * @return this builder
         */
        public Builder optAcquisition(Acquisition a) {
            this.acquisition = a;
            return this;
        }

        /**
         * Checks the settings and builds the search.
         *
         * @return the search
         * @throws IllegalArgumentException naming a setting out of range
         */
        public BayesianOptimisation build() {
            if (evaluations < 2 || evaluations > 20_000) {
                throw new IllegalArgumentException("evaluations must be in [2, 20000] (the GP costs O(n^3)), found "
                        + evaluations);
            }
            if (initialPoints < 2 || initialPoints > evaluations) {
                throw new IllegalArgumentException("initial points must be in [2, evaluations " + evaluations
                        + "], found " + initialPoints);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be at least 1, found " + batchSize);
            }
            if (parents < 0 || mutantsPerParent < 0 || randomCandidates < 0 || parents * mutantsPerParent + randomCandidates < 1) {
                throw new IllegalArgumentException("parents, mutants per parent and random candidates must be >= 0"
                        + " and propose at least one candidate, found " + parents + ", " + mutantsPerParent + ", "
                        + randomCandidates);
            }
            if (refitEvery < 1) {
                throw new IllegalArgumentException("refit interval must be at least 1, found " + refitEvery);
            }
            checkMutation();
            if (acquisition == null || rejection == null || frontAxis == null) {
                throw new IllegalArgumentException("acquisition, rejection policy and front axis must not be null");
            }
            return new BayesianOptimisation(this);
        }
    }
}
