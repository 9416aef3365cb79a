package ofa4j.predictor;

import java.util.List;
import org.apache.commons.math3.stat.regression.SimpleRegression;

/**
 * The end-to-end correction of a latency table, {@code measured ≈ interceptMs + scale * lutSum},
 * chosen among three models by leave-one-out error on the timed subnets:
 *
 * <ul>
 *   <li>{@code raw}: the table sum as it is (intercept 0, scale 1);
 *   <li>{@code ratio}: a scale only, through the origin;
 *   <li>{@code affine}: intercept and scale.
 * </ul>
 *
 * <p>Both fitted models minimise the squared <em>relative</em> error, since profiles are judged by
 * mean absolute percentage error and fast and slow subnets matter alike. Why the choice: with 20
 * subnets timed on a shared 2-core machine an affine least-squares fit sometimes followed the noise
 * and missed more than the raw sum; leave-one-out error tells such a fit from a real per-call
 * overhead (see docs/experiments.md).
 *
 * @param interceptMs constant of the chosen model, ms
 * @param scale slope of the chosen model
 * @param rSquared coefficient of determination of an ordinary least-squares line (Commons Math
 *     {@link SimpleRegression}), for reports
 * @param fitMapePercent mean absolute percentage error of the chosen model on the fitting points
 * @param rawMapePercent the same for the raw sum (intercept 0, scale 1)
 * @param model {@code raw}, {@code ratio} or {@code affine}
 * @param looMapePercent leave-one-out MAPE of the chosen model, percent
 */
public record OverheadFit(
        double interceptMs, double scale, double rSquared, double fitMapePercent, double rawMapePercent, String model,
        double looMapePercent) {

    /** The models tried, simplest first (a tie keeps the simpler). */
    public static final List<String> MODELS = List.of("raw", "ratio", "affine");

    /**
     * Fits the correction.
     *
     * @param lutSumMs table sums of the subnets, ms
     * @param measuredMs measured latencies, ms (positive)
     * @return the model with the lowest leave-one-out MAPE
     * @throws IllegalArgumentException if fewer than 3 points, lengths differ or a latency is not positive
     */
    public static OverheadFit fit(double[] lutSumMs, double[] measuredMs) {
        if (lutSumMs.length != measuredMs.length || lutSumMs.length < 3) {
            throw new IllegalArgumentException(
                    "overhead fit needs >= 3 subnets with equal-length arrays, found " + lutSumMs.length + " sums and "
                            + measuredMs.length + " measurements");
        }
        SimpleRegression r = new SimpleRegression(true);
        for (int i = 0; i < lutSumMs.length; i++) {
            if (!(measuredMs[i] > 0)) {
                throw new IllegalArgumentException("measured latency must be > 0 ms, found " + measuredMs[i]);
            }
            r.addData(lutSumMs[i], measuredMs[i]);
        }
        double rsq = r.getRSquare();
        String best = "raw";
        double[] ab = {0, 1};
        double bestLoo = leaveOneOutMape(best, lutSumMs, measuredMs); // finite: raw has nothing to fit
        for (String m : MODELS.subList(1, MODELS.size())) {
            double loo = leaveOneOutMape(m, lutSumMs, measuredMs);
            double[] all = loo < bestLoo - 1e-12 ? solve(m, lutSumMs, measuredMs, -1) : null;
            if (all != null) {
                best = m;
                bestLoo = loo;
                ab = all;
            }
        }
        return new OverheadFit(ab[0], ab[1], rsq, mape(lutSumMs, measuredMs, ab[0], ab[1]),
                mape(lutSumMs, measuredMs, 0, 1), best, bestLoo);
    }

    /**
     * Intercept and scale of {@code model} fitted to all points except {@code skip} (-1 = none);
     * null when the model cannot be fitted there (no positive slope).
     */
    static double[] solve(String model, double[] x, double[] y, int skip) {
        if (model.equals("raw")) {
            return new double[] {0, 1};
        }
        // weights 1/y^2: least squares of the relative error (a + b x - y) / y
        double sw = 0;
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (int i = 0; i < x.length; i++) {
            if (i == skip) {
                continue;
            }
            double w = 1 / (y[i] * y[i]);
            sw += w;
            sx += w * x[i];
            sy += w * y[i];
            sxx += w * x[i] * x[i];
            sxy += w * x[i] * y[i];
        }
        if (model.equals("ratio")) {
            double b = sxx > 0 ? sxy / sxx : Double.NaN;
            return b > 0 && Double.isFinite(b) ? new double[] {0, b} : null;
        }
        double det = sw * sxx - sx * sx;
        if (!(Math.abs(det) > 1e-12 * sw * sxx)) {
            return null; // all sums (nearly) equal: no slope to fit
        }
        double b = (sw * sxy - sx * sy) / det;
        double a = (sy - b * sx) / sw;
        return b > 0 && Double.isFinite(a) ? new double[] {a, b} : null;
    }

    private static double leaveOneOutMape(String model, double[] x, double[] y) {
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            double[] ab = solve(model, x, y, i);
            if (ab == null) {
                return Double.POSITIVE_INFINITY;
            }
            sum += Math.abs(ab[0] + ab[1] * x[i] - y[i]) / y[i];
        }
        return 100 * sum / x.length;
    }

    /**
     * Mean absolute percentage error of {@code a + b * x} against {@code y}.
     *
     * @param x table sums
     * @param y measurements
     * @param a intercept
     * @param b slope
     * @return MAPE in percent
     */
    public static double mape(double[] x, double[] y, double a, double b) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += Math.abs(a + b * x[i] - y[i]) / y[i];
        }
        return 100 * s / x.length;
    }
}
