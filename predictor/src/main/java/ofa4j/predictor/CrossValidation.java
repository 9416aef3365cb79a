package ofa4j.predictor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import ofa4j.models.SearchSpace;

/**
 * K-fold cross-validation of both accuracy predictors: every row of the table is held out once, so
 * the figures do not hinge on one lucky or unlucky 20% split. (On the 1,000-subnet table of the full
 * {@code fmnist} supernet, two 800/200 splits gave the ridge model Kendall τ 0.748 and 0.802.)
 *
 * @param predictor predictor name
 * @param folds number of folds
 * @param perFold quality on each fold's held-out rows
 */
public record CrossValidation(String predictor, int folds, List<PredictorQuality> perFold) {

    /** Copies the list. */
    public CrossValidation {
        perFold = List.copyOf(perFold);
    }

    /** @return mean Kendall τ over the folds */
    public double tauMean() {
        return perFold.stream().mapToDouble(PredictorQuality::kendallTau).average().orElse(Double.NaN);
    }

    /** @return standard deviation of Kendall τ over the folds */
    public double tauSd() {
        return sd(perFold.stream().mapToDouble(PredictorQuality::kendallTau).toArray());
    }

    /** @return the lowest Kendall τ of a fold */
    public double tauMin() {
        return perFold.stream().mapToDouble(PredictorQuality::kendallTau).min().orElse(Double.NaN);
    }

    /** @return mean Spearman ρ over the folds */
    public double rhoMean() {
        return perFold.stream().mapToDouble(PredictorQuality::spearmanRho).average().orElse(Double.NaN);
    }

    /** @return mean RMSE over the folds, accuracy points */
    public double rmseMean() {
        return perFold.stream().mapToDouble(PredictorQuality::rmsePoints).average().orElse(Double.NaN);
    }

    /** @return standard deviation of the RMSE over the folds, accuracy points */
    public double rmseSd() {
        return sd(perFold.stream().mapToDouble(PredictorQuality::rmsePoints).toArray());
    }

    private static double sd(double[] v) {
        double m = 0;
        for (double x : v) {
            m += x;
        }
        m /= v.length;
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return v.length > 1 ? Math.sqrt(s / (v.length - 1)) : 0;
    }

    /**
     * Cross-validates the MLP and the ridge model on {@code rows}.
     *
     * @param space the rows' space
     * @param rows the table (at least {@code 2 * k} rows)
     * @param k folds (>= 2)
     * @param mlpConfig MLP settings, as for the predictor that is saved
     * @param seed seed of the fold assignment and of the ridge λ choice
     * @return the MLP's then the ridge model's cross-validation
     */
    public static List<CrossValidation> run(
            SearchSpace space, List<AccuracySample> rows, int k, MlpAccuracyPredictor.Config mlpConfig, long seed) {
        if (rows.size() < 2 * k) {
            throw new IllegalArgumentException(
                    k + "-fold cross-validation needs at least " + 2 * k + " rows, found " + rows.size());
        }
        List<PredictorQuality> mlp = new ArrayList<>();
        List<PredictorQuality> ridge = new ArrayList<>();
        for (List<List<AccuracySample>> fold : PredictorQuality.folds(rows, k, seed)) {
            try (MlpAccuracyPredictor m = MlpAccuracyPredictor.train(space, fold.get(0), mlpConfig)) {
                mlp.add(PredictorQuality.evaluate(m, fold.get(1)));
            }
            ridge.add(PredictorQuality.evaluate(RidgeAccuracyPredictor.fit(space, fold.get(0), seed), fold.get(1)));
        }
        return List.of(new CrossValidation("mlp", k, mlp), new CrossValidation("ridge", k, ridge));
    }

    /** @return one line for reports */
    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "%s: %d-fold CV Kendall tau %.3f +- %.3f (lowest fold %.3f), Spearman rho %.3f, RMSE %.3f +- %.3f pts",
                predictor, folds, tauMean(), tauSd(), tauMin(), rhoMean(), rmseMean(), rmseSd());
    }
}
