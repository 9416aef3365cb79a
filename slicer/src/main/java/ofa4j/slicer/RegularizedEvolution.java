package ofa4j.slicer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.LatencyPredictor;

/**
 * Regularized ("aging") evolution (Real, Aggarwal, Huang and Le, "Regularized Evolution for Image
 * Classifier Architecture Search", AAAI 2019, Algorithm 1; the search behind AmoebaNet): maximise
 * predicted accuracy subject to a constraint.
 *
 * <p>A population of {@code populationSize} feasible random subnets is predicted. Then, until the
 * budget of {@code evaluations} is spent: draw {@code sampleSize} members of the population
 * uniformly with replacement, mutate the most accurate of them (the tournament winner), predict the
 * child, append it to the population and remove the <em>oldest</em> member, whatever its accuracy.
 * Ageing is the difference with OFA's {@link EvolutionSearch}, which keeps the best quarter forever:
 * every network dies young, so a lucky high prediction cannot dominate the population, and only
 * architectures that keep being re-discovered by mutation survive. The answer is the most accurate
 * subnet of the whole history, as in the paper.
 *
 * <p>Children are bred {@code batchSize} at a time from the same population and predicted in one
 * batch, then the {@code batchSize} oldest members die. The paper ran 450 asynchronous workers, so
 * its children too were bred from a population that did not yet hold the previous few children;
 * a batch of 25 (the default) is 25 such workers and saves the predictor 24 calls in 25. With
 * {@code batchSize = 1} this is the paper's sequential algorithm.
 *
 * <p>The mutation is OFA's ({@link ofa4j.models.SearchSpace#mutate}: each kernel, expand ratio and
 * stage depth resampled with probability 0.1, the resolution with probability 0.5, among the
 * allowed resolutions), by bounded rejection sampling until the child satisfies the constraint
 * (see {@link RejectionPolicy}), so that this search and {@link EvolutionSearch} differ only in
 * selection. Defaults: population 100, sample 25 (the paper's P and S for its main experiments),
 * 50,100 evaluations (OFA's evolution budget, so that the two compare at equal cost).
 *
 * <p>{@code sampleSize = 1} removes the selection pressure: the parent is a uniform member of the
 * population, and the search becomes a random walk (an ablation; the tests use it as the broken
 * variant). As in {@link EvolutionSearch}, the search stops early, and says so in its notes, when
 * every child of a batch is a rejection give-up.
 */
public final class RegularizedEvolution implements SearchStrategy {

    /** The name of this strategy ({@link #name()}). */
    public static final String NAME = "regularized-evolution";

    private final int populationSize;
    private final int sampleSize;
    private final long evaluations;
    private final int batchSize;
    private final double archMutateProb;
    private final double resolutionMutateProb;
    private final RejectionPolicy rejection;
    private final CostAxis frontAxis;

    private RegularizedEvolution(Builder b) {
        this.populationSize = b.populationSize;
        this.sampleSize = b.sampleSize;
        this.evaluations = b.evaluations;
        this.batchSize = b.batchSize;
        this.archMutateProb = b.archMutateProb;
        this.resolutionMutateProb = b.resolutionMutateProb;
        this.rejection = b.rejection;
        this.frontAxis = b.frontAxis;
    }

    /** @return a builder with the defaults of the class comment */
    public static Builder builder() {
        return new Builder();
    }

