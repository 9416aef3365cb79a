package ofa4j.slicer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import ofa4j.predictor.AccuracyPredictor;

/**
 * OFA's evolutionary search ({@code ofa.nas.search_algorithm.EvolutionFinder}, Cai et al., ICLR
 * 2020, section 3.3; the method of Real et al., "Regularized Evolution", AAAI 2019, without
 * ageing): maximise predicted accuracy subject to a constraint.
 *
 * <p>A population of {@code populationSize} feasible random subnets is predicted; each generation
 * keeps the top {@code parentRatio} as parents, then adds {@code mutationRatio x populationSize}
 * mutants of random parents and crossovers of random parent pairs for the rest (each by bounded
 * rejection sampling, see {@link RejectionPolicy}) and predicts the children in one batch. The
 * defaults are OFA's: population 100, 500 generations ({@code max_time_budget}), parents 25%,
 * mutants 50%, arch mutation probability 0.1 per block gene and stage depth, resolution mutation
 * probability 0.5; that is 100 + 500 x 100 = 50,100 predictor evaluations.
 *
 * <p>Differences with OFA: OFA reads the best candidate from the parents at the start of each
 * generation, so the last generation's children are never looked at; here the final population is
 * ranked too. When every child of a generation is a rejection give-up (a constraint that leaves
 * no room around the parents, e.g. a bound at the smallest subnet's cost), the search stops early
 * and says so in its notes instead of spending the rest of the budget on rejections.
 */
public final class EvolutionSearch implements SearchStrategy {

    private final int populationSize;
    private final int generations;
    private final double parentRatio;
    private final double mutationRatio;
    private final double archMutateProb;
    private final double resolutionMutateProb;
    private final RejectionPolicy rejection;
    private final CostAxis frontAxis;

    private EvolutionSearch(Builder b) {
        this.populationSize = b.populationSize;
        this.generations = b.generations;
        this.parentRatio = b.parentRatio;
        this.mutationRatio = b.mutationRatio;
        this.archMutateProb = b.archMutateProb;
        this.resolutionMutateProb = b.resolutionMutateProb;
        this.rejection = b.rejection;
        this.frontAxis = b.frontAxis;
    }

    /** @return a builder with OFA's defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the search with OFA's defaults */
    public static EvolutionSearch ofaDefaults() {
        return builder().build();
    }

    /** @return predictor evaluations one search makes: {@code populationSize x (generations + 1)} */
    public long budget() {
        return (long) populationSize * (generations + 1);
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "evolution";
    }

    /** {@inheritDoc} */
    @Override
    public java.util.List<ofa4j.predictor.LatencyPredictor> extraDevices() {
        return frontAxis.devices();
    }

