package ofa4j.predictor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import ofa4j.models.SearchSpace;

/**
 * Fits both accuracy predictors on a dataset file, reports their quality on a held-out part and
 * saves them: the library side of {@code ofa predictor fit}.
 */
public final class PredictorFitting {

    /** File name of the saved MLP. */
    public static final String MLP_FILE = "accuracy-mlp.bin";

    /** File name of the saved ridge model. */
    public static final String RIDGE_FILE = "accuracy-ridge.json";

    /** Fewest rows accepted for fitting (so that the 20% held-out part has at least 4 rows). */
    public static final int MIN_ROWS = 20;

    private PredictorFitting() {}

    /**
     * Outcome of a fit.
     *
     * @param fitRows rows used for fitting
     * @param heldOutRows rows used only for the report
     * @param mlp quality of the MLP on the held-out rows
     * @param ridge quality of the ridge model on the held-out rows
     * @param mlpFile where the MLP was saved
     * @param ridgeFile where the ridge model was saved
     * @param seconds wall time
     */
    public record Report(
            int fitRows, int heldOutRows, PredictorQuality mlp, PredictorQuality ridge, Path mlpFile, Path ridgeFile,
            double seconds) {}

    /**
     * Loads the dataset, holds out {@code heldOutFraction} of it (seeded), fits the MLP and the
     * ridge model on the rest, evaluates both on the held-out rows and saves them in {@code outDir}.
     *
     * @param space the dataset's space (rows are validated against it)
     * @param dataset the JSONL accuracy dataset
     * @param outDir where the two predictor files are written
     * @param mlpConfig MLP settings (e.g. {@link MlpAccuracyPredictor.Config#defaults(long)})
     * @param heldOutFraction fraction held out for the report, e.g. 0.2
     * @param seed split seed
     * @return the report
     * @throws IOException if the dataset is missing, empty, corrupt or too small (naming the file),
     *     or saving fails
     */
    public static Report fit(
            SearchSpace space, Path dataset, Path outDir, MlpAccuracyPredictor.Config mlpConfig, double heldOutFraction,
            long seed) throws IOException {
        long t0 = System.nanoTime();
        List<AccuracySample> rows = AccuracyDataset.load(dataset, space, MIN_ROWS);
        List<List<AccuracySample>> parts = PredictorQuality.split(rows, heldOutFraction, seed);
        RidgeAccuracyPredictor ridge = RidgeAccuracyPredictor.fit(space, parts.get(0), seed);
        PredictorQuality rq = PredictorQuality.evaluate(ridge, parts.get(1));
        Path ridgeFile = outDir.resolve(RIDGE_FILE);
        ridge.save(ridgeFile);
        Path mlpFile = outDir.resolve(MLP_FILE);
        PredictorQuality mq;
        try (MlpAccuracyPredictor mlp = MlpAccuracyPredictor.train(space, parts.get(0), mlpConfig)) {
            mq = PredictorQuality.evaluate(mlp, parts.get(1));
            mlp.save(mlpFile);
        }
        return new Report(parts.get(0).size(), parts.get(1).size(), mq, rq, mlpFile, ridgeFile,
                (System.nanoTime() - t0) / 1e9);
    }
}
