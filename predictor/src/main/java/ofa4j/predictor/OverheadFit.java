package ofa4j.predictor;

import org.apache.commons.math3.stat.regression.SimpleRegression;

/**
 * Least-squares fit of measured end-to-end latency against the look-up-table sum, {@code measured
 * ≈ interceptMs + scale * lutSum} (Commons Math {@link SimpleRegression}), with the errors of the
 * fitted and raw models.
 *
 * @param interceptMs fitted constant, ms
 * @param scale fitted slope
 * @param rSquared coefficient of determination
 * @param fitMapePercent mean absolute percentage error of the fitted model on the fitting points
 * @param rawMapePercent the same for the raw sum (intercept 0, scale 1)
 */
public record OverheadFit(double interceptMs, double scale, double rSquared, double fitMapePercent, double rawMapePercent) {

    /**
     * Fits the correction.
     *
     * @param lutSumMs table sums of the subnets, ms
     * @param measuredMs measured latencies, ms (positive)
     * @return the fit; falls back to intercept 0 and a pure ratio when the slope is not positive
     * @throws IllegalArgumentException if fewer than 3 points or lengths differ
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
        double a = r.getIntercept();
        double b = r.getSlope();
        double rsq = r.getRSquare();
        if (!(b > 0) || !Double.isFinite(a)) {
            // degenerate (e.g. all sums equal): keep a pure ratio through the origin
            double sx = 0;
            double sy = 0;
            for (int i = 0; i < lutSumMs.length; i++) {
                sx += lutSumMs[i];
                sy += measuredMs[i];
            }
            a = 0;
            b = sx > 0 ? sy / sx : 1;
        }
        return new OverheadFit(a, b, rsq, mape(lutSumMs, measuredMs, a, b), mape(lutSumMs, measuredMs, 0, 1));
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
