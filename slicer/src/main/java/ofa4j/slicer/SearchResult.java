package ofa4j.slicer;

import java.util.List;

/**
 * What a search returns.
 *
 * @param strategy strategy name, e.g. {@code evolution}
 * @param seed the seed (same seed, same inputs: same result)
 * @param constraint the constraint every returned candidate satisfies
 * @param best the candidate with the highest predicted accuracy found (with {@link ReinforceSearch}'s
 *     soft latency reward: the highest reward)
 * @param front non-dominated candidates (accuracy vs {@code frontAxis}), cost ascending: for NSGA-II,
 *     random search, regularized evolution, REINFORCE and Bayesian optimisation all evaluated
 *     candidates, for evolution the final population, for compound scaling the feasible curve points
 * @param frontAxis the cost axis of {@code front}
 * @param bestHistory best predicted accuracy (or reward) so far after each generation (or batch)
 * @param evaluations accuracy-predictor evaluations (subnets scored, repeats of a network included: the
 *     budget, as OFA counts it)
 * @param distinctEvaluations subnets actually sent to the predictor (repeats are answered from a
 *     per-search cache)
 * @param costEvaluations subnets whose costs were checked against the constraint (rejections included)
 * @param notes reports of bounded rejection sampling (give-ups with the constraint and cheapest costs)
 * @param wallMs wall time of the search in milliseconds
 */
public record SearchResult(
        String strategy,
        long seed,
        Constraint constraint,
        Candidate best,
        List<Candidate> front,
        CostAxis frontAxis,
        List<Double> bestHistory,
        long evaluations,
        long distinctEvaluations,
        long costEvaluations,
        List<String> notes,
        double wallMs) {

    /** Copies the lists. */
    public SearchResult {
        front = List.copyOf(front);
        bestHistory = List.copyOf(bestHistory);
        notes = List.copyOf(notes);
    }

    /**
     * Returns a one-line summary for logs.
     *
     * @return e.g. {@code evolution: acc 0.912 r28-k7e6... (MACs 3.1 M) in 50100 evals, 480 ms}
     */
    public String summary() {
        return String.format(java.util.Locale.ROOT, "%s (seed %d, %s): predicted acc %.4f, %s, %s; %d evaluations"
                        + " (%d distinct), %d cost checks, %.0f ms", strategy, seed, constraint.describe(),
                best.predictedAccuracy(), ConstrainedSpace.describeCosts(best.costs(), true), best.arch().key(),
                evaluations, distinctEvaluations, costEvaluations, wallMs);
    }

    /** @return the JSON form of this result (HTTP bodies, {@code ofa slice --json}) */
    public SliceJson.Search toJson() {
        return SliceJson.Search.of(this);
    }
}
