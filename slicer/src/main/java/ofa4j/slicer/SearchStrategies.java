package ofa4j.slicer;

import java.util.List;

/**
 * The search strategies by name, for command lines and services: {@code evolution} (OFA's, {@link
 * EvolutionSearch}), {@code random} ({@link RandomSearch}), {@code nsga2} ({@link Nsga2Search}),
 * {@code regularized-evolution} ({@link RegularizedEvolution}), {@code reinforce} ({@link
 * ReinforceSearch}), {@code bayes-opt} ({@link BayesianOptimisation}) and {@code compound-scaling}
 * ({@link CompoundScaling}), each with its defaults and an optional budget of evaluations.
 */
public final class SearchStrategies {

    /** The names, in the order of help texts. */
    public static final List<String> NAMES = List.of("evolution", "random", "nsga2", RegularizedEvolution.NAME,
            ReinforceSearch.NAME, BayesianOptimisation.NAME, CompoundScaling.NAME);

    /** Population of OFA's evolution and of NSGA-II: a budget is spent in generations of this many. */
    private static final int POPULATION = 100;

    private SearchStrategies() {}

    /**
     * Returns the default budget of a strategy.
     *
     * @param name a name of {@link #NAMES}
     * @return predictor evaluations (for {@code compound-scaling}: the steps of phi, an upper bound)
     * @throws IllegalArgumentException naming the unknown name and the allowed ones
     */
    public static long defaultEvaluations(String name) {
        return switch (checked(name)) {
            case "evolution", "nsga2", "random", RegularizedEvolution.NAME, ReinforceSearch.NAME -> 50_100;
            case BayesianOptimisation.NAME -> BayesianOptimisation.builder().build().budget();
            default -> 50; // compound-scaling: steps
        };
    }

    /**
     * Creates a strategy with its defaults.
     *
     * @param name a name of {@link #NAMES}
     * @param evaluations the budget of predictor evaluations, or null for the strategy's default
     *     ({@link #defaultEvaluations}); for {@code evolution} and {@code nsga2} a multiple of 100 (the
     *     population), at least 200; for {@code compound-scaling} the number of steps of phi
     * @param axis the cost axis of the result's front (for {@code nsga2}: the cost minimised)
     * @return the strategy
     * @throws IllegalArgumentException naming an unknown name (with the allowed ones) or a budget out
     *     of range for the strategy
     */
    public static SearchStrategy create(String name, Long evaluations, CostAxis axis) {
        String n = checked(name);
        if (axis == null) {
            throw new IllegalArgumentException("cost axis must not be null");
        }
        long budget = evaluations == null ? defaultEvaluations(n) : evaluations;
        if (budget < 1) {
            throw new IllegalArgumentException("evaluations for " + n + " must be at least 1, found " + budget);
        }
        int generations = n.equals("evolution") || n.equals("nsga2") ? generations(n, budget) : 0;
        try {
            return switch (n) {
                case "evolution" -> EvolutionSearch.builder().optGenerations(generations).optFrontAxis(axis).build();
                case "nsga2" -> Nsga2Search.builder(axis).optGenerations(generations).build();
                case "random" -> new RandomSearch(budget, POPULATION, RejectionPolicy.DEFAULT, axis);
                case RegularizedEvolution.NAME -> RegularizedEvolution.builder().optEvaluations(budget)
                        .optFrontAxis(axis).build();
                case ReinforceSearch.NAME -> ReinforceSearch.builder().optEvaluations(budget).optFrontAxis(axis).build();
                case BayesianOptimisation.NAME -> BayesianOptimisation.builder().optEvaluations(budget)
                        .optInitialPoints((int) Math.min(20, budget)).optFrontAxis(axis).build();
                default -> CompoundScaling.builder().optSteps((int) Math.min(Integer.MAX_VALUE, budget))
                        .optFrontAxis(axis).build();
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("evaluations " + budget + " do not suit search strategy " + n + ": "
                    + e.getMessage(), e);
        }
    }

    private static int generations(String name, long budget) {
        if (budget < 2 * POPULATION || budget % POPULATION != 0) {
            throw new IllegalArgumentException("evaluations for " + name + " must be a multiple of the population "
                    + POPULATION + " and at least " + 2 * POPULATION + " (population x (generations + 1)), found "
                    + budget);
        }
        return (int) (budget / POPULATION - 1);
    }

    private static String checked(String name) {
        if (name == null || !NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown search strategy '" + name + "'; allowed: "
                    + String.join(", ", NAMES));
        }
        return name;
    }
}
