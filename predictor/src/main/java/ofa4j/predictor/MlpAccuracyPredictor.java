package ofa4j.predictor;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import com.google.gson.annotations.JsonAdapter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import ofa4j.models.ArchConfig;
import ofa4j.models.ArchEncoding;
import ofa4j.models.JsonFiles;
import ofa4j.models.SearchSpace;
import ofa4j.models.Shuffle;
import ofa4j.models.SpaceJson;
import ofa4j.models.Tensor;
import ofa4j.models.TensorFiles;

/**
 * OFA's accuracy predictor (Cai et al., ICLR 2020, section 3.3 and {@code AccuracyPredictor} in the
 * reference code): an MLP on the one-hot {@link ArchEncoding} with {@code layers} hidden layers of
 * {@code hidden} ReLU units (OFA: 3 x 400) and one linear output whose bias starts at the mean
 * training accuracy, trained with Adam on the mean squared error, on DJL.
 *
 * <p>Prediction encodes all subnets into one float array and runs one forward pass. The weights
 * live in an {@link NDManager} owned by this object: {@link #close()} releases them.
 */
public final class MlpAccuracyPredictor implements AccuracyPredictor, AutoCloseable {

    /** File magic. */
    private static final byte[] MAGIC = "OFA4JMLP".getBytes(StandardCharsets.US_ASCII);

    /** File format version: 2 is the {@link TensorFiles} layout; version 1 files are still read. */
    public static final int FORMAT_VERSION = 2;

    private final SearchSpace space;
    private final ArchEncoding encoding;
    private final int hidden;
    private final int layers;
    private final NDManager manager;
    /** W0, b0, W1, b1, ..., Wout, bout; W is [in, out], inference copies without gradients. */
    private final List<NDArray> params;
    private final float[][] values;

    /**
     * Training settings.
     *
     * @param hidden units per hidden layer (OFA: 400)
     * @param layers hidden layers (OFA: 3)
     * @param epochs passes over the training rows
     * @param batchSize rows per Adam step
     * @param learningRate Adam learning rate (constant)
     * @param weightDecay L2 weight decay of Adam (coupled, DJL's), 0 = none
     * @param seed seed of initialisation and shuffling
     */
    public record Config(
            int hidden, int layers, int epochs, int batchSize, float learningRate, float weightDecay, long seed) {
        /** Checks ranges. */
        public Config {
            if (hidden < 1 || layers < 1 || epochs < 1 || batchSize < 1 || !(learningRate > 0) || !(weightDecay >= 0)) {
                throw new IllegalArgumentException(
                        "MLP config needs hidden, layers, epochs, batchSize >= 1, learningRate > 0 and weightDecay >= 0,"
                                + " found " + hidden + ", " + layers + ", " + epochs + ", " + batchSize + ", "
                                + learningRate + ", " + weightDecay);
            }
        }

        /**
         * OFA's shape (3 x 400), Adam lr 1e-3, batch 128, 300 epochs, weight decay 1e-5.
         *
         * <p>Why weight decay: 1.2 M weights memorise a few hundred rows without it; 1e-5 with 300
         * epochs ranked real tables best in cross-validation (see docs/experiments.md).
         *
         * @param seed the seed
         * @return the defaults
         */
        public static Config defaults(long seed) {
            return new Config(400, 3, 300, 128, 1e-3f, 1e-5f, seed);
        }

        /**
         * @param e epochs
         * @return a copy with {@code e} epochs
         */
        public Config withEpochs(int e) {
            return new Config(hidden, layers, e, batchSize, learningRate, weightDecay, seed);
        }
    }

