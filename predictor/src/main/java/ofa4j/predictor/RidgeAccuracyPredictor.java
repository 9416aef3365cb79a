package ofa4j.predictor;

import com.google.gson.annotations.JsonAdapter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import ofa4j.models.ArchConfig;
import ofa4j.models.ArchEncoding;
import ofa4j.models.CostModel;
import ofa4j.models.JsonFiles;
import ofa4j.models.SearchSpace;
import ofa4j.models.SpaceJson;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;

/**
 * Ridge regression on OFA's one-hot {@link ArchEncoding}, its block part multiplied by the
 * standardised input resolution {@code z} and by {@code z²}, and the subnet's MACs (millions) and
 * log-MACs, solved in closed form with Commons Math: {@code w = (XcᵀXc + λI)⁻¹ Xcᵀ yc} on centred
 * features and targets (the intercept is not penalised), by Cholesky decomposition. λ is chosen
 * from {@link #LAMBDAS} by the RMSE on a seeded 20% validation part of the fitting rows, then the
 * model is refitted on all of them. Predictions are clipped to [0, 1].
 *
 * <p>A deliberately different model from {@link MlpAccuracyPredictor}: linear in its features, no
 * engine, fitted in milliseconds.
 *
 * <p>Why the resolution terms: what a block choice is worth depends on the input resolution, so the
 * block one-hots are also multiplied by {@code z} and {@code z²} (one model, where a model per
 * resolution would not scale to 25 resolutions); they rank held-out subnets better (see
 * docs/experiments.md). Files of version 1 (no resolution terms) still load.
 */
public final class RidgeAccuracyPredictor implements AccuracyPredictor {

    /** File format name written in the JSON. */
    public static final String FORMAT = "ofa4j-ridge-accuracy-predictor";

    /** File format version: 2 adds the resolution terms; version 1 files are still read. */
    public static final int FORMAT_VERSION = 2;

    /** Resolution terms of new fits: the block one-hots times {@code z} and times {@code z²}. */
    public static final int RESOLUTION_TERMS = 2;

    /** Regularisation strengths tried, on features that are 0/1 or standardised. */
    public static final double[] LAMBDAS = {1e-3, 1e-2, 0.1, 0.3, 1, 3, 10, 30, 100, 1000};

    private final SearchSpace space;
    private final ArchEncoding encoding;
    private final CostModel cost;
    private final double[] weights;
    private final double intercept;
    private final double lambda;
    private final double macsMean;
    private final double macsStd;
    private final double logMacsMean;
    private final double logMacsStd;
    private final Features features;

    private RidgeAccuracyPredictor(
            SearchSpace space, double[] weights, double intercept, double lambda, double[] macsStats, Features features) {
        this.space = space;
        this.encoding = new ArchEncoding(space);
        this.cost = new CostModel(space);
        this.weights = weights;
        this.intercept = intercept;
        this.lambda = lambda;
        this.macsMean = macsStats[0];
        this.macsStd = macsStats[1];
        this.logMacsMean = macsStats[2];
        this.logMacsStd = macsStats[3];
        this.features = features;
        int want = features.length();
        if (weights.length != want) {
            throw new IllegalArgumentException(
                    "ridge predictor for space " + space.name() + " needs " + want + " weights, found " + weights.length);
        }
    }

    /** @return the number of features: encoding length, resolution terms x block part, + 2 (MACs, log MACs) */
    public int numFeatures() {
        return weights.length;
    }

    /** @return the regularisation strength chosen by validation */
    public double lambda() {
        return lambda;
    }

    /** @return the search space */
    public SearchSpace space() {
        return space;
    }

    /**
     * Fits the predictor, choosing λ on a seeded 20% validation part of {@code rows}.
     *
     * @param space the space of the samples
     * @param rows fitting samples (at least 10)
     * @param seed seed of the validation split
     * @return the fitted predictor
     * @throws IllegalArgumentException if there are fewer than 10 rows
     */
    public static RidgeAccuracyPredictor fit(SearchSpace space, List<AccuracySample> rows, long seed) {
        return fit(space, rows, seed, RESOLUTION_TERMS);
    }

