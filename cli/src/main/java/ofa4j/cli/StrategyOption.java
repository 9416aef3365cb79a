package ofa4j.cli;

import ofa4j.slicer.CostAxis;
import ofa4j.slicer.SearchStrategies;
import ofa4j.slicer.SearchStrategy;
import picocli.CommandLine.Option;

/** The {@code --strategy} and {@code --evaluations} options of the commands that search (a picocli mixin). */
public final class StrategyOption {

    @Option(names = "--strategy", defaultValue = "evolution", paramLabel = "NAME",
            description = "Search strategy: evolution (OFA's, default), random, nsga2, regularized-evolution,"
                    + " reinforce, bayes-opt or compound-scaling.")
    String name = "evolution";

    @Option(names = "--evaluations", paramLabel = "N",
            description = "Predictor evaluations of one search (default: the strategy's; 50100 for evolution,"
                    + " random, nsga2, regularized-evolution and reinforce, 200 for bayes-opt; for compound-scaling"
                    + " the steps of phi, default 50).")
    Long evaluations;

    /**
     * Creates the chosen strategy.
     *
     * @param axis the cost axis of its front
     * @return the strategy
     * @throws IllegalArgumentException naming an unknown strategy (with the allowed ones) or a budget
     *     that does not suit it
     */
    SearchStrategy create(CostAxis axis) {
        try {
            return SearchStrategies.create(name, evaluations, axis);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((e.getMessage().startsWith("unknown") ? "--strategy: " : "--evaluations: ")
                    + e.getMessage(), e);
        }
    }
}
