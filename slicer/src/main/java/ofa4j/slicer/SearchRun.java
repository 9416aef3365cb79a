package ofa4j.slicer;

import java.util.List;
import java.util.SplittableRandom;
import ofa4j.predictor.AccuracyPredictor;

/**
 * The bookkeeping a search strategy's {@code search} starts and ends with: the wall clock, the random
 * source seeded with the search's seed, the constrained space's rejection log and the scorer that
 * counts evaluations; and the {@link SearchResult} made of them.
 */
final class SearchRun {

    private final long t0 = System.nanoTime();
    private final ConstrainedSpace space;
    private final long seed;

    /** The search's random source ({@code new SplittableRandom(seed)}). */
    final SplittableRandom rng;

    /** Rejection sampling's log. */
    final ConstrainedSpace.RejectionLog log;

    /** Scores candidates and counts evaluations. */
    final Scorer scorer;

    /**
     * Starts a search: the clock, the random source, the log and the scorer, in that order.
     *
     * @param space the constrained space
     * @param predictor the accuracy predictor
     * @param seed the search's seed
     */
    SearchRun(ConstrainedSpace space, AccuracyPredictor predictor, long seed) {
        this.space = space;
        this.seed = seed;
        this.rng = new SplittableRandom(seed);
        this.log = space.newLog();
        this.scorer = new Scorer(predictor);
    }

    /**
     * Ends a search: its result, with the scorer's and the log's counts and the wall time so far.
     *
     * @param strategy the strategy's name
     * @param best the best candidate
     * @param front the result's front
     * @param axis its cost axis
     * @param history best accuracy so far per step
     * @param notes the search's notes
     * @return the result
     */
    SearchResult result(String strategy, Candidate best, List<Candidate> front, CostAxis axis, List<Double> history,
            List<String> notes) {
        return new SearchResult(strategy, seed, space.constraint(), best, front, axis, history, scorer.evaluations,
                scorer.distinct, log.attempts, notes, (System.nanoTime() - t0) / 1e6);
    }
}
