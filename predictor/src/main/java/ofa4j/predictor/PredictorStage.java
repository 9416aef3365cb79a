package ofa4j.predictor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import ofa4j.models.Hashing;
import ofa4j.models.SearchSpace;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.DataSplits;

/**
 * The accuracy stages of a run, callable from Java: the accuracy table of a trained supernet, the
 * two predictors fitted on it with their held-out and cross-validated quality ({@code
 * quality.json}), the one rule that picks the predictor to search with, and loading it back. All
 * files live in one predictor directory; every write is atomic.
 */
public final class PredictorStage {

    /** File name of the accuracy table under the predictor directory. */
    public static final String ACCURACY_FILE = "accuracy.jsonl";

    /** File name of the MLP predictor. */
    public static final String MLP_FILE = "mlp.predictor";

    /** File name of the ridge predictor. */
    public static final String RIDGE_FILE = "ridge.predictor";

    /** File name of the quality report. */
    public static final String QUALITY_FILE = "quality.json";

    /**
     * Rows the closed loop measured (same format as the table, validation split): kept apart from
     * the sampled table so that the table, its predictors and their cross-validation stay what
     * stage 3 and 4 made (and are reused on resume); refinement fits on both.
     */
    public static final String MEASURED_FILE = "measured.jsonl";

    /** Prefix of the predictor files and quality report refitted on table + measured rows. */
    public static final String REFINED_PREFIX = "refined-";

    /** Fewest rows a table must have before predictors are fitted on it. */
    public static final int MIN_ROWS = 10;

    private PredictorStage() {}

    /**
     * Builds (or completes, resuming by arch key) the accuracy table of a trained run.
     *
     * @param net the trained supernet
     * @param data its data splits (calibration on train, accuracy on validation)
     * @param file the table
     * @param samples subnets in total
     * @param calibrationImages BN recalibration images per subnet
     * @param seed seed
     * @param quiet no progress bar
     * @return the result
     * @throws IOException if writing fails
     */
    public static AccuracyDatasetBuilder.Result accuracyTable(Supernet net, DataSplits data, Path file, int samples,
            int calibrationImages, long seed, boolean quiet) throws IOException {
        SupernetScorer scorer = new SupernetScorer(net, data.train(), data.val(), data.mean(), data.std(),
                calibrationImages, SupernetScorer.DEFAULT_EVAL_BATCH);
        recordTableSettings(file, net.space(), calibrationImages, seed, data.val().size());
        return AccuracyDatasetBuilder.builder()
                .setSpace(net.space())
                .setScorer(scorer)
                .setFile(file)
                .optSamples(samples)
                .optSeed(seed)
                .optQuiet(quiet)
                .build()
                .build();
    }

    /**
     * Checks that an existing table was measured with the same settings and records them next to
     * it ({@link AccuracyTableInfo}): rows measured on other calibration images or another
     * validation split must not be mixed in one table. Every builder of the table calls this first,
     * in-process or distributed.
     *
     * @param file the table
     * @param space the search space its rows belong to (an existing table is read first: a damaged
     *     one fails here, before anything is written)
     * @param calibrationImages BN recalibration images per subnet
     * @param seed the table's seed
     * @param valImages validation images each row is measured on
     * @throws IOException if the settings file cannot be read or written
     * @throws IllegalArgumentException if the existing table was measured with other settings (both named)
     */
    public static void recordTableSettings(Path file, SearchSpace space, int calibrationImages, long seed,
            int valImages) throws IOException {
        AccuracyTableInfo info = AccuracyTableInfo.of(calibrationImages, seed, valImages);
        AccuracyTableInfo old = AccuracyTableInfo.read(file.getParent());
        if (old != null && Files.isRegularFile(file) && !old.equals(info)) {
            throw new IllegalArgumentException("accuracy table " + file + " was measured with " + old.calibrationImages()
                    + " calibration images (seed " + old.calibrationSeed() + ", " + old.valImages()
                    + " validation images); this call asks for " + calibrationImages + " (seed " + info.calibrationSeed()
                    + ", " + info.valImages() + "): use the same settings or another directory");
        }
        if (Files.isRegularFile(file)) {
            AccuracyDataset.read(file, space); // a damaged table fails here, before anything is written
        }
        if (!info.equals(old)) {
            info.save(file.getParent());
        }
    }

    /**
     * The two fitted predictors, their held-out quality and the {@code quality.json} written for them.
     */
    public record Predictors(MlpAccuracyPredictor mlp, RidgeAccuracyPredictor ridge, PredictorQuality mlpQuality,
            PredictorQuality ridgeQuality, int rows, List<CrossValidation> crossValidation, QualityReport quality,
            boolean crossValidationReused) implements AutoCloseable {
        @Override
        public void close() {
            mlp.close();
        }

        /**
         * The predictor to search with, by the same rule and from the same figures as {@code
         * --predictor best} reads from {@code quality.json} ({@link #choose}).
         *
         * @return the MLP or the ridge model
         */
        public AccuracyPredictor best() {
            return choice().pick().equals("ridge") ? ridge : mlp;
        }

        /** @return which predictor ranks better and why ({@link #choose} on {@link #quality}) */
        public Choice choice() {
            return choose(quality);
        }
    }

