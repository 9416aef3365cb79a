package ofa4j.slicer;

/**
 * Caps OFA's rejection-sampling loops (which in OFA's {@code EvolutionFinder} are {@code while
 * True}). Every random sample, mutation and crossover is retried at most {@code maxAttempts}
 * times until the child satisfies the constraint.
 *
 * <p>When the cap is reached: a mutation or crossover keeps (a copy of) its feasible parent and the
 * give-up is reported in {@link SearchResult#notes()}; a random sample either throws {@link
 * SearchGaveUpException} naming the constraint and the cheapest costs seen ({@code guided =
 * false}), or, with {@code guided = true} (default), never gives up: after the first half of the
 * attempts failed uniformly, each further attempt takes every gene from the space's smallest
 * feasible subnet with a probability rising from 0 to 1, so the last attempt is that subnet, which
 * the up-front feasibility check proved to satisfy the constraint.
 *
 * @param maxAttempts attempts per sample, mutation or crossover (default 500)
 * @param guided whether random sampling falls back to samples drawn towards the smallest feasible
 *     subnet (default true)
 */
public record RejectionPolicy(int maxAttempts, boolean guided) {

    /**
     * 500 attempts, guided. Why 500: a bound met by 1% of uniform samples is missed by all of the
     * first 250 uniform attempts with probability 0.99^250 = 8%; tighter bounds reach the guided
     * half, which always succeeds.
     */
    public static final RejectionPolicy DEFAULT = new RejectionPolicy(500, true);

    /** Checks the values. */
    public RejectionPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, found " + maxAttempts);
        }
    }
}
