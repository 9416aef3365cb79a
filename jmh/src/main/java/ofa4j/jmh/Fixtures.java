package ofa4j.jmh;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.CostModel;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracySample;
import ofa4j.predictor.MlpAccuracyPredictor;

/** Shared set-up of the benchmarks: synthetic accuracy tables (timing does not depend on the values). */
final class Fixtures {

    private Fixtures() {}

    /**
     * A table of {@code n} random subnets whose "accuracy" grows smoothly with log MACs plus noise,
     * enough to fit predictors whose speed is measured.
     *
     * @param space the space
     * @param n rows
     * @param seed seed
     * @return the rows
     */
    static List<AccuracySample> syntheticRows(SearchSpace space, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        CostModel cm = new CostModel(space);
        List<AccuracySample> rows = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        while (rows.size() < n) {
            ArchConfig a = space.sample(r);
            if (!seen.add(a.key())) {
                continue;
            }
            long macs = cm.macs(a);
            double acc = Math.min(0.99, 0.80 + 0.02 * Math.log(macs / 1e6) + 0.003 * r.nextGaussian());
            rows.add(new AccuracySample(a.key(), a, acc, macs));
        }
        return rows;
    }

    /** @return an MLP fitted briefly on synthetic rows of {@code space} */
    static MlpAccuracyPredictor mlp(SearchSpace space) {
        return MlpAccuracyPredictor.train(space, syntheticRows(space, 300, 1), MlpAccuracyPredictor.Config.defaults(1).withEpochs(5));
    }
}
