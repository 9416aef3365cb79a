package ofa4j.slicer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.LatencyPredictor;

/**
 * Multi-objective search with NSGA-II (Deb, Pratap, Agarwal and Meyarivan, "A Fast and Elitist
 * Multiobjective Genetic Algorithm: NSGA-II", IEEE TEVC 2002): maximise predicted accuracy and
 * minimise a {@link CostAxis} (latency on a device, or MACs) among subnets satisfying a constraint.
 *
 * <p>The initial population holds the smallest feasible subnets (one per allowed resolution, see
 * {@link ConstrainedSpace#feasibleMinConfigs()}) and feasible random samples. Each generation builds {@code populationSize} children from parents picked by binary
 * tournament (lower non-domination rank wins, then larger crowding distance) with OFA's operators
 * ({@code mutationRatio} of them mutants, the rest crossovers, all by bounded rejection sampling),
 * predicts them in one batch, merges them with the population (duplicate networks dropped by
 * {@link ofa4j.models.ArchConfig#key()}), and keeps the best {@code populationSize} by rank, then
 * crowding distance. The result's front is the non-dominated set of every subnet evaluated (an
 * archive), sorted by cost; its {@code best} is the front's most accurate subnet.
 *
 * <p>As in {@link EvolutionSearch}, the search stops early (and says so in its notes) when every
 * child of a generation is a rejection give-up.
 *
 * <p>Defaults: population 100, 500 generations (OFA's evolution budget: 50,100 evaluations),
 * mutants 50%, arch mutation probability 0.1, resolution mutation probability 0.5.
 */
public final class Nsga2Search implements SearchStrategy {

    private final int populationSize;
    private final int generations;
    private final double mutationRatio;
    private final double archMutateProb;
    private final double resolutionMutateProb;
    private final RejectionPolicy rejection;
    private final CostAxis axis;

    private Nsga2Search(Builder b) {
        this.populationSize = b.populationSize;
        this.generations = b.generations;
        this.mutationRatio = b.mutationRatio;
        this.archMutateProb = b.archMutateProb;
        this.resolutionMutateProb = b.resolutionMutateProb;
        this.rejection = b.rejection;
        this.axis = b.frontAxis;
    }

    /**
     * Starts a builder.
     *
     * @param axis the cost to minimise, e.g. {@link CostAxis#latency} or {@link CostAxis#macs()}
     * @return a builder with the defaults of the class comment
     */
    public static Builder builder(CostAxis axis) {
        return new Builder(axis);
    }

    /** @return predictor evaluations one search makes: {@code populationSize x (generations + 1)} */
    public long budget() {
        return (long) populationSize * (generations + 1);
    }

    /** @return the cost axis minimised */
    public CostAxis axis() {
        return axis;
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "nsga2";
    }

    /** {@inheritDoc} */
    @Override
    public List<LatencyPredictor> extraDevices() {
        return axis.devices();
    }