    private MlpAccuracyPredictor(SearchSpace space, int hidden, int layers, float[][] values) {
        this.space = space;
        this.encoding = new ArchEncoding(space);
        this.hidden = hidden;
        this.layers = layers;
        this.values = values;
        int[][] shapes = shapes(encoding.length(), hidden, layers);
        if (values.length != shapes.length) {
            throw new IllegalArgumentException(
                    "MLP needs " + shapes.length + " parameter arrays, found " + values.length);
        }
        this.manager = NDManager.newBaseManager();
        List<NDArray> p = new ArrayList<>();
        try {
            for (int i = 0; i < shapes.length; i++) {
                long n = (long) shapes[i][0] * shapes[i][1];
                if (values[i].length != n) {
                    throw new IllegalArgumentException(
                            "MLP parameter " + i + " needs " + n + " values, found " + values[i].length);
                }
                p.add(manager.create(values[i], new Shape(shapes[i][0], shapes[i][1])));
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        this.params = List.copyOf(p);
    }

    /** Shapes of W0, b0, ..., Wout, bout (biases as [1, out]). */
    private static int[][] shapes(int in, int hidden, int layers) {
        int[][] s = new int[2 * (layers + 1)][];
        int prev = in;
        for (int l = 0; l < layers; l++) {
            s[2 * l] = new int[] {prev, hidden};
            s[2 * l + 1] = new int[] {1, hidden};
            prev = hidden;
        }
        s[2 * layers] = new int[] {prev, 1};
        s[2 * layers + 1] = new int[] {1, 1};
        return s;
    }

    /**
     * Trains the MLP on the samples.
     *
     * @param space the samples' space
     * @param rows training samples (at least 2)
     * @param cfg settings
     * @return the trained predictor (close it)
     */
    public static MlpAccuracyPredictor train(SearchSpace space, List<AccuracySample> rows, Config cfg) {
        if (rows.size() < 2) {
            throw new IllegalArgumentException("MLP predictor needs at least 2 samples, found " + rows.size());
        }
        ArchEncoding enc = new ArchEncoding(space);
        int in = enc.length();
        int n = rows.size();
        float[] x = new float[n * in];
        float[] y = new float[n];
        double mean = 0;
        for (int i = 0; i < n; i++) {
            enc.encodeInto(rows.get(i).arch(), x, i * in);
            y[i] = (float) rows.get(i).accuracy();
            mean += y[i];
        }
        mean /= n;
        int[][] shapes = shapes(in, cfg.hidden(), cfg.layers());
        SplittableRandom rng = new SplittableRandom(cfg.seed());
        float[][] init = new float[shapes.length][];
        for (int i = 0; i < shapes.length; i++) {
            int fanIn = shapes[i - (i % 2)][0];
            // PyTorch's nn.Linear default: U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for weight and bias
            double bound = 1 / Math.sqrt(fanIn);
            init[i] = new float[shapes[i][0] * shapes[i][1]];
            for (int j = 0; j < init[i].length; j++) {
                init[i][j] = (float) ((rng.nextDouble() * 2 - 1) * bound);
            }
        }
        // OFA: the output starts at the mean accuracy (its base_acc)
        init[shapes.length - 1][0] = (float) mean;
        float[][] trained = trainLoop(init, shapes, x, y, in, cfg, rng);
        return new MlpAccuracyPredictor(space, cfg.hidden(), cfg.layers(), trained);
    }

    private static float[][] trainLoop(
            float[][] init, int[][] shapes, float[] x, float[] y, int in, Config cfg, SplittableRandom rng) {
        int n = y.length;
        Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(cfg.learningRate()))
                .optWeightDecays(cfg.weightDecay()).build();
        try (NDManager model = NDManager.newBaseManager()) {
            List<NDArray> p = new ArrayList<>();
            for (int i = 0; i < shapes.length; i++) {
                NDArray a = model.create(init[i], new Shape(shapes[i][0], shapes[i][1]));
                a.setRequiresGradient(true);
                p.add(a);
            }
            int[] order = new int[n];
            Arrays.setAll(order, i -> i);
            int bs = Math.min(cfg.batchSize(), n);
            for (int epoch = 0; epoch < cfg.epochs(); epoch++) {
                Shuffle.shuffle(order, rng);
                for (int start = 0; start < n; start += bs) {
                    int b = Math.min(bs, n - start);
                    float[] xb = new float[b * in];
                    float[] yb = new float[b];
                    for (int r = 0; r < b; r++) {
                        int src = order[start + r];
                        System.arraycopy(x, src * in, xb, r * in, in);
                        yb[r] = y[src];
                    }
                    try (NDManager step = model.newSubManager()) {
                        NDArray xs = step.create(xb, new Shape(b, in));
                        NDArray ys = step.create(yb, new Shape(b, 1));
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray pred = forward(xs, p);
                            // MSE without boxed scalars (DJL.md pitfall 1): square, then mean
                            NDArray loss = pred.sub(ys).square().mean();
                            gc.backward(loss);
                        }
                        for (int i = 0; i < p.size(); i++) {
                            NDArray w = p.get(i);
                            try (NDArray g = w.getGradient()) {
                                adam.update("p" + i, w, g);
                            }
                        }
                    }
                }
            }
            float[][] out = new float[p.size()][];
            for (int i = 0; i < p.size(); i++) {
                out[i] = p.get(i).toFloatArray();
            }
            return out;
        }
    }

