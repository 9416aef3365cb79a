package ofa4j.slicer;

import java.util.List;

/**
 * What a search returns.
 *
 * @param strategy strategy name, e.g. {@code evolution}
 * @param seed the seed (same seed, same inputs: same result)
 * @param constraint the constraint every returned candidate satisfies
 * @param best the candidate with the highest predicted accuracy found
 * @param front non-dominated candidates (accuracy vs {@code frontAxis}), cost ascending: for NSGA-II
 *     and random search all evaluated candidates, for evolution the final population
 * @param frontAxis the cost axis of {@code front}
 * @param bestHistory best predicted accuracy so far after each generation (or batch)
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

    /**
     * Returns the result as JSON: {@code strategy}, {@code seed}, {@code constraint} (see {@link
     * Specialiser#constraintJson}), {@code arch}, {@code key}, {@code predicted} (accuracy, latency_ms
     * by device, macs, params, peak_activation_bytes), {@code evaluations}, {@code
     * distinct_evaluations}, {@code cost_evaluations}, {@code wall_ms}, {@code notes}, and {@code
     * front} (key, accuracy and cost of each front member on {@code frontAxis}, named by {@code
     * front_axis}).
     *
     * @return the JSON object
     */
    public com.google.gson.JsonObject toJson() {
        com.google.gson.JsonObject o = new com.google.gson.JsonObject();
        o.addProperty("strategy", strategy);
        o.addProperty("seed", seed);
        o.add("constraint", Specialiser.constraintJson(constraint));
        o.add("arch", best.arch().toJsonTree());
        o.addProperty("key", best.arch().key());
        o.add("predicted", candidateJson(best));
        o.addProperty("evaluations", evaluations);
        o.addProperty("distinct_evaluations", distinctEvaluations);
        o.addProperty("cost_evaluations", costEvaluations);
        o.addProperty("wall_ms", Math.round(wallMs * 1000) / 1000.0);
        com.google.gson.JsonArray n = new com.google.gson.JsonArray();
        notes.forEach(n::add);
        o.add("notes", n);
        o.addProperty("front_axis", frontAxis.label());
        com.google.gson.JsonArray f = new com.google.gson.JsonArray();
        for (Candidate c : front) {
            com.google.gson.JsonObject p = new com.google.gson.JsonObject();
            p.addProperty("key", c.arch().key());
            p.addProperty("accuracy", c.predictedAccuracy());
            p.addProperty("cost", frontAxis.value(c));
            f.add(p);
        }
        o.add("front", f);
        return o;
    }

    /**
     * Returns a candidate's predicted figures as JSON: {@code accuracy}, {@code latency_ms} (by
     * device), {@code macs}, {@code params}, {@code peak_activation_bytes}.
     *
     * @param c the candidate
     * @return the JSON object
     */
    public static com.google.gson.JsonObject candidateJson(Candidate c) {
        com.google.gson.JsonObject p = new com.google.gson.JsonObject();
        p.addProperty("accuracy", c.predictedAccuracy());
        com.google.gson.JsonObject lat = new com.google.gson.JsonObject();
        c.costs().latencyMs().forEach(lat::addProperty);
        p.add("latency_ms", lat);
        p.addProperty("macs", c.costs().macs());
        p.addProperty("params", c.costs().params());
        p.addProperty("peak_activation_bytes", c.costs().peakActivationBytes());
        return p;
    }
}
