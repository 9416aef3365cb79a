package ofa4j.predictor;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import ofa4j.models.ArchConfig;
import ofa4j.models.ArchEncoding;
import ofa4j.models.AtomicFiles;
import ofa4j.models.CostModel;
import ofa4j.models.SearchSpace;
import ofa4j.models.SpaceJson;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;

/**
 * Ridge regression on OFA's one-hot {@link ArchEncoding} plus the subnet's MACs (millions) and
 * log-MACs, solved in closed form with Commons Math: {@code w = (XcᵀXc + λI)⁻¹ Xcᵀ yc} on centred
 * features and targets (the intercept is not penalised), by Cholesky decomposition. λ is chosen
 * from {@link #LAMBDAS} by the RMSE on a seeded 20% validation part of the fitting rows, then the
 * model is refitted on all of them. Predictions are clipped to [0, 1].
 *
 * <p>A deliberately different model from {@link MlpAccuracyPredictor}: linear, no engine, fitted
 * in milliseconds; a baseline the MLP must beat.
 */
public final class RidgeAccuracyPredictor implements AccuracyPredictor {

    /** File format name written in the JSON. */
    public static final String FORMAT = "ofa4j-ridge-accuracy-predictor";

    /** File format version. */
    public static final int FORMAT_VERSION = 1;

    /** Regularisation strengths tried, on features that are 0/1 or standardised. */
    public static final double[] LAMBDAS = {1e-3, 1e-2, 0.1, 0.3, 1, 3, 10, 30, 100, 1000};

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

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

    private RidgeAccuracyPredictor(
            SearchSpace space, double[] weights, double intercept, double lambda, double[] macsStats) {
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
        int want = encoding.length() + 2;
        if (weights.length != want) {
            throw new IllegalArgumentException(
                    "ridge predictor for space " + space.name() + " needs " + want + " weights, found " + weights.length);
        }
    }

    /** @return the number of features: encoding length + 2 (MACs, log MACs) */
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
        if (rows.size() < 10) {
            throw new IllegalArgumentException("ridge predictor needs at least 10 samples, found " + rows.size());
        }
        double[] stats = macsStats(rows);
        List<List<AccuracySample>> parts = PredictorQuality.split(rows, 0.2, seed);
        double best = Double.POSITIVE_INFINITY;
        double bestLambda = LAMBDAS[0];
        for (double l : LAMBDAS) {
            RidgeAccuracyPredictor p = fitWith(space, parts.get(0), l, stats);
            double rmse = PredictorQuality.evaluate(p, parts.get(1)).rmsePoints();
            if (rmse < best) {
                best = rmse;
                bestLambda = l;
            }
        }
        return fitWith(space, rows, bestLambda, stats);
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
        return fitWith(space, rows, lambda, macsStats(rows));
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
            SearchSpace space, List<AccuracySample> rows, double lambda, double[] stats) {
        if (!(lambda > 0)) {
            throw new IllegalArgumentException("ridge lambda must be > 0, found " + lambda);
        }
        ArchEncoding enc = new ArchEncoding(space);
        int d = enc.length() + 2;
        int n = rows.size();
        double[][] x = new double[n][];
        double[] y = new double[n];
        double[] colMean = new double[d];
        double yMean = 0;
        float[] buf = new float[enc.length()];
        for (int i = 0; i < n; i++) {
            AccuracySample r = rows.get(i);
            x[i] = features(enc, buf, r.arch(), r.macs(), stats);
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
        return new RidgeAccuracyPredictor(space, weights, b, lambda, stats);
    }

    private static double[] features(ArchEncoding enc, float[] buf, ArchConfig arch, long macs, double[] stats) {
        enc.encodeInto(arch, buf, 0);
        double[] f = new double[buf.length + 2];
        for (int j = 0; j < buf.length; j++) {
            f[j] = buf[j];
        }
        f[buf.length] = (macs / 1e6 - stats[0]) / stats[1];
        f[buf.length + 1] = (Math.log(Math.max(1, macs)) - stats[2]) / stats[3];
        return f;
    }

    /** {@inheritDoc} */
    @Override
    public double[] predict(List<ArchConfig> archs) {
        double[] out = new double[archs.size()];
        float[] buf = new float[encoding.length()];
        double[] stats = {macsMean, macsStd, logMacsMean, logMacsStd};
        for (int i = 0; i < out.length; i++) {
            ArchConfig a = archs.get(i);
            double[] f = features(encoding, buf, a, cost.macs(a), stats);
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

    /**
     * Saves the predictor as JSON, atomically.
     *
     * @param file the target
     * @throws IOException if writing fails
     */
    public void save(Path file) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("format", FORMAT);
        o.addProperty("version", FORMAT_VERSION);
        o.add("space", SpaceJson.toJson(space));
        o.addProperty("lambda", lambda);
        o.addProperty("intercept", intercept);
        JsonArray st = new JsonArray();
        for (double v : new double[] {macsMean, macsStd, logMacsMean, logMacsStd}) {
            st.add(v);
        }
        o.add("macs_stats", st);
        JsonArray w = new JsonArray();
        for (double v : weights) {
            w.add(v);
        }
        o.add("weights", w);
        AtomicFiles.writeString(file, GSON.toJson(o) + "\n");
    }

    /**
     * Loads a predictor saved by {@link #save(Path)}.
     *
     * @param file the file
     * @return the predictor
     * @throws IOException if the file is missing, not this format or version, or corrupt (naming
     *     the file and the problem)
     */
    public static RidgeAccuracyPredictor load(Path file) throws IOException {
        String where = "ridge predictor file " + file + " (format " + FORMAT + " v" + FORMAT_VERSION + "): ";
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IOException(where + "not UTF-8 text", e);
        }
        try {
            JsonObject o = FormatHeader.read(text, where, FORMAT, FORMAT_VERSION);
            SearchSpace space = SpaceJson.fromJson(o.getAsJsonObject("space"));
            double[] w = doubles(o.getAsJsonArray("weights"));
            double[] st = doubles(o.getAsJsonArray("macs_stats"));
            if (st.length != 4) {
                throw new IOException(where + "macs_stats needs 4 values, found " + st.length);
            }
            for (double x : w) {
                if (!Double.isFinite(x)) {
                    throw new IOException(where + "non-finite weight " + x);
                }
            }
            return new RidgeAccuracyPredictor(
                    space, w, o.get("intercept").getAsDouble(), o.get("lambda").getAsDouble(), st);
        } catch (JsonParseException | IllegalStateException | IllegalArgumentException
                | UnsupportedOperationException | NullPointerException | ClassCastException ex) {
            throw new IOException(where + "corrupt: " + ex.getMessage(), ex);
        }
    }

    private static double[] doubles(JsonArray a) {
        List<Double> l = new ArrayList<>();
        for (JsonElement e : a) {
            l.add(e.getAsDouble());
        }
        return l.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