    /** {@inheritDoc} */
    @Override
    public SearchResult search(ConstrainedSpace space, AccuracyPredictor predictor, long seed) {
        SearchRun run = new SearchRun(space, predictor, seed);
        int mutants = (int) Math.round(mutationRatio * populationSize);

        List<ConstrainedSpace.Feasible> children = new ArrayList<>(populationSize);
        // the smallest feasible subnets anchor the cheap end of the front; random samples fill the rest
        for (ArchConfig a : space.feasibleMinConfigs()) {
            if (children.size() < populationSize / 2) {
                children.add(new ConstrainedSpace.Feasible(a, space.costs(a)));
            }
        }
        while (children.size() < populationSize) {
            children.add(space.sample(run.rng, rejection, run.log));
        }
        List<Candidate> population = dedupe(run.scorer.score(children));
        List<Candidate> archive = ParetoFront.of(population, axis);
        List<Double> history = new ArrayList<>();
        history.add(archive.get(archive.size() - 1).predictedAccuracy());
        int stoppedAt = -1;
        Ranking ranking = rank(population);
        for (int g = 0; g < generations; g++) {
            children.clear();
            long giveUps0 = run.log.mutationGiveUps + run.log.crossoverGiveUps;
            for (int i = 0; i < populationSize; i++) {
                ConstrainedSpace.Feasible a = feasible(population.get(tournament(ranking, run.rng)));
                if (i < mutants) {
                    children.add(space.mutate(a, run.rng, archMutateProb, resolutionMutateProb, rejection, run.log));
                } else {
                    ConstrainedSpace.Feasible b = feasible(population.get(tournament(ranking, run.rng)));
                    children.add(space.crossover(a, b, run.rng, rejection, run.log));
                }
            }
            List<Candidate> scored = run.scorer.score(children);
            List<Candidate> merged = new ArrayList<>(population);
            merged.addAll(scored);
            merged = dedupe(merged);
            Ranking r = rank(merged);
            population = r.select(merged, populationSize);
            ranking = rank(population);
            List<Candidate> grown = new ArrayList<>(archive);
            grown.addAll(scored);
            archive = ParetoFront.of(grown, axis);
            history.add(archive.get(archive.size() - 1).predictedAccuracy());
            if (run.log.mutationGiveUps + run.log.crossoverGiveUps - giveUps0 == populationSize) {
                stoppedAt = g + 1;
                break;
            }
        }
        Candidate best = archive.get(archive.size() - 1);
        List<String> notes = run.log.notes(space, rejection);
        if (stoppedAt > 0) {
            notes.add("stopped after generation " + stoppedAt + " of " + generations + ": every child of that"
                    + " generation was a rejection give-up (the constraint leaves almost no room around the parents)");
        }
        return run.result(name(), best, archive, axis, history, notes);
    }

    private static ConstrainedSpace.Feasible feasible(Candidate c) {
        return new ConstrainedSpace.Feasible(c.arch(), c.costs());
    }

    private static List<Candidate> dedupe(List<Candidate> in) {
        Set<String> seen = new HashSet<>();
        List<Candidate> out = new ArrayList<>(in.size());
        for (Candidate c : in) {
            if (seen.add(c.arch().key())) {
                out.add(c);
            }
        }
        return out;
    }

    private static int tournament(Ranking r, SplittableRandom rng) {
        int a = rng.nextInt(r.rank.length);
        int b = rng.nextInt(r.rank.length);
        if (r.rank[a] != r.rank[b]) {
            return r.rank[a] < r.rank[b] ? a : b;
        }
        return r.crowding[b] > r.crowding[a] ? b : a;
    }

    /** Non-domination rank (0 = first front) and crowding distance of each member. */
    private static final class Ranking {
        final int[] rank;
        final double[] crowding;
        final List<int[]> fronts;

        Ranking(int[] rank, double[] crowding, List<int[]> fronts) {
            this.rank = rank;
            this.crowding = crowding;
            this.fronts = fronts;
        }

        /** Takes whole fronts in order, then the most crowded-apart members of the last one. */
        List<Candidate> select(List<Candidate> members, int n) {
            List<Candidate> out = new ArrayList<>(n);
            for (int[] front : fronts) {
                if (out.size() + front.length <= n) {
                    for (int i : front) {
                        out.add(members.get(i));
                    }
                } else {
                    Integer[] order = Arrays.stream(front).boxed().toArray(Integer[]::new);
                    // larger crowding first; ties by index for reproducibility
                    Arrays.sort(order, (x, y) -> crowding[x] != crowding[y] ? Double.compare(crowding[y], crowding[x])
                            : Integer.compare(x, y));
                    for (int k = 0; out.size() < n; k++) {
                        out.add(members.get(order[k]));
                    }
                }
                if (out.size() >= n) {
                    break;
                }
            }
            return out;
        }
    }

