package ofa4j.slicer;

import java.util.Arrays;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.NonPositiveDefiniteMatrixException;

/**
 * Gaussian-process regression (Rasmussen and Williams, "Gaussian Processes for Machine Learning",
 * 2006, Algorithm 2.1) with a squared-exponential kernel on the squared Euclidean distance of
 * feature vectors, a constant mean, targets standardised to mean 0 and variance 1, and the length
 * scale and noise chosen from small grids by log marginal likelihood.
 *
 * <p>Why written here on Commons Math's {@link CholeskyDecomposition} (already a dependency of the
 * project) rather than taken from a library: expected improvement needs the predictive variance.
 * Smile 1.5.3, the last Apache-2.0 Smile (2019), has {@code GaussianProcessRegression} with the
 * posterior mean only; Smile 2.0 is LGPL-3.0 and later versions GPL-3.0 (with a commercial
 * licence), which we do not ship; Tribuo (Apache-2.0) has no Gaussian process. The solver itself,
 * the Cholesky factorisation, is the library's; what is left is the textbook algebra around it.
 */
final class GaussianProcess {

    /** Length scales tried, as multiples of the median squared distance between training points (l^2 = c x median). */
    static final double[] LENGTH_SCALE_FACTORS = {0.125, 0.25, 0.5, 1, 2, 4};

    /**
     * Noise variances tried, in units of the standardised target's variance. The predictors are
     * deterministic, but no kernel of this family fits them exactly; the smallest value is jitter
     * that keeps the factorisation positive definite.
     */
    static final double[] NOISE_VARIANCES = {1e-6, 1e-4, 1e-2, 1e-1};

    private final double[][] x;
    private final double mean;
    private final double sd;
    private final double lengthSq;
    private final double noise;
    private final double[][] chol; // lower triangular L with L L^T = K + noise I
    private final double[] alpha; // (K + noise I)^-1 y (standardised)
    private final double logLikelihood;

    private GaussianProcess(double[][] x, double mean, double sd, double lengthSq, double noise, double[][] chol,
            double[] alpha, double logLikelihood) {
        this.x = x;
        this.mean = mean;
        this.sd = sd;
        this.lengthSq = lengthSq;
        this.noise = noise;
        this.chol = chol;
        this.alpha = alpha;
        this.logLikelihood = logLikelihood;
    }

    /**
     * Fits a GP, choosing the length scale and the noise from {@link #LENGTH_SCALE_FACTORS} and {@link
     * #NOISE_VARIANCES} by log marginal likelihood.
     *
     * @param x feature vectors (at least 2, equal lengths; not copied: do not change them)
     * @param d their squared distances, {@code d[i][j]} for {@code j < i} (read only there)
     * @param y targets
     * @return the fitted GP
     */
    static GaussianProcess fit(double[][] x, double[][] d, double[] y) {
        double median = medianSquaredDistance(d, x.length);
        GaussianProcess best = null;
        for (double c : LENGTH_SCALE_FACTORS) {
            for (double noise : NOISE_VARIANCES) {
                GaussianProcess gp = fit(x, d, y, c * median, noise);
                if (gp != null && (best == null || gp.logLikelihood > best.logLikelihood)) {
                    best = gp;
                }
            }
        }
        if (best == null) {
            throw new IllegalStateException("no length scale and noise of the grids gave a positive-definite kernel"
                    + " matrix for " + x.length + " points");
        }
        return best;
    }

    /**
     * Fits a GP with fixed hyperparameters.
     *
     * @param x feature vectors
     * @param d their squared distances, {@code d[i][j]} for {@code j < i}
     * @param y targets
     * @param lengthSq squared length scale
     * @param noise noise variance in standardised units
     * @return the GP, or null if the kernel matrix is not numerically positive definite
     */
    static GaussianProcess fit(double[][] x, double[][] d, double[] y, double lengthSq, double noise) {
        int n = x.length;
        double mean = Arrays.stream(y).average().orElse(0);
        double var = 0;
        for (double v : y) {
            var += (v - mean) * (v - mean);
        }
        double sd = Math.sqrt(var / n);
        if (!(sd > 1e-12)) {
            sd = 1; // all targets equal: any scale will do
        }
        double[] ys = new double[n];
        for (int i = 0; i < n; i++) {
            ys[i] = (y[i] - mean) / sd;
        }
        double[][] k = new double[n][n];
        for (int i = 0; i < n; i++) {
            k[i][i] = 1 + noise;
            for (int j = 0; j < i; j++) {
                k[i][j] = k[j][i] = Math.exp(-d[i][j] / (2 * lengthSq));
            }
        }
        CholeskyDecomposition cd;
        try {
            cd = new CholeskyDecomposition(new Array2DRowRealMatrix(k, false), 1e-12, 1e-12);
        } catch (NonPositiveDefiniteMatrixException e) {
            return null;
        }
        double[][] l = cd.getL().getData();
        double[] alpha = cd.getSolver().solve(new org.apache.commons.math3.linear.ArrayRealVector(ys, false)).toArray();
        double ll = 0;
        for (int i = 0; i < n; i++) {
            ll -= 0.5 * ys[i] * alpha[i] + Math.log(l[i][i]);
        }
        ll -= 0.5 * n * Math.log(2 * Math.PI);
        return new GaussianProcess(x, mean, sd, lengthSq, noise, l, alpha, ll);
    }

    private static double kernel(double[] a, double[] b, double lengthSq) {
        return Math.exp(-squaredDistance(a, b) / (2 * lengthSq));
    }

    static double squaredDistance(double[] a, double[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            double t = a[i] - b[i];
            d += t * t;
        }
        return d;
    }

    private static double medianSquaredDistance(double[][] d, int n) {
        double[] all = new double[n * (n - 1) / 2];
        int at = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                all[at++] = d[i][j];
            }
        }
        if (all.length == 0) {
            return 1;
        }
        Arrays.sort(all);
        double m = all[all.length / 2];
        return m > 0 ? m : 1;
    }

    /**
     * Predicts the latent function at one point.
     *
     * @param q the feature vector
     * @return {mean, standard deviation} in the targets' units
     */
    double[] predict(double[] q) {
        int n = x.length;
        double[] ks = new double[n];
        for (int i = 0; i < n; i++) {
            ks[i] = kernel(q, x[i], lengthSq);
        }
        double mu = 0;
        for (int i = 0; i < n; i++) {
            mu += ks[i] * alpha[i];
        }
        // v = L^-1 k*, variance = k(q, q) - v.v
        double vv = 0;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double s = ks[i];
            double[] li = chol[i];
            for (int j = 0; j < i; j++) {
                s -= li[j] * v[j];
            }
            v[i] = s / li[i];
            vv += v[i] * v[i];
        }
        double var = Math.max(0, 1 - vv);
        return new double[] {mean + sd * mu, sd * Math.sqrt(var)};
    }

    /** @return the chosen squared length scale */
    double lengthSq() {
        return lengthSq;
    }

    /** @return the chosen noise variance (standardised units) */
    double noise() {
        return noise;
    }

    /** @return the log marginal likelihood of the standardised targets */
    double logLikelihood() {
        return logLikelihood;
    }
}
