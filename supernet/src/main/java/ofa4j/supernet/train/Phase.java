package ofa4j.supernet.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;

/**
 * One phase of progressive shrinking: which elastic choices are open, how long and how fast to
 * train. Checkpoint manifests store it as a JSON object bound to this record (key {@code
 * subnets_per_step} for {@link #subnetsPerStep()}, and so on; a missing {@code sandwich} reads as
 * false). The whole schedule is a {@code List<Phase>} ({@link #progressiveShrinking}), not a table
 * of if/else branches as in OFA's {@code train_ofa_net.py}.
 *
 * @param name phase name for logs and checkpoints (e.g. {@code depth-1})
 * @param epochs epochs of this phase (passes over the train split), at least 1
 * @param lr peak learning rate of the phase's cosine schedule
 * @param subnetsPerStep subnets sampled per step; their gradients are summed before one update
 *     (OFA's {@code dynamic_batch_size})
 * @param kernels depthwise kernel sizes open in this phase (subset of the space's)
 * @param expands expand ratios open in this phase
 * @param depths stage depths open in this phase
 * @param sortBefore true to sort channels by importance before the phase (width-shrinking phases)
 * @param warmupEpochs linear warm-up length at the start of the phase, in epochs (may be
 *     fractional; 0 = none)
 * @param kdRatio weight of the knowledge-distillation loss (0 = no teacher)
 * @param sandwich the "sandwich rule" (Yu et al., BigNAS, ECCV 2020) instead of OFA's uniform
 *     sampling: subnet 0 of every step is the smallest open in the phase and, with 3 or more subnets
 *     per step, subnet 1 the largest; the others stay uniform ({@link
 *     SamplingSchedule#sampleArch}). No effect with 1 subnet per step.
 */