    /**
     * Which predictor ranks better, and why.
     *
     * @param pick {@code mlp} or {@code ridge}
     * @param why one line for the user
     */
    public record Choice(String pick, String why) {}

    /**
     * The one rule that picks the predictor to search with: the higher mean Kendall τ of the
     * cross-validation when {@code quality} has one, else the higher τ on the held-out 20%; the MLP
     * on ties or when the ridge figure is missing.
     *
     * @param quality the content of {@code quality.json}
     * @return the choice
     */
    public static Choice choose(QualityReport quality) {
        double mt;
        double rt;
        String basis;
        if (quality.crossValidation() != null) {
            mt = quality.crossValidation().mlp().kendallTauMean();
            rt = quality.crossValidation().ridge().kendallTauMean();
            basis = "cross-validation";
        } else {
            mt = quality.mlp().kendallTau();
            rt = quality.ridge().kendallTau();
            basis = "held-out";
        }
        boolean ridge = Double.isFinite(rt) && (!Double.isFinite(mt) || rt > mt);
        return new Choice(ridge ? "ridge" : "mlp", fmt("%s Kendall tau mlp %.3f, ridge %.3f", basis, mt, rt));
    }

    /** Values of the {@code --predictor} option of the commands that search. */
    public static final List<String> PREDICTOR_CHOICES = List.of("best", "mlp", "ridge");

    /**
     * An accuracy predictor loaded from a run, with the reason it was chosen.
     *
     * @param predictor the predictor
     * @param space its search space
     * @param why one line for the user
     */
    public record LoadedPredictor(AccuracyPredictor predictor, SearchSpace space, String why) implements AutoCloseable {
        @Override
        public void close() {
            if (predictor instanceof MlpAccuracyPredictor m) {
                m.close();
            }
        }
    }

    /**
     * Loads the accuracy predictor a search uses from a run's predictor directory.
     *
     * @param dir the run's {@code predictor/} directory
     * @param which {@code mlp}, {@code ridge}, or {@code best}: the one with the higher Kendall τ in
     *     {@code quality.json} (cross-validation mean when present, else held-out), MLP when there
     *     is no quality file
     * @return the predictor
     * @throws IOException if the file is missing or corrupt (naming it)
     * @throws IllegalArgumentException naming the bad {@code which} and the values allowed
     */
    public static LoadedPredictor loadPredictor(Path dir, String which) throws IOException {
        if (!PREDICTOR_CHOICES.contains(which)) {
            throw new IllegalArgumentException("--predictor must be one of " + PREDICTOR_CHOICES + ", found '" + which + "'");
        }
        String pick = which;
        String why = "chosen with --predictor";
        if (which.equals("best")) {
            pick = "mlp";
            why = "no " + QUALITY_FILE + " to compare the predictors";
            Path qf = dir.resolve(QUALITY_FILE);
            if (Files.isRegularFile(qf)) {
                Choice c = choose(QualityReport.read(qf));
                pick = c.pick();
                why = c.why();
            }
        }
        if (pick.equals("ridge")) {
            RidgeAccuracyPredictor r = RidgeAccuracyPredictor.load(dir.resolve(RIDGE_FILE));
            return new LoadedPredictor(r, r.space(), why);
        }
        Path mf = dir.resolve(MLP_FILE);
        if (!Files.isRegularFile(mf)) {
            throw new IOException("run has no accuracy predictor " + mf + "; run 'ofa predictor fit' first");
        }
        MlpAccuracyPredictor m = MlpAccuracyPredictor.load(mf);
        return new LoadedPredictor(m, m.space(), why);
    }

    /**
     * Fits the MLP and ridge predictors on 80% of the table (seeded split) and reports their quality
     * on the other 20%; the predictors written are those fitted on the 80%, so the reported quality
     * is the quality of the files.
     *
     * @param space the space
     * @param dir predictor directory (holds the table, writes the predictors and quality.json)
     * @param seed seed of the split and of the MLP
     * @param reuse load existing predictor files instead of fitting
     * @param cvFolds folds of the cross-validation also reported (0 = none; skipped when the table
     *     has fewer than 2 rows per fold)
     * @return the predictors
     * @throws IOException if reading or writing fails
     */
    public static Predictors fitPredictors(SearchSpace space, Path dir, long seed, boolean reuse, int cvFolds) throws IOException {
        return fitPredictors(space, dir, seed, reuse, cvFolds, false);
    }

