package ofa4j.predictor;

import com.google.gson.annotations.JsonAdapter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import ofa4j.models.JsonFiles;

/**
 * The quality of the two fitted accuracy predictors ({@code quality.json}, {@code
 * refined-quality.json}): how many table rows were fitted and held out, each predictor's figures on
 * the held-out rows, and, when it was run, the k-fold cross-validation with the inputs it was
 * computed from, so that a resumed run can reuse it ({@link PredictorStage#reusableCrossValidation}).
 * Written by {@link PredictorStage#fitPredictors}; {@link PredictorStage#choose} picks the predictor
 * to search with from it. Files without {@code format_version} are version 1.
 *
 * @param formatVersion {@link #FORMAT_VERSION}
 * @param rows rows of the table (plus measured rows when refined)
 * @param fitRows rows the saved predictors were fitted on
 * @param heldOutRows rows held out to score them
 * @param mlp the MLP's held-out figures
 * @param ridge the ridge model's held-out figures
 * @param crossValidation the cross-validation, or null when it was not run
 */
public record QualityReport(
        int formatVersion,
        int rows,
        int fitRows,
        int heldOutRows,
        Figures mlp,
        Figures ridge,
        CrossValidated crossValidation) {

    /** Version of the file layout. */
    public static final int FORMAT_VERSION = 1;

    /** Takes a missing version as 1, checks it and that both predictors' figures are there. */
    public QualityReport {
        if (formatVersion == 0) {
            formatVersion = 1;
        }
        JsonFiles.checkVersion("predictor quality", formatVersion, 1, FORMAT_VERSION);
        JsonFiles.required(mlp, "mlp");
        JsonFiles.required(ridge, "ridge");
    }

    /**
     * Held-out figures of one predictor (see {@link PredictorQuality}); a rank correlation that is
     * undefined (constant predictions) is NaN here and {@code null} in the file.
     *
     * @param rmsePt root mean squared error, accuracy points
     * @param kendallTau Kendall's tau-b
     * @param spearmanRho Spearman's rho
     */
    public record Figures(
            @JsonAdapter(value = JsonBindings.NanAsNull.class, nullSafe = false) Double rmsePt,
            @JsonAdapter(value = JsonBindings.NanAsNull.class, nullSafe = false) Double kendallTau,
            @JsonAdapter(value = JsonBindings.NanAsNull.class, nullSafe = false) Double spearmanRho) {

        /** Refuses a missing figure. */
        public Figures {
            JsonFiles.required(rmsePt, "rmse_pt");
            JsonFiles.required(kendallTau, "kendall_tau");
            JsonFiles.required(spearmanRho, "spearman_rho");
        }

        /**
         * @param q a predictor's quality
         * @return its figures
         */
        public static Figures of(PredictorQuality q) {
            return new Figures(q.rmsePoints(), q.kendallTau(), q.spearmanRho());
        }
    }

    /**
     * Figures of one fold of a cross-validation.
     *
     * @param rmsePt root mean squared error, accuracy points
     * @param kendallTau Kendall's tau-b
     * @param spearmanRho Spearman's rho
     * @param n held-out rows of the fold
     * @param maePt mean absolute error, accuracy points
     */
    public record Fold(
            @JsonAdapter(value = JsonBindings.NanAsNull.class, nullSafe = false) Double rmsePt,
            @JsonAdapter(value = JsonBindings.NanAsNull.class, nullSafe = false) Double kendallTau,
            @JsonAdapter(value = JsonBindings.NanAsNull.class, nullSafe = false) Double spearmanRho,
            int n,
            @JsonAdapter(value = JsonBindings.NanAsNull.class, nullSafe = false) Double maePt) {

        /** Refuses a missing figure or an empty fold. */
        public Fold {
            JsonFiles.required(rmsePt, "rmse_pt");
            JsonFiles.required(kendallTau, "kendall_tau");
            JsonFiles.required(spearmanRho, "spearman_rho");
            JsonFiles.required(maePt, "mae_pt");
            if (n < 1) {
                throw new IllegalArgumentException("'n' of a fold must be >= 1, found " + n);
            }
        }

        /**
         * @param predictor the predictor's name
         * @return the fold's figures as a {@link PredictorQuality}
         */
        public PredictorQuality quality(String predictor) {
            return new PredictorQuality(predictor, n, rmsePt, maePt, kendallTau, spearmanRho);
        }
    }

    /**
     * One predictor's cross-validation: summary over the folds, then each fold.
     *
     * @param kendallTauMean mean Kendall's tau
     * @param kendallTauSd its standard deviation
     * @param kendallTauMin the lowest fold's
     * @param spearmanRhoMean mean Spearman's rho
     * @param rmsePtMean mean RMSE, accuracy points
     * @param rmsePtSd its standard deviation
     * @param perFold each fold's figures
     */
    public record CrossValidationFigures(
            @JsonAdapter(value = JsonBindings.NanAsNull.class, nullSafe = false) double kendallTauMean,
            @JsonAdapter(value = JsonBindings.NanAsNull.class, nullSafe = false) double kendallTauSd,
            @JsonAdapter(value = JsonBindings.NanAsNull.class, nullSafe = false) double kendallTauMin,
            @JsonAdapter(value = JsonBindings.NanAsNull.class, nullSafe = false) double spearmanRhoMean,
            @JsonAdapter(value = JsonBindings.NanAsNull.class, nullSafe = false) double rmsePtMean,
            @JsonAdapter(value = JsonBindings.NanAsNull.class, nullSafe = false) double rmsePtSd,
            List<Fold> perFold) {

        /** Refuses a missing fold list and copies it. */
        public CrossValidationFigures {
            perFold = List.copyOf(JsonFiles.required(perFold, "per_fold"));
        }

        /**
         * @param v a cross-validation
         * @return its figures
         */
        public static CrossValidationFigures of(CrossValidation v) {
            return new CrossValidationFigures(v.tauMean(), v.tauSd(), v.tauMin(), v.rhoMean(), v.rmseMean(), v.rmseSd(),
                    v.perFold().stream()
                            .map(f -> new Fold(f.rmsePoints(), f.kendallTau(), f.spearmanRho(), f.n(), f.maePoints()))
                            .toList());
        }

        /**
         * @param predictor the predictor's name
         * @return the cross-validation these figures came from
         */
        public CrossValidation crossValidation(String predictor) {
            return new CrossValidation(predictor, perFold.size(), perFold.stream().map(f -> f.quality(predictor)).toList());
        }
    }

    /**
     * What a cross-validation was computed from: the same key means the same figures.
     *
     * @param folds number of folds
     * @param seed seed of the fold assignment, the ridge λ choice and the MLP
     * @param tableSha256 SHA-256 of {@code accuracy.jsonl}
     * @param measuredSha256 SHA-256 of {@code measured.jsonl} when refined, else null
     * @param mlpConfig the MLP settings ({@link MlpAccuracyPredictor.Config#toString()})
     */
    public record CrossValidationKey(int folds, long seed, String tableSha256, String measuredSha256, String mlpConfig) {}

    /**
     * A cross-validation of both predictors with its key.
     *
     * @param folds number of folds
     * @param seed seed
     * @param tableSha256 SHA-256 of the table
     * @param measuredSha256 SHA-256 of the measured rows when refined, else null
     * @param mlpConfig the MLP settings
     * @param mlp the MLP's figures
     * @param ridge the ridge model's figures
     */
    public record CrossValidated(int folds, long seed, String tableSha256, String measuredSha256, String mlpConfig,
            CrossValidationFigures mlp, CrossValidationFigures ridge) {

        /** Refuses missing parts and folds that do not add up. */
        public CrossValidated {
            JsonFiles.required(tableSha256, "table_sha256");
            JsonFiles.required(mlpConfig, "mlp_config");
            JsonFiles.required(mlp, "cross_validation.mlp");
            JsonFiles.required(ridge, "cross_validation.ridge");
            if (folds < 2 || mlp.perFold().size() != folds || ridge.perFold().size() != folds) {
                throw new IllegalArgumentException("'folds' is " + folds + " but the MLP has " + mlp.perFold().size()
                        + " folds and the ridge model " + ridge.perFold().size() + "; expected equal and >= 2");
            }
        }

        /**
         * @param key what it was computed from
         * @param mlp the MLP's cross-validation
         * @param ridge the ridge model's cross-validation
         * @return the record
         */
        public static CrossValidated of(CrossValidationKey key, CrossValidation mlp, CrossValidation ridge) {
            return new CrossValidated(key.folds(), key.seed(), key.tableSha256(), key.measuredSha256(), key.mlpConfig(),
                    CrossValidationFigures.of(mlp), CrossValidationFigures.of(ridge));
        }

        /** @return what it was computed from */
        public CrossValidationKey key() {
            return new CrossValidationKey(folds, seed, tableSha256, measuredSha256, mlpConfig);
        }

        /** @return the MLP's then the ridge model's cross-validation */
        public List<CrossValidation> crossValidations() {
            return List.of(mlp.crossValidation("mlp"), ridge.crossValidation("ridge"));
        }
    }

    /**
     * Writes the report as pretty JSON, atomically.
     *
     * @param file the target
     * @throws IOException if writing fails
     */
    public void write(Path file) throws IOException {
        JsonFiles.write(file, this);
    }

    /**
     * Reads a report written by {@link #write}, or a version 1 file without {@code format_version}.
     *
     * @param file the file
     * @return the report
     * @throws IOException naming the file, the format version and the problem
     */
    public static QualityReport read(Path file) throws IOException {
        try {
            return JsonFiles.read(file, QualityReport.class);
        } catch (IOException e) {
            throw new IOException("predictor quality (format_version " + FORMAT_VERSION + ") " + e.getMessage(), e);
        }
    }
}