public record Phase(
        String name,
        int epochs,
        double lr,
        int subnetsPerStep,
        List<Integer> kernels,
        List<Integer> expands,
        List<Integer> depths,
        boolean sortBefore,
        double warmupEpochs,
        double kdRatio,
        boolean sandwich) {

    /** The phase names of {@link #progressiveShrinking}, in order. */
    public static final List<String> PROGRESSIVE_SHRINKING_NAMES =
            List.of("full", "kernel", "depth-1", "depth-2", "expand-1", "expand-2");

    /**
     * A phase with OFA's uniform sampling ({@code sandwich} false).
     *
     * @param name phase name
     * @param epochs epochs
     * @param lr peak learning rate
     * @param subnetsPerStep subnets per step
     * @param kernels kernels open
     * @param expands expand ratios open
     * @param depths depths open
     * @param sortBefore sort channels before the phase
     * @param warmupEpochs warm-up epochs
     * @param kdRatio distillation weight
     */
    public Phase(String name, int epochs, double lr, int subnetsPerStep, List<Integer> kernels, List<Integer> expands,
            List<Integer> depths, boolean sortBefore, double warmupEpochs, double kdRatio) {
        this(name, epochs, lr, subnetsPerStep, kernels, expands, depths, sortBefore, warmupEpochs, kdRatio, false);
    }

    /**
     * The smallest subnet open in this phase: its smallest kernel, expand ratio and depth everywhere.
     *
     * @param space the space
     * @param resolution input resolution
     * @return the subnet
     */
    public ArchConfig smallest(SearchSpace space, int resolution) {
        return space.uniform(Collections.min(kernels), Collections.min(expands), Collections.min(depths), resolution);
    }

    /**
     * The largest subnet open in this phase: its largest kernel, expand ratio and depth everywhere.
     *
     * @param space the space
     * @param resolution input resolution
     * @return the subnet
     */
    public ArchConfig largest(SearchSpace space, int resolution) {
        return space.uniform(Collections.max(kernels), Collections.max(expands), Collections.max(depths), resolution);
    }

    /**
     * This phase with the sandwich rule on or off.
     *
     * @param on true for the sandwich rule
     * @return the phase
     */
    public Phase withSandwich(boolean on) {
        return new Phase(name, epochs, lr, subnetsPerStep, kernels, expands, depths, sortBefore, warmupEpochs, kdRatio, on);
    }

    /** Copies the lists and checks values (a phase is also read from checkpoint manifests). */
    public Phase {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("phase name must not be empty");
        }
        if (kernels == null || expands == null || depths == null) {
            throw new IllegalArgumentException("phase " + name + " must list its kernels, expands and depths");
        }
        kernels = List.copyOf(kernels);
        expands = List.copyOf(expands);
        depths = List.copyOf(depths);
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs of phase " + name + " must be >= 1, found " + epochs);
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("lr of phase " + name + " must be positive, found " + lr);
        }
        if (subnetsPerStep < 1) {
            throw new IllegalArgumentException(
                    "subnetsPerStep of phase " + name + " must be >= 1, found " + subnetsPerStep);
        }
        if (kernels.isEmpty() || expands.isEmpty() || depths.isEmpty()) {
            throw new IllegalArgumentException("phase " + name + " must open at least one kernel, expand and depth");
        }
        if (warmupEpochs < 0 || warmupEpochs >= epochs) {
            throw new IllegalArgumentException(
                    "warmupEpochs of phase " + name + " must be in [0, " + epochs + "), found " + warmupEpochs);
        }
        if (kdRatio < 0) {
            throw new IllegalArgumentException("kdRatio of phase " + name + " must be >= 0, found " + kdRatio);
        }
    }

    /**
     * Checks that the phase's choices lie in {@code space}.
     *
     * @param space the search space
     * @return this phase
     * @throws IllegalArgumentException naming the phase, the value and the values allowed
     */
    public Phase validate(SearchSpace space) {
        check(kernels, space.kernels(), "kernel");
        check(expands, space.expandRatios(), "expand ratio");
        check(depths, space.depths(), "depth");
        return this;
    }

    private void check(List<Integer> values, List<Integer> allowed, String what) {
        for (int v : values) {
            if (!allowed.contains(v)) {
                throw new IllegalArgumentException(
                        what + " " + v + " of phase " + name + " is not in the space; allowed " + allowed);
            }
        }
    }

    /**
     * Learning rate at {@code step} of this phase: linear warm-up to {@link #lr()} over {@link
     * #warmupEpochs()}, then cosine decay to 0 at the end of the phase (OFA's per-batch cosine).
     *
     * @param step step within the phase, from 0
     * @param stepsPerEpoch steps in one epoch
     * @return the learning rate
     */
    public double learningRate(long step, int stepsPerEpoch) {
        long total = (long) epochs * stepsPerEpoch;
        long warm = Math.round(warmupEpochs * stepsPerEpoch);
        if (step < warm) {
            return lr * (step + 1) / warm;
        }
        double t = (double) (step - warm) / Math.max(1, total - warm);
        return 0.5 * lr * (1 + Math.cos(Math.PI * t));
    }

    /**
     * OFA's progressive-shrinking schedule over {@code space} (Cai et al. 2020, Sec. 3.2 and
     * {@code train_ofa_net.py}): 6 phases.
     *
     * <ol>
     *   <li>{@code full}: the max subnet only (largest kernel, expand and depth), 1 subnet per step,
     *       no distillation: this trains the teacher.
     *   <li>{@code kernel}: all kernels, max expand and depth, 1 subnet per step (OFA: 1).
     *   <li>{@code depth-1}: the two largest depths, 2 subnets per step (OFA: 2).
     *   <li>{@code depth-2}: all depths, 2 subnets per step.
     *   <li>{@code expand-1}: the two largest expand ratios, all depths, 4 subnets per step (OFA: 4),
     *       channels sorted by importance first.
     *   <li>{@code expand-2}: all expand ratios, 4 subnets per step, channels sorted again.
     * </ol>
     *
     * <p>Learning rates keep OFA's ordering (the kernel phase fastest among the shrinking phases,
     * the first depth / expand phase a third of it, the second one two thirds) but are larger than
     * OFA's 3e-2 / 2.5e-3 / 7.5e-3 because our phases are a few epochs, not 25-120. OFA's
     * resolution, momentum and weight decay apply in the trainer. Distillation weight 1.0 in every
     * shrinking phase (OFA's {@code kd_ratio}).
     *
     * @param space the search space
     * @param epochs epochs of the 6 phases, in the order above
     * @param fullLr peak learning rate of the full phase (the shrinking phases use fractions: kernel
     *     0.3x, depth-1 0.1x, depth-2 0.2x, expand-1 0.1x, expand-2 0.2x)
     * @param warmupFraction warm-up of the full, kernel, depth-2 and expand-2 phases as a fraction of
     *     their epochs (OFA: 5 of 120 epochs); the first depth and expand phases have none, as OFA
     * @return the 6 phases
     * @throws IllegalArgumentException if {@code epochs} does not have 6 entries
     */
    public static List<Phase> progressiveShrinking(
            SearchSpace space, List<Integer> epochs, double fullLr, double warmupFraction) {
        return progressiveShrinking(space, epochs, OFA_SUBNETS_PER_STEP, fullLr, warmupFraction);
    }

    /** OFA's subnets per step ({@code dynamic_batch_size}) of the 6 phases: 1, 1, 2, 2, 4, 4. */
    public static final List<Integer> OFA_SUBNETS_PER_STEP = List.of(1, 1, 2, 2, 4, 4);

    /**
     * {@link #progressiveShrinking(SearchSpace, List, double, double)} with other subnets per step
     * (the quick preset samples fewer subnets to fit its time budget).
     *
     * @param space the search space
     * @param epochs epochs of the 6 phases
     * @param subnetsPerStep subnets per step of the 6 phases (OFA: {@link #OFA_SUBNETS_PER_STEP})
     * @param fullLr peak learning rate of the full phase
     * @param warmupFraction warm-up fraction
     * @return the 6 phases
     */
    public static List<Phase> progressiveShrinking(
            SearchSpace space, List<Integer> epochs, List<Integer> subnetsPerStep, double fullLr, double warmupFraction) {
        if (subnetsPerStep.size() != 6) {
            throw new IllegalArgumentException(
                    "progressive shrinking has 6 phases, found " + subnetsPerStep.size() + " subnets-per-step values");
        }
        if (epochs.size() != 6) {
            throw new IllegalArgumentException("progressive shrinking has 6 phases, found " + epochs.size() + " epoch counts");
        }
        List<Integer> ks = space.kernels();
        List<Integer> es = space.expandRatios();
        List<Integer> ds = space.depths();
        List<Integer> maxK = List.of(space.maxKernel());
        List<Integer> maxE = List.of(space.maxExpand());
        List<Integer> maxD = List.of(space.maxDepth());
        List<Integer> topD = ds.subList(Math.max(0, ds.size() - 2), ds.size());
        List<Integer> topE = es.subList(Math.max(0, es.size() - 2), es.size());
        List<Phase> out = new ArrayList<>();
        List<Integer> n = subnetsPerStep;
        out.add(new Phase(PROGRESSIVE_SHRINKING_NAMES.get(0), epochs.get(0), fullLr, n.get(0), maxK, maxE, maxD, false, warm(epochs.get(0), warmupFraction), 0));
        out.add(new Phase(PROGRESSIVE_SHRINKING_NAMES.get(1), epochs.get(1), 0.3 * fullLr, n.get(1), ks, maxE, maxD, false, warm(epochs.get(1), warmupFraction), 1));
        out.add(new Phase(PROGRESSIVE_SHRINKING_NAMES.get(2), epochs.get(2), 0.1 * fullLr, n.get(2), ks, maxE, topD, false, 0, 1));
        out.add(new Phase(PROGRESSIVE_SHRINKING_NAMES.get(3), epochs.get(3), 0.2 * fullLr, n.get(3), ks, maxE, ds, false, warm(epochs.get(3), warmupFraction), 1));
        out.add(new Phase(PROGRESSIVE_SHRINKING_NAMES.get(4), epochs.get(4), 0.1 * fullLr, n.get(4), ks, topE, ds, true, 0, 1));
        out.add(new Phase(PROGRESSIVE_SHRINKING_NAMES.get(5), epochs.get(5), 0.2 * fullLr, n.get(5), ks, es, ds, true, warm(epochs.get(5), warmupFraction), 1));
        out.forEach(p -> p.validate(space));
        return List.copyOf(out);
    }

    private static double warm(int epochs, double fraction) {
        return Math.min(epochs * fraction, epochs * 0.5);
    }
}