    /**
     * Fits the predictor with a given number of resolution terms (0 = the plain encoding), choosing
     * λ as {@link #fit(SearchSpace, List, long)} does.
     *
     * @param space the space of the samples
     * @param rows fitting samples (at least 10)
     * @param seed seed of the validation split
     * @param resolutionTerms powers of the standardised resolution multiplied with the block one-hots (0-4)
     * @return the fitted predictor
     */
    static RidgeAccuracyPredictor fit(SearchSpace space, List<AccuracySample> rows, long seed, int resolutionTerms) {
        if (resolutionTerms < 0 || resolutionTerms > 4) {
            throw new IllegalArgumentException("resolution terms must be 0-4, found " + resolutionTerms);
        }
        if (rows.size() < 10) {
            throw new IllegalArgumentException("ridge predictor needs at least 10 samples, found " + rows.size());
        }
        double[] stats = macsStats(rows);
        Features f = Features.of(space, rows, resolutionTerms);
        List<List<AccuracySample>> parts = PredictorQuality.split(rows, 0.2, seed);
        double best = Double.POSITIVE_INFINITY;
        double bestLambda = LAMBDAS[0];
        for (double l : LAMBDAS) {
            RidgeAccuracyPredictor p = fitWith(space, parts.get(0), l, stats, f);
            double rmse = PredictorQuality.evaluate(p, parts.get(1)).rmsePoints();
            if (rmse < best) {
                best = rmse;
                bestLambda = l;
            }
        }
        return fitWith(space, rows, bestLambda, stats, f);
    }

