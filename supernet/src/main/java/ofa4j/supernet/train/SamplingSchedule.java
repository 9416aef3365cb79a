package ofa4j.supernet.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.supernet.data.DataSplits;

/**
 * Every random draw of a progressive-shrinking run: the order of the train images in each epoch,
 * and per step the input resolution, the subnets trained and the augmentation. Each draw has its
 * own {@link SplittableRandom} seeded from (seed, phase, epoch, step, k) ({@link #derivedSeed}), as
 * OFA derives its subnet samples, so a run resumed at any step repeats the draws of an
 * uninterrupted one and the position in the schedule is the whole random state.
 */
public final class SamplingSchedule {

    /** The {@code step, k} parts of the epoch-order draw. */
    private static final long ORDER = -2;
    /** The {@code k} part of the resolution draw. */
    private static final long RESOLUTION = -1;
    /** The {@code k} part of the augmentation draw. */
    private static final long AUGMENTATION = -3;

    private final SearchSpace space;
    private final List<Phase> phases;
    private final long seed;

    /**
     * @param space the search space
     * @param phases the schedule
     * @param seed the run's seed
     */
    public SamplingSchedule(SearchSpace space, List<Phase> phases, long seed) {
        this.space = space;
        this.phases = List.copyOf(phases);
        this.seed = seed;
    }

    /**
     * What one step draws.
     *
     * @param resolution the batch's input resolution, pixels
     * @param subnets the subnets trained on the batch, {@code subnetsPerStep} of the phase
     */
    public record StepDraws(int resolution, List<ArchConfig> subnets) {
        /** Copies the list. */
        public StepDraws {
            subnets = List.copyOf(subnets);
        }
    }

    /**
     * The order of the train images in an epoch: a seeded permutation, cut into batches in order.
     *
     * @param phaseIndex phase index
     * @param epoch epoch within the phase
     * @param images train images
     * @return a permutation of {@code 0..images-1}
     */
    public int[] epochOrder(int phaseIndex, int epoch, int images) {
        return DataSplits.permutation(images, new SplittableRandom(derivedSeed(seed, phaseIndex, epoch, ORDER, ORDER)));
    }

    /**
     * The draws of one step: its resolution, then its subnets at that resolution.
     *
     * @param phaseIndex phase index
     * @param epoch epoch within the phase
     * @param step step within the epoch
     * @return the draws
     */
    public StepDraws step(int phaseIndex, int epoch, int step) {
        Phase phase = phases.get(phaseIndex);
        int res = sampleResolution(space, seed, phaseIndex, epoch, step);
        List<ArchConfig> subnets = new ArrayList<>(phase.subnetsPerStep());
        for (int k = 0; k < phase.subnetsPerStep(); k++) {
            subnets.add(sampleArch(space, phase, seed, phaseIndex, epoch, step, k, res));
        }
        return new StepDraws(res, subnets);
    }

    /**
     * The random source of a step's augmentation (random shifts, flips).
     *
     * @param phaseIndex phase index
     * @param epoch epoch within the phase
     * @param step step within the epoch
     * @return a fresh random source
     */
    public SplittableRandom augmentation(int phaseIndex, int epoch, int step) {
        return new SplittableRandom(derivedSeed(seed, phaseIndex, epoch, step, AUGMENTATION));
    }

    /**
     * SplitMix64's finaliser: a bijective scramble of 64 bits (Steele, Lea, Flood 2014).
     *
     * @param z input
     * @return scrambled value
     */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /**
     * Derives the seed of one random draw from the run's seed and the position, so that a resumed
     * run repeats the draws of an uninterrupted one.
     *
     * @param seed the run's seed
     * @param parts position: phase, epoch, step, k (negative k marks a draw that is not a subnet)
     * @return a seed
     */
    public static long derivedSeed(long seed, long... parts) {
        long h = mix64(seed ^ 0x6f66613461L);
        for (long p : parts) {
            h = mix64(h + 0x9e3779b97f4a7c15L + p);
        }
        return h;
    }

    /**
     * The {@code k}-th subnet of a step: uniformly sampled from the phase's kernels, expands and
     * depths at resolution {@code resolution}. Under the phase's sandwich rule ({@link
     * Phase#sandwich()}, with 2 or more subnets per step) subnet 0 is instead the smallest open in the
     * phase and, with 3 or more, subnet 1 the largest: the two extremes get a gradient every step
     * instead of being drawn rarely (the smallest of the expand-2 phase is 1 of 3^13 x 3^4 choices).
     *
     * @param space the space
     * @param phase the phase
     * @param seed the run's seed
     * @param phaseIndex phase index
     * @param epoch epoch within the phase
     * @param step step within the epoch
     * @param k subnet index within the step
     * @param resolution the batch's resolution
     * @return the subnet
     */
    public static ArchConfig sampleArch(
            SearchSpace space, Phase phase, long seed, int phaseIndex, int epoch, int step, int k, int resolution) {
        if (phase.sandwich() && phase.subnetsPerStep() >= 2) {
            if (k == 0) {
                return phase.smallest(space, resolution);
            }
            if (k == 1 && phase.subnetsPerStep() >= 3) {
                return phase.largest(space, resolution);
            }
        }
        SplittableRandom rng = new SplittableRandom(derivedSeed(seed, phaseIndex, epoch, step, k));
        return space.sample(rng, phase.kernels(), phase.expands(), phase.depths(), List.of(resolution));
    }

    /**
     * The resolution of a step's batch, uniform over the space's resolutions.
     *
     * @param space the space
     * @param seed the run's seed
     * @param phaseIndex phase index
     * @param epoch epoch
     * @param step step
     * @return the resolution in pixels
     */
    public static int sampleResolution(SearchSpace space, long seed, int phaseIndex, int epoch, int step) {
        SplittableRandom rng = new SplittableRandom(derivedSeed(seed, phaseIndex, epoch, step, RESOLUTION));
        return space.resolutions().get(rng.nextInt(space.resolutions().size()));
    }
}
