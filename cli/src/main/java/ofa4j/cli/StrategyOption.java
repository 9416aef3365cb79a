package ofa4j.cli;

import ofa4j.slicer.CostAxis;
import ofa4j.slicer.SearchStrategies;
import ofa4j.slicer.SearchStrategy;
import picocli.CommandLine.Option;

/** The {@code --strategy} and {@code --evaluations} options of the commands that search (a picocli mixin). */
public final class StrategyOption {

    @Option(names = "--strategy", defaultValue = "evolution", paramLabel = "NAME",
            description = "Search strategy: evolution (OFA's, default), random, nsga2, regularized-evolution,"
                    + " reinforce, bayes-opt, compound-scaling, or gradient (architecture logits trained by"
                    + " straight-through Gumbel-softmax on the supernet's validation loss plus the expected cost).")
    String name = "evolution";

    @Option(names = "--evaluations", paramLabel = "N",
            description = "Predictor evaluations of one search (default: the strategy's; 50100 for evolution,"
                    + " random, nsga2, regularized-evolution and reinforce, 200 for bayes-opt; for compound-scaling"
                    + " the steps of phi, default 50; for gradient the optimisation steps, default 200).")
    Long evaluations;

    @Option(names = "--gradient-lambda", defaultValue = "1", paramLabel = "L",
            description = "--strategy gradient: weight of the expected latency (or MACs) relative to its bound in the"
                    + " loss (default ${DEFAULT-VALUE}).")
    double gradientLambda = 1;

    @Option(names = "--gradient-penalty", paramLabel = "linear|hinge",
            description = "--strategy gradient: how the expected latency (or MACs) enters the loss: linear (lambda x"
                    + " E / T, a pull towards cheaper subnets at every step) or hinge (lambda x max(0, E / T - 1), a pull"
                    + " only over the bound, the default).")
    String gradientPenalty;

    boolean gradient() {
        return ofa4j.slicer.GradientSearch.NAME.equals(name);
    }

    /**
     * Checks the gradient search's settings before a run is opened ({@code --strategy gradient}).
     *
     * @return the chosen penalty, or null for the strategy's default
     * @throws IllegalArgumentException naming a lambda outside [0, 100], a step count outside [1, 100000] or an
     *     unknown penalty
     */
    ofa4j.slicer.GradientSearch.Penalty checkGradient() {
        if (!(gradientLambda >= 0 && gradientLambda <= 100)) {
            throw new IllegalArgumentException("--gradient-lambda must be in [0, 100], found " + gradientLambda);
        }
        if (evaluations != null && (evaluations < 1 || evaluations > 100_000)) {
            throw new IllegalArgumentException("--evaluations: steps of gradient must be in [1, 100000], found " + evaluations);
        }
        try {
            return gradientPenalty == null ? null : ofa4j.slicer.GradientSearch.Penalty.parse(gradientPenalty);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--gradient-penalty: " + e.getMessage(), e);
        }
    }

    /**
     * Creates the gradient-based search on a trained supernet ({@code --strategy gradient}).
     *
     * @param net the supernet
     * @param data its data (the validation split feeds the loss)
     * @param axis the cost axis of its front
     * @return the strategy
     * @throws IllegalArgumentException naming a bad setting ({@link #checkGradient})
     */
    SearchStrategy createGradient(ofa4j.supernet.Supernet net, ofa4j.supernet.data.DataSplits data, CostAxis axis) {
        ofa4j.slicer.GradientSearch.Penalty penalty = checkGradient();
        ofa4j.slicer.GradientSearch.Builder b = ofa4j.slicer.GradientSearch.builder(ofa4j.slicer.GradientSearch.supernetLoss(net, data.val(), data.mean(),
                data.std(), Math.min(64, data.val().size()))).optSteps(evaluations == null ? 200 : evaluations.intValue())
                .optLambda(gradientLambda).optFrontAxis(axis);
        return (penalty == null ? b : b.optPenalty(penalty)).build();
    }

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