    /**
     * Fits with a given λ.
     *
     * @param space the space
     * @param rows samples
     * @param lambda regularisation strength (> 0)
     * @return the fitted predictor
     */
    public static RidgeAccuracyPredictor fit(SearchSpace space, List<AccuracySample> rows, double lambda) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("ridge predictor needs samples, found none");
        }
        return fitWith(space, rows, lambda, macsStats(rows), Features.of(space, rows, RESOLUTION_TERMS));
    }

    private static double[] macsStats(List<AccuracySample> rows) {
        double s = 0;
        double ls = 0;
        for (AccuracySample r : rows) {
            s += r.macs() / 1e6;
            ls += Math.log(Math.max(1, r.macs()));
        }
        double m = s / rows.size();
        double lm = ls / rows.size();
        double v = 0;
        double lv = 0;
        for (AccuracySample r : rows) {
            v += Math.pow(r.macs() / 1e6 - m, 2);
            lv += Math.pow(Math.log(Math.max(1, r.macs())) - lm, 2);
        }
        double sd = Math.sqrt(v / rows.size());
        double lsd = Math.sqrt(lv / rows.size());
        return new double[] {m, sd > 0 ? sd : 1, lm, lsd > 0 ? lsd : 1};
    }

    private static RidgeAccuracyPredictor fitWith(
            SearchSpace space, List<AccuracySample> rows, double lambda, double[] stats, Features feat) {
        if (!(lambda > 0)) {
            throw new IllegalArgumentException("ridge lambda must be > 0, found " + lambda);
        }
        ArchEncoding enc = new ArchEncoding(space);
        int d = feat.length();
        int n = rows.size();
        double[][] x = new double[n][];
        double[] y = new double[n];
        double[] colMean = new double[d];
        double yMean = 0;
        float[] buf = new float[enc.length()];
        for (int i = 0; i < n; i++) {
            AccuracySample r = rows.get(i);
            x[i] = feat.compute(enc, buf, r.arch(), r.macs(), stats);
            y[i] = r.accuracy();
            yMean += y[i];
            for (int j = 0; j < d; j++) {
                colMean[j] += x[i][j];
            }
        }
        yMean /= n;
        for (int j = 0; j < d; j++) {
            colMean[j] /= n;
        }
        double[][] xtx = new double[d][d];
        double[] xty = new double[d];
        double[] c = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                c[j] = x[i][j] - colMean[j];
            }
            double yc = y[i] - yMean;
            for (int j = 0; j < d; j++) {
                if (c[j] == 0) {
                    continue;
                }
                xty[j] += c[j] * yc;
                for (int k = j; k < d; k++) {
                    xtx[j][k] += c[j] * c[k];
                }
            }
        }
        for (int j = 0; j < d; j++) {
            for (int k = 0; k < j; k++) {
                xtx[j][k] = xtx[k][j];
            }
            xtx[j][j] += lambda;
        }
        RealMatrix a = new Array2DRowRealMatrix(xtx, false);
        RealVector w = new CholeskyDecomposition(a).getSolver().solve(new ArrayRealVector(xty, false));
        double[] weights = w.toArray();
        double b = yMean;
        for (int j = 0; j < d; j++) {
            b -= weights[j] * colMean[j];
        }
        return new RidgeAccuracyPredictor(space, weights, b, lambda, stats, feat);
    }

    /**
     * The feature layout: the encoding, then {@code terms} copies of its block part multiplied by
     * {@code z^1 .. z^terms} where {@code z = (resolution - resMean) / resStd}, then standardised
     * MACs and log-MACs.
     *
     * @param blockLength length of the block part of the encoding (without the resolution one-hot)
     * @param encodingLength length of the encoding
     * @param terms number of resolution powers (0 = plain encoding, as file version 1)
     * @param resMean mean resolution of the fitting rows
     * @param resStd standard deviation of the resolution of the fitting rows (1 when all are equal)
     */
    private record Features(int blockLength, int encodingLength, int terms, double resMean, double resStd) {

        static Features of(SearchSpace space, List<AccuracySample> rows, int terms) {
            double m = 0;
            for (AccuracySample r : rows) {
                m += r.arch().resolution();
            }
            m /= rows.size();
            double v = 0;
            for (AccuracySample r : rows) {
                v += Math.pow(r.arch().resolution() - m, 2);
            }
            double sd = Math.sqrt(v / rows.size());
            return of(space, terms, m, sd > 0 ? sd : 1);
        }

        static Features of(SearchSpace space, int terms, double resMean, double resStd) {
            ArchEncoding enc = new ArchEncoding(space);
            return new Features(enc.length() - space.resolutions().size(), enc.length(), terms, resMean, resStd);
        }

        int length() {
            return encodingLength + terms * blockLength + 2;
        }

        double[] compute(ArchEncoding enc, float[] buf, ArchConfig arch, long macs, double[] stats) {
            enc.encodeInto(arch, buf, 0);
            double[] f = new double[length()];
            for (int j = 0; j < encodingLength; j++) {
                f[j] = buf[j];
            }
            double z = (arch.resolution() - resMean) / resStd;
            double zp = 1;
            int at = encodingLength;
            for (int t = 0; t < terms; t++) {
                zp *= z;
                for (int j = 0; j < blockLength; j++) {
                    f[at++] = buf[j] * zp;
                }
            }
            f[at] = (macs / 1e6 - stats[0]) / stats[1];
            f[at + 1] = (Math.log(Math.max(1, macs)) - stats[2]) / stats[3];
            return f;
        }
    }

    /** {@inheritDoc} */
    @Override
    public double[] predict(List<ArchConfig> archs) {
        double[] out = new double[archs.size()];
        float[] buf = new float[encoding.length()];
        double[] stats = {macsMean, macsStd, logMacsMean, logMacsStd};
        for (int i = 0; i < out.length; i++) {
            ArchConfig a = archs.get(i);
            double[] f = features.compute(encoding, buf, a, cost.macs(a), stats);
            double s = intercept;
            for (int j = 0; j < f.length; j++) {
                s += weights[j] * f[j];
            }
            out[i] = Math.min(1, Math.max(0, s));
        }
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "ridge";
    }

    // ------------------------------------------------------------------ files

    /**
     * A ridge predictor as stored ({@code ridge.predictor}): the format name and version, the
     * space, λ, the intercept, the MACs and log-MACs standardisation {@code [mean, sd, log mean, log
     * sd]}, the resolution terms with the resolution standardisation {@code [mean, sd]} (absent in
     * version 1, which has none), and one weight per feature.
     *
     * @param format {@link #FORMAT}
     * @param version 1 or {@link #FORMAT_VERSION}
     * @param space the search space
     * @param lambda the regularisation strength chosen
     * @param intercept the intercept, accuracy fraction
     * @param macsStats mean and sd of MACs (millions), then of log MACs
     * @param resolutionTerms powers of the standardised resolution, 0-4 (null in version 1)
     * @param resolutionStats mean and sd of the resolution (null in version 1)
     * @param weights one per feature
     */
    record Stored(
            String format,
            int version,
            @JsonAdapter(SpaceJson.Adapter.class) SearchSpace space,
            double lambda,
            double intercept,
            double[] macsStats,
            Integer resolutionTerms,
            double[] resolutionStats,
            double[] weights) {

        /** Checks the header and the shapes and ranges of the figures. */
        Stored {
            JsonBindings.checkFormat(FORMAT, format, version, 1, FORMAT_VERSION);
            JsonFiles.required(space, "space");
            JsonFiles.required(weights, "weights");
            if (JsonFiles.required(macsStats, "macs_stats").length != 4) {
                throw new IllegalArgumentException("'macs_stats' needs 4 values, found " + macsStats.length);
            }
            if (version >= 2) {
                JsonFiles.required(resolutionTerms, "resolution_terms");
                JsonFiles.required(resolutionStats, "resolution_stats");
                if (resolutionTerms < 0 || resolutionTerms > 4 || resolutionStats.length != 2 || !(resolutionStats[1] > 0)) {
                    throw new IllegalArgumentException("'resolution_terms' must be 0-4 and 'resolution_stats' [mean, std > 0],"
                            + " found " + resolutionTerms + " and " + Arrays.toString(resolutionStats));
                }
            }
            for (double x : weights) {
                if (!Double.isFinite(x)) {
                    throw new IllegalArgumentException("'weights' must be finite, found " + x);
                }
            }
        }

        static Stored of(RidgeAccuracyPredictor p) {
            Features f = p.features;
            return new Stored(FORMAT, FORMAT_VERSION, p.space, p.lambda, p.intercept,
                    new double[] {p.macsMean, p.macsStd, p.logMacsMean, p.logMacsStd}, f.terms(),
                    new double[] {f.resMean(), f.resStd()}, p.weights);
        }

        RidgeAccuracyPredictor predictor() {
            Features f = version == 1 ? Features.of(space, 0, 0, 1)
                    : Features.of(space, resolutionTerms, resolutionStats[0], resolutionStats[1]);
            return new RidgeAccuracyPredictor(space, weights, intercept, lambda, macsStats, f);
        }
    }

    /**
     * Saves the predictor as JSON, atomically.
     *
     * @param file the target
     * @throws IOException if writing fails
     */
    public void save(Path file) throws IOException {
        JsonFiles.write(file, Stored.of(this));
    }

    /**
     * Loads a predictor saved by {@link #save(Path)}, or a version 1 file.
     *
     * @param file the file
     * @return the predictor
     * @throws IOException if the file is missing, not this format or version, or corrupt (naming
     *     the file, the format version and the problem)
     */
    public static RidgeAccuracyPredictor load(Path file) throws IOException {
        String what = "ridge predictor (format " + FORMAT + " v" + FORMAT_VERSION + ") ";
        try {
            return JsonFiles.read(file, Stored.class).predictor();
        } catch (IOException e) {
            throw new IOException(what + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IOException(what + file + ": " + e.getMessage(), e);
        }
    }
}
