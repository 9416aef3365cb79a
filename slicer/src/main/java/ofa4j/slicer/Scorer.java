package ofa4j.slicer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.predictor.AccuracyPredictor;

/**
 * Calls an accuracy predictor on a batch of feasible subnets, checks its answers and counts them.
 * Predictions are cached for the search by {@link ArchConfig#key()}: an evolutionary search
 * re-creates the same network often (about 70% of OFA's 50,100 children on fmnist), and a
 * predictor is a deterministic function of the network, so only new networks are sent to it, in
 * one batch per call.
 */
final class Scorer {

    /**
     * Told of every scored batch (repeats included, in order): a predictor that implements it sees
     * the whole sequence of a search's evaluations, e.g. for best-so-far curves ({@link
     * StrategyComparison}).
     */
    interface Listener {
        /**
         * Called after each batch.
         *
         * @param scored the batch's candidates, in order, repeats of earlier networks included
         */
        void scored(List<Candidate> scored);
    }

    private final AccuracyPredictor predictor;
    private final Map<String, Double> cache = new HashMap<>();
    /** Subnets scored (cache hits included): the search's evaluation count. */
    long evaluations;
    /** Subnets sent to the predictor. */
    long distinct;

    Scorer(AccuracyPredictor predictor) {
        if (predictor == null) {
            throw new IllegalArgumentException("accuracy predictor must not be null");
        }
        this.predictor = predictor;
    }

    List<Candidate> score(List<ConstrainedSpace.Feasible> batch) {
        String[] keys = new String[batch.size()];
        Map<String, ArchConfig> missing = new LinkedHashMap<>();
        for (int i = 0; i < keys.length; i++) {
            keys[i] = batch.get(i).arch().key();
            if (!cache.containsKey(keys[i])) {
                missing.putIfAbsent(keys[i], batch.get(i).arch());
            }
        }
        if (!missing.isEmpty()) {
            List<String> missingKeys = new ArrayList<>(missing.keySet());
            double[] acc = predictor.predict(new ArrayList<>(missing.values()));
            if (acc == null || acc.length != missing.size()) {
                throw new IllegalStateException("accuracy predictor " + predictor.name() + " returned "
                        + (acc == null ? "null" : acc.length + " values") + " for " + missing.size() + " subnets");
            }
            for (int i = 0; i < acc.length; i++) {
                if (!Double.isFinite(acc[i])) {
                    throw new IllegalStateException("accuracy predictor " + predictor.name() + " returned " + acc[i]
                            + " for " + missingKeys.get(i));
                }
                cache.put(missingKeys.get(i), acc[i]);
            }
            distinct += acc.length;
        }
        List<Candidate> out = new ArrayList<>(batch.size());
        for (int i = 0; i < keys.length; i++) {
            out.add(new Candidate(batch.get(i).arch(), cache.get(keys[i]), batch.get(i).costs()));
        }
        evaluations += keys.length;
        if (predictor instanceof Listener l) {
            l.scored(out);
        }
        return out;
    }
}