    /** Forward pass; every result belongs to the manager of {@code x} (the first operand). */
    private static NDArray forward(NDArray x, List<NDArray> p) {
        NDArray h = x;
        int layers = p.size() / 2 - 1;
        for (int l = 0; l < layers; l++) {
            h = h.matMul(p.get(2 * l)).add(p.get(2 * l + 1));
            h = ai.djl.nn.Activation.relu(h);
        }
        return h.matMul(p.get(2 * layers)).add(p.get(2 * layers + 1));
    }

    /** {@inheritDoc} */
    @Override
    public double[] predict(List<ArchConfig> archs) {
        int n = archs.size();
        if (n == 0) {
            return new double[0];
        }
        int in = encoding.length();
        float[] x = new float[n * in];
        for (int i = 0; i < n; i++) {
            encoding.encodeInto(archs.get(i), x, i * in);
        }
        return predictEncoded(x, n);
    }

    /**
     * Predicts from encodings already laid out row after row (the fast path for large batches).
     *
     * @param encoded {@code n * encodingLength()} values
     * @param n number of rows
     * @return predicted accuracies, clipped to [0, 1]
     */
    public double[] predictEncoded(float[] encoded, int n) {
        int in = encoding.length();
        if (encoded.length != (long) n * in) {
            throw new IllegalArgumentException(
                    "encoded batch of " + n + " rows needs " + (long) n * in + " values, found " + encoded.length);
        }
        float[] out;
        try (NDManager m = manager.newSubManager()) {
            NDArray xs = m.create(encoded, new Shape(n, in));
            out = forward(xs, params).toFloatArray();
        }
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = Math.min(1, Math.max(0, out[i]));
        }
        return r;
    }

    /** @return the encoder used for inputs */
    public ArchEncoding encoding() {
        return encoding;
    }

    /** @return the search space */
    public SearchSpace space() {
        return space;
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "mlp";
    }

    // ------------------------------------------------------------------ files

    /**
     * The JSON header of an MLP predictor file: the space (which fixes the encoding) and the shape
     * of the network. The tensor index follows it under {@code tensors}.
     *
     * @param space the search space
     * @param input encoding length, the input width
     * @param hidden units per hidden layer
     * @param layers hidden layers
     */
    record Header(@JsonAdapter(SpaceJson.Adapter.class) SearchSpace space, int input, int hidden, int layers) {

        /** Checks that the parts are there and the sizes positive. */
        Header {
            JsonFiles.required(space, "space");
            if (input < 1 || hidden < 1 || layers < 1) {
                throw new IllegalArgumentException("'input', 'hidden' and 'layers' must be >= 1, found " + input + ", "
                        + hidden + " and " + layers);
            }
        }
    }

    /** Tensor names in file order: hidden0.weight, hidden0.bias, ..., out.weight, out.bias. */
    private static List<String> tensorNames(int layers) {
        List<String> names = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            names.add("hidden" + l + ".weight");
            names.add("hidden" + l + ".bias");
        }
        names.add("out.weight");
        names.add("out.bias");
        return names;
    }

    /**
     * Saves the weights atomically as a {@link TensorFiles} file (magic {@code OFA4JMLP}, version
     * {@link #FORMAT_VERSION}): a {@link Header} and the weights {@code [in, out]} and biases {@code
     * [1, out]} of each layer, under a SHA-256.
     *
     * @param file the target
     * @throws IOException if writing fails
     */
    public void save(Path file) throws IOException {
        Header h = new Header(space, encoding.length(), hidden, layers);
        int[][] shapes = shapes(encoding.length(), hidden, layers);
        List<String> names = tensorNames(layers);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < shapes.length; i++) {
            tensors.put(names.get(i), new Tensor(shapes[i], values[i]));
        }
        TensorFiles.write(file, MAGIC, FORMAT_VERSION, JsonFiles.GSON.toJsonTree(h).getAsJsonObject(), "tensors",
                tensors);
    }

    /**
     * Loads a predictor written by {@link #save(Path)}, or by the version 1 layout (big-endian
     * sizes, per-array lengths, CRC32 trailer).
     *
     * @param file the file
     * @return the predictor (close it)
     * @throws IOException if the file is missing, of another format or version, truncated or its
     *     checksum does not match (naming the file)
     */
    public static MlpAccuracyPredictor load(Path file) throws IOException {
        String where = "MLP predictor file " + file + " (format OFA4JMLP v" + FORMAT_VERSION + "): ";
        byte[] head;
        try (var in = Files.newInputStream(file)) {
            head = in.readNBytes(MAGIC.length + 4);
        }
        if (head.length == MAGIC.length + 4 && Arrays.equals(Arrays.copyOf(head, MAGIC.length), MAGIC)
                && ByteBuffer.wrap(head, MAGIC.length, 4).getInt() == 1) {
            return loadVersion1(file);
        }
        TensorFiles.Contents c = TensorFiles.read(file, MAGIC, "ofa4j MLP predictor file", FORMAT_VERSION,
                FORMAT_VERSION, "tensors");
        Header h;
        try {
            h = JsonFiles.GSON.fromJson(c.header(), Header.class);
        } catch (RuntimeException e) {
            throw new IOException(where + "bad header: " + JsonFiles.rootMessage(e), e);
        }
        List<String> names = tensorNames(h.layers());
        int[][] shapes = shapes(h.input(), h.hidden(), h.layers());
        if (!c.tensors().keySet().equals(new java.util.HashSet<>(names))) {
            throw new IOException(where + "holds tensors " + c.tensors().keySet() + ", expected " + names);
        }
        float[][] v = new float[names.size()][];
        for (int i = 0; i < v.length; i++) {
            Tensor t = c.tensors().get(names.get(i));
            if (!Arrays.equals(t.shape(), shapes[i])) {
                throw new IOException(where + "tensor '" + names.get(i) + "' has shape " + Arrays.toString(t.shape())
                        + ", expected " + Arrays.toString(shapes[i]));
            }
            v[i] = t.data();
        }
        return create(where, h, v);
    }

    /** Checks the input width against the space, then builds the predictor. */
    private static MlpAccuracyPredictor create(String where, Header h, float[][] v) throws IOException {
        if (new ArchEncoding(h.space()).length() != h.input()) {
            throw new IOException(where + "input size " + h.input() + " does not match space " + h.space().name());
        }
        try {
            return new MlpAccuracyPredictor(h.space(), h.hidden(), h.layers(), v);
        } catch (IllegalArgumentException e) {
            throw new IOException(where + e.getMessage(), e);
        }
    }

    /**
     * Reads the version 1 layout: magic, big-endian version and header length, the JSON {@link
     * Header}, a big-endian array count, each array as a big-endian length and little-endian floats,
     * then a big-endian CRC32 of everything before it.
     */
    private static MlpAccuracyPredictor loadVersion1(Path file) throws IOException {
        String where = "MLP predictor file " + file + " (format OFA4JMLP v1): ";
        byte[] all = Files.readAllBytes(file);
        if (all.length < MAGIC.length + 16) {
            throw new IOException(where + "not an MLP predictor file (too short, " + all.length + " bytes)");
        }
        CRC32 crc = new CRC32();
        crc.update(all, 0, all.length - 8);
        long stored = ByteBuffer.wrap(all, all.length - 8, 8).getLong();
        if (stored != crc.getValue()) {
            throw new IOException(where + "checksum mismatch (file corrupt or truncated)");
        }
        ByteBuffer bb = ByteBuffer.wrap(all, 0, all.length - 8);
        bb.position(MAGIC.length + 4);
        Header h;
        float[][] v;
        try {
            byte[] header = new byte[bb.getInt()];
            bb.get(header);
            h = JsonFiles.parse(new String(header, StandardCharsets.UTF_8), Header.class, where + "header");
            int count = bb.getInt();
            if (count < 0 || count > 1000) {
                throw new IOException(where + "bad parameter count " + count);
            }
            v = new float[count][];
            for (int i = 0; i < count; i++) {
                int len = bb.getInt();
                if (len < 0 || (long) len * 4 > bb.remaining()) {
                    throw new IOException(where + "parameter " + i + " length " + len + " exceeds the file");
                }
                v[i] = new float[len];
                bb.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v[i]);
                bb.position(bb.position() + len * 4);
            }
        } catch (RuntimeException e) {
            throw new IOException(where + "corrupt: " + e, e);
        }
        return create(where, h, v);
    }

    /** Releases the weights. */
    @Override
    public void close() {
        manager.close();
    }
}