    /** {@inheritDoc} */
    @Override
    public SearchResult search(ConstrainedSpace space, AccuracyPredictor predictor, long seed) {
        SearchRun run = new SearchRun(space, predictor, seed);
        int mutants = (int) Math.round(mutationRatio * populationSize);
        int parentsSize = Math.max(1, (int) Math.round(parentRatio * populationSize));

        List<ConstrainedSpace.Feasible> children = new ArrayList<>(populationSize);
        for (int i = 0; i < populationSize; i++) {
            children.add(space.sample(run.rng, rejection, run.log));
        }
        List<Candidate> population = new ArrayList<>(run.scorer.score(children));
        List<Double> history = new ArrayList<>();
        Candidate best = null;
        int stoppedAt = -1;
        Comparator<Candidate> byAccDesc = Comparator.comparingDouble(Candidate::predictedAccuracy).reversed();
        for (int g = 0; g < generations; g++) {
            population.sort(byAccDesc);
            List<Candidate> parents = new ArrayList<>(population.subList(0, Math.min(parentsSize, population.size())));
            best = better(best, parents.get(0));
            history.add(best.predictedAccuracy());
            List<ConstrainedSpace.Feasible> feasibleParents = new ArrayList<>(parents.size());
            for (Candidate c : parents) {
                feasibleParents.add(new ConstrainedSpace.Feasible(c.arch(), c.costs()));
            }
            children.clear();
            long giveUps0 = run.log.mutationGiveUps + run.log.crossoverGiveUps;
            for (int i = 0; i < mutants; i++) {
                ConstrainedSpace.Feasible p = feasibleParents.get(run.rng.nextInt(feasibleParents.size()));
                children.add(space.mutate(p, run.rng, archMutateProb, resolutionMutateProb, rejection, run.log));
            }
            for (int i = mutants; i < populationSize; i++) {
                ConstrainedSpace.Feasible a = feasibleParents.get(run.rng.nextInt(feasibleParents.size()));
                ConstrainedSpace.Feasible b = feasibleParents.get(run.rng.nextInt(feasibleParents.size()));
                children.add(space.crossover(a, b, run.rng, rejection, run.log));
            }
            population = parents;
            population.addAll(run.scorer.score(children));
            if (run.log.mutationGiveUps + run.log.crossoverGiveUps - giveUps0 == populationSize) {
                stoppedAt = g + 1;
                break;
            }
        }
        population.sort(byAccDesc);
        best = better(best, population.get(0));
        history.add(best.predictedAccuracy());
        List<String> notes = run.log.notes(space, rejection);
        if (stoppedAt > 0) {
            notes.add("stopped after generation " + stoppedAt + " of " + generations + ": every child of that"
                    + " generation was a rejection give-up (the constraint leaves almost no room around the parents)");
        }
        return run.result(name(), best, ParetoFront.of(population, frontAxis), frontAxis, history, notes);
    }

    private static Candidate better(Candidate best, Candidate c) {
        return best == null || c.predictedAccuracy() > best.predictedAccuracy() ? c : best;
    }

    /** Builds an {@link EvolutionSearch}; every setting is optional and defaults to OFA's. */
    public static final class Builder extends SearchBuilder.Mutating<Builder> {
        private int populationSize = 100;
        private int generations = 500;
        private double parentRatio = 0.25;
        private double mutationRatio = 0.5;

        private Builder() {}

        /** {@inheritDoc} */
        @Override
        Builder self() {
            return this;
        }

        /**
         * @param n population size (default 100, OFA's {@code population_size})
         * @return this builder
         */
        public Builder optPopulationSize(int n) {
            this.populationSize = n;
            return this;
        }

        /**
         * @param n generations (default 500, OFA's {@code max_time_budget})
         * @return this builder
         */
        public Builder optGenerations(int n) {
            this.generations = n;
            return this;
        }

        /**
         * @param r fraction of the population kept as parents (default 0.25)
         * @return this builder
         */
        public Builder optParentRatio(double r) {
            this.parentRatio = r;
            return this;
        }

        /**
         * @param r fraction of children made by mutation, the rest by crossover (default 0.5)
         * @return this builder
         */
        public Builder optMutationRatio(double r) {
            this.mutationRatio = r;
            return this;
        }

        /**
         * Checks the settings and builds the search.
         *
         * @return the search
         * @throws IllegalArgumentException naming a setting out of range
         */
        public EvolutionSearch build() {
            if (populationSize < 2) {
                throw new IllegalArgumentException("population size must be at least 2, found " + populationSize);
            }
            if (generations < 0) {
                throw new IllegalArgumentException("generations must be >= 0, found " + generations);
            }
            if (!(parentRatio > 0 && parentRatio <= 1)) {
                throw new IllegalArgumentException("parent ratio must be in (0, 1], found " + parentRatio);
            }
            if (!(mutationRatio >= 0 && mutationRatio <= 1)) {
                throw new IllegalArgumentException("mutation ratio must be in [0, 1], found " + mutationRatio);
            }
            checkMutation();
            checkSampling();
            return new EvolutionSearch(this);
        }
    }
}
