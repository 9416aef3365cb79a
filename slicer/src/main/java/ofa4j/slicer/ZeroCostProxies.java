package ofa4j.slicer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.CostModel;
import ofa4j.models.LayerSpec;
import ofa4j.models.Shuffle;
import ofa4j.models.Subnet;
import ofa4j.models.Tensor;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.Batches;
import ofa4j.supernet.data.ImageSet;
import ofa4j.supernet.fixed.FixedLayer;
import ofa4j.supernet.fixed.FixedNetwork;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * Zero-cost proxies of a subnet's accuracy, computed on the supernet's own weights without any
 * training or validation pass (Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", ICLR
 * 2021), next to the plain baselines params and MACs:
 *
 * <ul>
 *   <li><b>synflow</b> (Tanaka et al., "Pruning neural networks without any data by iteratively
 *       conserving synaptic flow", NeurIPS 2020): every weight and bias replaced by its absolute
 *       value, batch norm made the identity (as the zero-cost proxies' code builds the net without
 *       BN for it), an all-ones input; {@code R} = the sum of the logits; the score is {@code
 *       sum(dR/dW * W)} over the weights, reported as its log10.
 *   <li><b>naswot</b> (Mellor et al., "Neural Architecture Search without Training", ICML 2021): for
 *       a batch of {@code N} images, the binary code of each image is the sign pattern ({@code > 0})
 *       of every layer output (stem, every block, final expand after pooling, feature mix); {@code
 *       K[i][j]} = the number of units on which images i and j agree; the score is {@code log|det K|}.
 *       The paper reads ReLU units; here the blocks' outputs are the projections (linear) plus the
 *       residual, so these are the units of the network's layer boundaries.
 *   <li><b>grad_norm</b>: the sum over convolution and linear weights of the L2 norm of the gradient
 *       of the cross-entropy of one batch (training-mode BN, as the zero-cost code runs it).
 * </ul>
 *
 * <p>Each subnet is extracted with BN recalibrated ({@link Supernet#extractCalibrated}) on a fixed
 * set of training images (the naswot pass runs in evaluation mode), and every proxy reads the same
 * fixed batch of training images, so scores depend on the architecture alone. Every NDArray lives
 * in a manager closed before {@link #score} returns.
 */
public final class ZeroCostProxies {

    /** Proxy names, in the order of tables. */
    public static final List<String> NAMES = List.of("synflow", "naswot", "grad_norm", "params", "macs");

    /**
     * Proxies of one subnet.
     *
     * @param key arch key
     * @param synflow log10 of the synflow score
     * @param naswot log|det K| of the activation-pattern kernel
     * @param gradNorm sum of per-weight gradient L2 norms
     * @param params parameters
     * @param macs multiply-accumulates
     * @param ms wall time of the three computed proxies (extraction and calibration included), ms
     */
    public record Scores(String key, double synflow, double naswot, double gradNorm, long params, long macs, double ms) {

        /**
         * Returns one proxy by name.
         *
         * @param name a name of {@link #NAMES}
         * @return its value
         * @throws IllegalArgumentException naming an unknown proxy and the allowed ones
         */
        public double get(String name) {
            return switch (name) {
                case "synflow" -> synflow;
                case "naswot" -> naswot;
                case "grad_norm" -> gradNorm;
                case "params" -> params;
                case "macs" -> macs;
                default -> throw new IllegalArgumentException("unknown proxy '" + name + "'; allowed: "
                        + String.join(", ", NAMES));
            };
        }
    }

    private final Supernet supernet;
    private final ImageSet train;
    private final float[] mean;
    private final float[] std;
    private final int calibrationImages;
    private final long calibrationSeed;
    private final int[] batch;
    private final CostModel cost;

    /**
     * Creates the proxies.
     *
     * @param supernet the trained supernet (not closed here)
     * @param train training images (calibration and the proxies' batch)
     * @param mean per-channel input mean
     * @param std per-channel input standard deviation
     * @param batchSize images of the proxies' batch (e.g. 64; NASWOT's kernel is batch x batch)
     * @param calibrationImages BN recalibration images per subnet
     * @param seed picks the batch and the calibration images
     */
    public ZeroCostProxies(Supernet supernet, ImageSet train, float[] mean, float[] std, int batchSize,
            int calibrationImages, long seed) {
        if (batchSize < 2 || batchSize > train.size()) {
            throw new IllegalArgumentException("proxy batch must be in [2, " + train.size() + "] images, found " + batchSize);
        }
        if (calibrationImages < 1) {
            throw new IllegalArgumentException("calibration images must be >= 1, found " + calibrationImages);
        }
        this.supernet = supernet;
        this.train = train;
        this.mean = mean.clone();
        this.std = std.clone();
        this.calibrationImages = calibrationImages;
        this.calibrationSeed = seed;
        this.batch = Shuffle.sample(train.size(), batchSize, new SplittableRandom(seed ^ 0x5DEECE66DL));
        this.cost = new CostModel(supernet.space());
    }

    /**
     * Computes every proxy of a subnet.
     *
     * @param arch the subnet
     * @return its scores
     */
    public Scores score(ArchConfig arch) {
        long t0 = System.nanoTime();
        Subnet s = supernet.extractCalibrated(arch, train, calibrationImages, mean, std, calibrationSeed);
        double syn = synflow(s);
        double nw = naswot(s);
        double gn = gradNorm(s);
        CostModel.Cost c = cost.cost(arch);
        return new Scores(arch.key(), syn, nw, gn, c.params(), c.macs(), (System.nanoTime() - t0) / 1e6);
    }

    /** log10 of synflow: |weights|, identity BN, all-ones input, R = sum of logits, sum(dR/dW * W). */
    double synflow(Subnet s) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : s.tensors().entrySet()) {
            String n = e.getKey();
            Tensor v = e.getValue();
            float[] d = v.data().clone();
            if (n.endsWith(".gamma")) {
                java.util.Arrays.fill(d, 1f);
            } else if (n.endsWith(".beta") || n.endsWith(".mean")) {
                java.util.Arrays.fill(d, 0f);
            } else if (n.endsWith(".var")) {
                java.util.Arrays.fill(d, (float) (1 - s.bnEps()));
            } else {
                for (int i = 0; i < d.length; i++) {
                    d[i] = Math.abs(d[i]);
                }
            }
            t.put(n, new Tensor(v.shape(), d));
        }
        Subnet abs = new Subnet(s.space(), s.arch(), t, s.bnEps(), s.metadata());
        int r = s.arch().resolution();
        try (FixedNetwork net = new FixedNetwork(abs); NDManager scope = NDManager.newBaseManager()) {
            List<NDArray> ws = weights(net);
            NDArray x = scope.ones(new Shape(1, s.space().inChannels(), r, r));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray out = net.forward(scope, x);
                gc.backward(out.sum());
            }
            double sum = 0;
            for (NDArray w : ws) {
                try (NDManager m = scope.newSubManager()) {
                    NDArray g = w.getGradient();
                    NDArray prod = g.mul(w);
                    prod.attach(m);
                    sum += prod.toType(DataType.FLOAT64, false).sum().getDouble();
                }
            }
            return Math.log10(sum);
        }
    }

    private static List<NDArray> weights(FixedNetwork net) {
        List<NDArray> ws = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : net.arrays().entrySet()) {
            if (e.getKey().endsWith("weight")) {
                e.getValue().setRequiresGradient(true);
                ws.add(e.getValue());
            }
        }
        return ws;
    }

    /** Sum of the L2 norms of the weight gradients of the batch's cross-entropy, training-mode BN. */
    double gradNorm(Subnet s) {
        int r = s.arch().resolution();
        try (FixedNetwork net = new FixedNetwork(s); NDManager scope = NDManager.newBaseManager()) {
            List<NDArray> ws = weights(net);
            NDArray x = Batches.images(scope, train, batch, r, mean, std);
            NDArray onehot = Batches.labels(scope, train, batch).oneHot(s.space().numClasses());
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = net.forward(scope, x, true);
                NDArray loss = logits.logSoftmax(1).mul(onehot).sum(new int[] {1}).neg().mean();
                gc.backward(loss);
            }
            double sum = 0;
            for (NDArray w : ws) {
                try (NDManager m = scope.newSubManager()) {
                    NDArray g = w.getGradient();
                    NDArray n = g.square().sum();
                    n.attach(m);
                    sum += Math.sqrt(n.getFloat());
                }
            }
            return sum;
        }
    }

    /** NASWOT: log|det K| of the sign patterns of every layer output but the logits. */
    double naswot(Subnet s) {
        int n = batch.length;
        double[][] k = new double[n][n];
        List<LayerSpec> layers = s.layers();
        try (NDManager scope = NDManager.newBaseManager()) {
            NDArray y = Batches.images(scope, train, batch, s.arch().resolution(), mean, std);
            for (int li = 0; li < layers.size(); li++) {
                LayerSpec l = layers.get(li);
                try (FixedLayer layer = new FixedLayer(l, s.tensors())) {
                    NDArray in = li == 0 ? layer.prepare(scope, y) : y;
                    y = layer.forward(scope, in);
                }
                if (l.kind() == LayerSpec.Kind.CLASSIFIER) {
                    break;
                }
                try (NDManager m = scope.newSubManager()) {
                    NDArray b = y.reshape(n, -1).gt(0).toType(DataType.FLOAT32, false);
                    b.attach(m);
                    NDArray nb = b.neg().add(1);
                    NDArray kk = b.matMul(b.transpose()).add(nb.matMul(nb.transpose()));
                    float[] v = kk.toFloatArray();
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            k[i][j] += v[i * n + j];
                        }
                    }
                }
            }
        }
        return logAbsDet(k);
    }

    /** log|det| through an LU decomposition (sum of the logs of |U_ii|); -infinity when singular. */
    static double logAbsDet(double[][] k) {
        RealMatrix m = new Array2DRowRealMatrix(k, true);
        LUDecomposition lu = new LUDecomposition(m, 0);
        if (lu.getDeterminant() == 0) {
            return Double.NEGATIVE_INFINITY; // a zero pivot: singular (e.g. two images with the same codes)
        }
        RealMatrix u = lu.getU();
        double s = 0;
        for (int i = 0; i < k.length; i++) {
            double d = Math.abs(u.getEntry(i, i));
            if (!(d > 0)) {
                return Double.NEGATIVE_INFINITY;
            }
            s += Math.log(d);
        }
        return s;
    }
}