    /** @return predictor evaluations one search makes (the initial population included) */
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
        List<ConstrainedSpace.Feasible> batch = new ArrayList<>();
        for (int i = 0; i < populationSize; i++) {
            batch.add(space.sample(run.rng, rejection, run.log));
        }
        // oldest first: the head of the queue dies next
        ArrayDeque<Candidate> population = new ArrayDeque<>(run.scorer.score(batch));
        List<Candidate> history = new ArrayList<>(population);
        Candidate best = null;
        for (Candidate c : population) {
            best = better(best, c);
        }
        List<Double> bestHistory = new ArrayList<>();
        bestHistory.add(best.predictedAccuracy());
        long done = populationSize;
        long stoppedAt = -1;
        // the tournament draws from an indexed copy of the population, rebuilt once per batch
        List<Candidate> members = new ArrayList<>(population);
        while (done < evaluations) {
            int n = (int) Math.min(batchSize, evaluations - done);
            batch.clear();
            long giveUps0 = run.log.mutationGiveUps;
            for (int i = 0; i < n; i++) {
                Candidate parent = tournament(members, run.rng);
                batch.add(space.mutate(new ConstrainedSpace.Feasible(parent.arch(), parent.costs()), run.rng,
                        archMutateProb, resolutionMutateProb, rejection, run.log));
            }
            for (Candidate child : run.scorer.score(batch)) {
                population.addLast(child);
                population.removeFirst();
                history.add(child);
                best = better(best, child);
            }
            members.clear();
            members.addAll(population);
            bestHistory.add(best.predictedAccuracy());
            done += n;
            if (run.log.mutationGiveUps - giveUps0 == n) {
                stoppedAt = done;
                break;
            }
        }
        List<String> notes = run.log.notes(space, rejection);
        if (stoppedAt > 0) {
            notes.add("stopped after " + stoppedAt + " of " + evaluations + " evaluations: every child of the last"
                    + " batch was a rejection give-up (the constraint leaves almost no room around the parents)");
        }
        return run.result(name(), best, ParetoFront.of(history, frontAxis), frontAxis, bestHistory, notes);
    }

    /** Draws {@code sampleSize} members with replacement and returns the most accurate (first on ties). */
    private Candidate tournament(List<Candidate> members, SplittableRandom rng) {
        Candidate winner = null;
        for (int i = 0; i < sampleSize; i++) {
            Candidate c = members.get(rng.nextInt(members.size()));
            if (winner == null || c.predictedAccuracy() > winner.predictedAccuracy()) {
                winner = c;
            }
        }
        return winner;
    }

    private static Candidate better(Candidate best, Candidate c) {
        return best == null || c.predictedAccuracy() > best.predictedAccuracy() ? c : best;
    }

    /** Builds a {@link RegularizedEvolution}; every setting is optional. */
    public static final class Builder extends SearchBuilder.Mutating<Builder> {
        private int populationSize = 100;
        private int sampleSize = 25;
        private long evaluations = 50_100;
        private int batchSize = 25;

        private Builder() {}

        /** {@inheritDoc} */
        @Override
        Builder self() {
            return this;
        }

        /**
         * @param n population size P (default 100)
         * @return this builder
         */
        public Builder optPopulationSize(int n) {
            this.populationSize = n;
            return this;
        }

        /**
         * @param n tournament sample size S (default 25; 1 = no selection pressure)
         * @return this builder
         */
        public Builder optSampleSize(int n) {
            this.sampleSize = n;
            return this;
        }

        /**
         * @param n predictor evaluations in all, the initial population included (default 50,100)
         * @return this builder
         */
        public Builder optEvaluations(long n) {
            this.evaluations = n;
            return this;
        }

        /**
         * @param n children bred from one population and predicted in one batch (default 25)
         * @return this builder
         */
        public Builder optBatchSize(int n) {
            this.batchSize = n;
            return this;
        }

        /**
         * Checks the settings and builds the search.
         *
         * @return the search
         * @throws IllegalArgumentException naming a setting out of range
         */
        public RegularizedEvolution build() {
            if (populationSize < 2) {
                throw new IllegalArgumentException("population size must be at least 2, found " + populationSize);
            }
            if (sampleSize < 1 || sampleSize > populationSize) {
                throw new IllegalArgumentException("sample size must be in [1, population size " + populationSize
                        + "], found " + sampleSize);
            }
            if (evaluations < populationSize) {
                throw new IllegalArgumentException("evaluations must be at least the population size " + populationSize
                        + ", found " + evaluations);
            }
            if (batchSize < 1 || batchSize > populationSize) {
                throw new IllegalArgumentException("batch size must be in [1, population size " + populationSize
                        + "], found " + batchSize);
            }
            checkMutation();
            checkSampling();
            return new RegularizedEvolution(this);
        }
    }
}
