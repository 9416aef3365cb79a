package ofa4j.slicer;

import java.util.ArrayList;
import java.util.List;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.AccuracySample;
import ofa4j.predictor.MlpAccuracyPredictor;
import ofa4j.predictor.RidgeAccuracyPredictor;

/**
 * The refits of a closed loop's refiner: a fresh predictor of one kind ({@code ridge} or
 * {@code mlp}) per call, the MLPs kept until {@link #close()} releases them.
 */
final class Refits implements AutoCloseable {
    private final SearchSpace space;
    private final String kind;
    private final long seed;
    private final List<MlpAccuracyPredictor> fitted = new ArrayList<>();

    Refits(SearchSpace space, String kind, long seed) {
        this.space = space;
        this.kind = kind;
        this.seed = seed;
    }

    /**
     * Fits a predictor of this kind on the rows.
     *
     * @param rows the training rows
     * @return the fitted predictor (an MLP stays open until {@link #close()})
     */
    AccuracyPredictor fit(List<AccuracySample> rows) {
        if ("ridge".equals(kind)) {
            return RidgeAccuracyPredictor.fit(space, rows, seed);
        }
        MlpAccuracyPredictor m = MlpAccuracyPredictor.train(space, rows, MlpAccuracyPredictor.Config.defaults(seed));
        fitted.add(m);
        return m;
    }

    @Override
    public void close() {
        fitted.forEach(MlpAccuracyPredictor::close);
    }
}