    /**
     * {@link #fitPredictors(SearchSpace, Path, long, boolean, int)} on the table, or, when {@code
     * refined}, on the table plus the closed loop's measured rows, written to {@link
     * #REFINED_PREFIX}-named files.
     *
     * @param space the space
     * @param dir predictor directory
     * @param seed seed
     * @param reuse load existing predictor files instead of fitting
     * @param cvFolds cross-validation folds (0 = none)
     * @param refined fit on table + measured rows
     * @return the predictors
     * @throws IOException if reading or writing fails
     */
    public static Predictors fitPredictors(SearchSpace space, Path dir, long seed, boolean reuse, int cvFolds, boolean refined)
            throws IOException {
        List<AccuracySample> rows = refined ? tableAndMeasured(space, dir)
                : AccuracyDataset.load(dir.resolve(ACCURACY_FILE), space, MIN_ROWS);
        String pre = refined ? REFINED_PREFIX : "";
        List<List<AccuracySample>> split = PredictorQuality.split(rows, 0.2, seed);
        List<AccuracySample> fit = split.get(0);
        List<AccuracySample> held = split.get(1);
        MlpAccuracyPredictor mlp;
        RidgeAccuracyPredictor ridge;
        Path mlpFile = dir.resolve(pre + MLP_FILE);
        Path ridgeFile = dir.resolve(pre + RIDGE_FILE);
        if (reuse && Files.isRegularFile(mlpFile) && Files.isRegularFile(ridgeFile)) {
            mlp = MlpAccuracyPredictor.load(mlpFile);
            ridge = RidgeAccuracyPredictor.load(ridgeFile);
        } else {
            mlp = MlpAccuracyPredictor.train(space, fit, MlpAccuracyPredictor.Config.defaults(seed));
            ridge = RidgeAccuracyPredictor.fit(space, fit, seed);
            mlp.save(mlpFile);
            ridge.save(ridgeFile);
        }
        PredictorQuality qm = PredictorQuality.evaluate(mlp, held);
        PredictorQuality qr = PredictorQuality.evaluate(ridge, held);
        List<CrossValidation> cv = List.of();
        boolean cvReused = false;
        QualityReport.CrossValidated cvFile = null;
        if (cvFolds >= 2 && rows.size() >= 2 * cvFolds) {
            MlpAccuracyPredictor.Config mlpConfig = MlpAccuracyPredictor.Config.defaults(seed);
            QualityReport.CrossValidationKey key = new QualityReport.CrossValidationKey(cvFolds, seed,
                    Hashing.sha256Hex(dir.resolve(ACCURACY_FILE)),
                    refined ? Hashing.sha256Hex(dir.resolve(MEASURED_FILE)) : null, mlpConfig.toString());
            cv = reuse ? reusableCrossValidation(dir.resolve(pre + QUALITY_FILE), key) : List.of();
            cvReused = !cv.isEmpty();
            if (!cvReused) {
                cv = CrossValidation.run(space, rows, cvFolds, mlpConfig, seed);
            }
            cvFile = QualityReport.CrossValidated.of(key, cv.get(0), cv.get(1));
        }
        QualityReport q = new QualityReport(QualityReport.FORMAT_VERSION, rows.size(), fit.size(), held.size(),
                QualityReport.Figures.of(qm), QualityReport.Figures.of(qr), cvFile);
        q.write(dir.resolve(pre + QUALITY_FILE));
        return new Predictors(mlp, ridge, qm, qr, rows.size(), cv, q, cvReused);
    }

    /**
     * The sampled table and the closed loop's measured rows (keys of the table win).
     *
     * @param space the space
     * @param dir predictor directory
     * @return the rows
     * @throws IOException if a file is corrupt
     */
    public static List<AccuracySample> tableAndMeasured(SearchSpace space, Path dir) throws IOException {
        List<AccuracySample> rows = new ArrayList<>(AccuracyDataset.load(dir.resolve(ACCURACY_FILE), space, MIN_ROWS));
        java.util.Set<String> keys = new java.util.HashSet<>();
        rows.forEach(r -> keys.add(r.key()));
        for (AccuracySample m : AccuracyDataset.read(dir.resolve(MEASURED_FILE), space)) {
            if (keys.add(m.key())) {
                rows.add(m);
            }
        }
        return rows;
    }

    /**
     * The cross-validation stored in an existing {@code quality.json}, if it was computed from the
     * same table (SHA-256), folds, seed and MLP settings as {@code key} holds; 5 MLP fits are not
     * worth repeating on every {@code ofa run --resume}.
     *
     * @param qualityFile the existing file (may be absent)
     * @param key the inputs that must match
     * @return the stored cross-validation of the MLP and the ridge model, or an empty list when
     *     there is none to reuse (absent, unreadable, another format or computed from other inputs)
     */
    public static List<CrossValidation> reusableCrossValidation(Path qualityFile, QualityReport.CrossValidationKey key) {
        try {
            QualityReport.CrossValidated c = QualityReport.read(qualityFile).crossValidation();
            return c != null && c.key().equals(key) ? c.crossValidations() : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String fmt(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }
}
