package ofa4j.predictor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.Shuffle;
import org.apache.commons.math3.stat.correlation.KendallsCorrelation;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

/**
 * Quality of an accuracy predictor on held-out subnets: RMSE in accuracy points (percent) and the
 * rank correlations that matter for search, Kendall's tau and Spearman's rho (Commons Math).
 *
 * @param predictor name of the predictor
 * @param n number of held-out subnets
 * @param rmsePoints root mean squared error, accuracy points (0.01 fraction = 1 point)
 * @param maePoints mean absolute error, accuracy points
 * @param kendallTau Kendall's tau-b between predicted and measured accuracy
 * @param spearmanRho Spearman's rank correlation
 */
public record PredictorQuality(
        String predictor, int n, double rmsePoints, double maePoints, double kendallTau, double spearmanRho) {

    /**
     * Scores a predictor on held-out samples.
     *
     * @param p the predictor
     * @param heldOut samples not used for fitting (at least 2)
     * @return the figures
     * @throws IllegalArgumentException if fewer than 2 samples are given
     */
    public static PredictorQuality evaluate(AccuracyPredictor p, List<AccuracySample> heldOut) {
        if (heldOut.size() < 2) {
            throw new IllegalArgumentException(
                    "quality needs at least 2 held-out samples, found " + heldOut.size());
        }
        List<ArchConfig> archs = new ArrayList<>(heldOut.size());
        double[] y = new double[heldOut.size()];
        for (int i = 0; i < y.length; i++) {
            archs.add(heldOut.get(i).arch());
            y[i] = heldOut.get(i).accuracy();
        }
        return of(p.name(), p.predict(archs), y);
    }

    /**
     * Computes the figures of predictions against measurements.
     *
     * @param name predictor name
     * @param predicted predicted accuracies (fractions)
     * @param measured measured accuracies (fractions)
     * @return the figures
     */
    public static PredictorQuality of(String name, double[] predicted, double[] measured) {
        if (predicted.length != measured.length || predicted.length < 2) {
            throw new IllegalArgumentException(
                    "need equal lengths >= 2, found " + predicted.length + " predictions and " + measured.length
                            + " measurements");
        }
        double se = 0;
        double ae = 0;
        for (int i = 0; i < predicted.length; i++) {
            double d = (predicted[i] - measured[i]) * 100;
            se += d * d;
            ae += Math.abs(d);
        }
        int n = predicted.length;
        double tau = new KendallsCorrelation().correlation(predicted, measured);
        double rho = new SpearmansCorrelation().correlation(predicted, measured);
        return new PredictorQuality(name, n, Math.sqrt(se / n), ae / n, tau, rho);
    }

    /**
     * Splits samples into a fitting part and a held-out part (seeded shuffle).
     *
     * @param rows all samples
     * @param heldOutFraction fraction held out, in (0, 1)
     * @param seed shuffle seed
     * @return two lists: index 0 fitting, index 1 held out
     */
    public static List<List<AccuracySample>> split(List<AccuracySample> rows, double heldOutFraction, long seed) {
        if (!(heldOutFraction > 0 && heldOutFraction < 1)) {
            throw new IllegalArgumentException("held-out fraction must be in (0, 1), found " + heldOutFraction);
        }
        List<AccuracySample> shuffled = shuffled(rows, seed);
        int hold = (int) Math.round(rows.size() * heldOutFraction);
        hold = Math.max(1, Math.min(rows.size() - 1, hold));
        return List.of(
                List.copyOf(shuffled.subList(hold, shuffled.size())), List.copyOf(shuffled.subList(0, hold)));
    }

    /**
     * Splits samples into {@code k} folds for cross-validation (seeded shuffle, then every k-th
     * row): each row is held out exactly once.
     *
     * @param rows all samples
     * @param k number of folds, 2 .. rows
     * @param seed shuffle seed
     * @return k pairs: index 0 fitting rows, index 1 held-out rows
     */
    public static List<List<List<AccuracySample>>> folds(List<AccuracySample> rows, int k, long seed) {
        if (k < 2 || k > rows.size()) {
            throw new IllegalArgumentException("cross-validation needs 2 .. " + rows.size() + " folds, found " + k);
        }
        List<AccuracySample> shuffled = shuffled(rows, seed);
        List<List<List<AccuracySample>>> out = new ArrayList<>();
        for (int f = 0; f < k; f++) {
            List<AccuracySample> fit = new ArrayList<>();
            List<AccuracySample> held = new ArrayList<>();
            for (int i = 0; i < shuffled.size(); i++) {
                (i % k == f ? held : fit).add(shuffled.get(i));
            }
            out.add(List.of(List.copyOf(fit), List.copyOf(held)));
        }
        return out;
    }

    private static List<AccuracySample> shuffled(List<AccuracySample> rows, long seed) {
        List<AccuracySample> shuffled = new ArrayList<>(rows);
        Shuffle.shuffle(shuffled, new SplittableRandom(seed));
        return shuffled;
    }

    /** @return one line for reports */
    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "%s: n=%d RMSE %.3f pts, MAE %.3f pts, Kendall tau %.3f, Spearman rho %.3f",
                predictor, n, rmsePoints, maePoints, kendallTau, spearmanRho);
    }
}