    /** Deb et al.'s fast non-dominated sort and crowding distance, for (max accuracy, min cost). */
    private Ranking rank(List<Candidate> members) {
        int n = members.size();
        double[] cost = new double[n];
        double[] acc = new double[n];
        for (int i = 0; i < n; i++) {
            cost[i] = axis.value(members.get(i));
            acc[i] = members.get(i).predictedAccuracy();
        }
        int[] dominatedBy = new int[n];
        List<List<Integer>> dominates = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            dominates.add(new ArrayList<>());
        }
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                if (dom(cost, acc, i, j)) {
                    dominates.get(i).add(j);
                    dominatedBy[j]++;
                } else if (dom(cost, acc, j, i)) {
                    dominates.get(j).add(i);
                    dominatedBy[i]++;
                }
            }
        }
        int[] rank = new int[n];
        List<int[]> fronts = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (dominatedBy[i] == 0) {
                current.add(i);
            }
        }
        int level = 0;
        while (!current.isEmpty()) {
            fronts.add(current.stream().mapToInt(Integer::intValue).toArray());
            List<Integer> next = new ArrayList<>();
            for (int i : current) {
                rank[i] = level;
                for (int j : dominates.get(i)) {
                    if (--dominatedBy[j] == 0) {
                        next.add(j);
                    }
                }
            }
            current = next;
            level++;
        }
        double[] crowding = new double[n];
        for (int[] front : fronts) {
            crowd(front, cost, crowding);
            crowd(front, acc, crowding);
        }
        return new Ranking(rank, crowding, fronts);
    }

    private static boolean dom(double[] cost, double[] acc, int a, int b) {
        return cost[a] <= cost[b] && acc[a] >= acc[b] && (cost[a] < cost[b] || acc[a] > acc[b]);
    }

    private static void crowd(int[] front, double[] objective, double[] crowding) {
        if (front.length <= 2) {
            for (int i : front) {
                crowding[i] = Double.POSITIVE_INFINITY;
            }
            return;
        }
        Integer[] order = Arrays.stream(front).boxed().toArray(Integer[]::new);
        Arrays.sort(order, (x, y) -> objective[x] != objective[y] ? Double.compare(objective[x], objective[y])
                : Integer.compare(x, y));
        double span = objective[order[order.length - 1]] - objective[order[0]];
        crowding[order[0]] = Double.POSITIVE_INFINITY;
        crowding[order[order.length - 1]] = Double.POSITIVE_INFINITY;
        if (span <= 0) {
            return;
        }
        for (int k = 1; k < order.length - 1; k++) {
            crowding[order[k]] += (objective[order[k + 1]] - objective[order[k - 1]]) / span;
        }
    }

    /**
     * Builds an {@link Nsga2Search}; settings other than the axis are optional. The axis is the cost
     * minimised and the result's front axis: {@link #optFrontAxis} replaces the one given to {@link
     * Nsga2Search#builder}.
     */
    public static final class Builder extends SearchBuilder.Mutating<Builder> {
        private int populationSize = 100;
        private int generations = 500;
        private double mutationRatio = 0.5;

        private Builder(CostAxis axis) {
            if (axis == null) {
                throw new IllegalArgumentException("NSGA-II needs a cost axis, found null");
            }
            this.frontAxis = axis;
        }

        /** {@inheritDoc} */
        @Override
        Builder self() {
            return this;
        }

        /**
         * @param n population size (default 100)
         * @return this builder
         */
        public Builder optPopulationSize(int n) {
            this.populationSize = n;
            return this;
        }

        /**
         * @param n generations (default 500)
         * @return this builder
         */
        public Builder optGenerations(int n) {
            this.generations = n;
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
        public Nsga2Search build() {
            if (populationSize < 4) {
                throw new IllegalArgumentException("population size must be at least 4, found " + populationSize);
            }
            if (generations < 0) {
                throw new IllegalArgumentException("generations must be >= 0, found " + generations);
            }
            if (!(mutationRatio >= 0 && mutationRatio <= 1)) {
                throw new IllegalArgumentException("mutation ratio must be in [0, 1], found " + mutationRatio);
            }
            checkMutation();
            checkSampling();
            return new Nsga2Search(this);
        }
    }
}
