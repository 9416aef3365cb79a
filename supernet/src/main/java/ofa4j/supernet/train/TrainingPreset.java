package ofa4j.supernet.train;

import java.util.List;
import java.util.Locale;
import ofa4j.models.SearchSpace;

/**
 * How much data and how many epochs a training run uses. Numbers are sized for the {@code fmnist}
 * space on 2 CPU cores; see {@link #quick()} and {@link #full()} for the measurements behind them.
 *
 * @param name preset name ({@code quick}, {@code full} or a user name), stored in checkpoints
 * @param trainImages images of the train split used (0 = all)
 * @param valImages images of the validation split kept (0 = all)
 * @param batchSize images per step
 * @param phaseEpochs epochs of the 6 progressive-shrinking phases (full, kernel, depth-1, depth-2,
 *     expand-1, expand-2)
 * @param phaseSubnets subnets per step of the 6 phases (OFA: 1, 1, 2, 2, 4, 4)
 * @param fullLr peak learning rate of the full phase; the others are fractions of it ({@link
 *     Phase#progressiveShrinking})
 * @param warmupFraction warm-up as a fraction of a phase's epochs
 * @param recalImages images used for BN recalibration before each evaluation
 * @param evalImages validation images scored at each phase end (0 = no evaluation)
 */
public record TrainingPreset(
        String name,
        int trainImages,
        int valImages,
        int batchSize,
        List<Integer> phaseEpochs,
        List<Integer> phaseSubnets,
        double fullLr,
        double warmupFraction,
        int recalImages,
        int evalImages) {

    /** Copies the list and checks values. */
    public TrainingPreset {
        phaseEpochs = List.copyOf(phaseEpochs);
        phaseSubnets = List.copyOf(phaseSubnets);
        if (phaseEpochs.size() != 6 || phaseSubnets.size() != 6) {
            throw new IllegalArgumentException(
                    "preset " + name + " needs 6 phase epoch counts and 6 subnets-per-step values, found "
                            + phaseEpochs + " and " + phaseSubnets);
        }
        if (trainImages < 0 || valImages < 0 || recalImages < 0 || evalImages < 0) {
            throw new IllegalArgumentException("preset " + name + " has a negative image count");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size of preset " + name + " must be >= 1, found " + batchSize);
        }
    }

    /**
     * The quick preset: about 6 minutes of training on 2 idle cores, enough for a usable demo
     * supernet (the whole {@code ofa run} pipeline uses it).
     *
     * <p>Sizing, {@code fmnist} space, batch 128, measured here on 2026-11-28 with
     * {@code QuickPresetRunTest#measureStepThroughput} while 5 other JVMs loaded the 2 cores (load
     * average 9-10), libtorch on 1 thread: full 62 img/s, kernel 61, depth-1 43, depth-2 32,
     * expand-1 33, expand-2 38 (batch images per second, teacher and all subnets of a step
     * included; with the default 2 threads the same load gave only 18/11/5/8/7/6). DJL.md measured
     * the max subnet at ~130 img/s on 2 idle cores, i.e. about 2.1x our loaded 1-thread figure;
     * scaling every phase by that gives ~0.076 s of training per train image for one epoch of each
     * phase (two of the full phase). 5,000 train images (39 steps per epoch) therefore cost ~380 s
     * idle (~800 s under the load above), plus, at each of the 6 phase ends, BN recalibration (500
     * images) and scoring (500 validation images) of the max and min subnets. A 12k-image subset would take
     * ~15 minutes, so the quick preset trades data for time: 2 epochs of the full network (the
     * teacher needs them most), 1 epoch per shrinking phase, and 2 instead of OFA's 4 subnets per
     * step in the expand phases.
     *
     * @return the preset
     */
    public static TrainingPreset quick() {
        return new TrainingPreset(
                "quick", 5_000, 2_000, 128, List.of(2, 1, 1, 1, 1, 1), List.of(1, 1, 2, 2, 2, 2), 0.1, 0.1, 500, 500);
    }

    /**
     * The full preset: all 55,000 train images, OFA's subnets per step (1, 1, 2, 2, 4, 4), epochs
     * sized for about 2 hours on 2 idle cores.
     *
     * <p>Sizing with the idle-machine rates estimated for {@link #quick()} (full ~130 img/s, kernel
     * ~128, depth-1 ~90, depth-2 ~67, expand with 4 subnets ~44): one 55k epoch costs ~420 s (full),
     * ~430 s (kernel), ~610 s (depth-1), ~820 s (depth-2), ~1,250 s (each expand phase). Epochs 4, 2,
     * 1, 1, 1, 1 add up to ~6,500 s of training plus ~20 s of evaluation per phase: about 1 h 50
     * min. The full network gets the most epochs because every later phase distils from it.
     *
     * @return the preset
     */
    public static TrainingPreset full() {
        return new TrainingPreset(
                "full", 0, 0, 128, List.of(4, 2, 1, 1, 1, 1), Phase.OFA_SUBNETS_PER_STEP, 0.1, 0.1, 2_000, 5_000);
    }

    /**
     * Returns a named preset.
     *
     * @param name {@code quick} or {@code full}
     * @return the preset
     * @throws IllegalArgumentException naming the value and the presets allowed
     */
    public static TrainingPreset named(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "quick" -> quick();
            case "full" -> full();
            default -> throw new IllegalArgumentException("preset must be one of [quick, full], found '" + name + "'");
        };
    }

    /**
     * Builds this preset's progressive-shrinking schedule for {@code space}.
     *
     * @param space the search space
     * @return the 6 phases
     */
    public List<Phase> schedule(SearchSpace space) {
        return Phase.progressiveShrinking(space, phaseEpochs, phaseSubnets, fullLr, warmupFraction);
    }
}
