package ofa4j.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Shuffle;
import ofa4j.models.SpaceJson;
import ofa4j.models.Subnet;
import ofa4j.models.Tensor;
import ofa4j.models.TensorFiles;
import ofa4j.supernet.data.Batches;
import ofa4j.supernet.data.ImageSet;
import ofa4j.supernet.elastic.OfaMobileNetV3;
import ofa4j.supernet.elastic.Weights;
import ofa4j.supernet.ops.BnStatistics;
import ofa4j.supernet.ops.Ctx;
import ofa4j.supernet.ops.Fn;

/**
 * The once-for-all weight-sharing supernet (Cai et al., "Once-for-All: Train One Network and
 * Specialize it for Efficient Deployment", ICLR 2020) of a {@link SearchSpace}: every subnet of
 * the space runs on slices of one set of weights. It owns its parameters (in {@link #manager()});
 * callers own every array of a forward through the scope manager they pass.
 *
 * <p>Typical use: {@code create}, train with {@link #forward} + the gradients of {@link
 * #usedParameters}, then {@link #extractCalibrated} a subnet and hand it to the exporter.
 */
public final class Supernet implements AutoCloseable {

    /** Images per forward of BN recalibration (OFA uses its data loader's batch). */
    public static final int DEFAULT_CALIBRATION_BATCH = 250;

    /** Images used for BN recalibration by default, as OFA's {@code set_running_statistics} (2000). */
    public static final int DEFAULT_CALIBRATION_IMAGES = 2000;

    private static final byte[] MAGIC = "OFA4JNET".getBytes(StandardCharsets.US_ASCII);
    private static final int FORMAT_VERSION = 1;
    /** Key of the array index in the parameter file's header. */
    private static final String INDEX_KEY = "arrays";

    private final SearchSpace space;
    private final NDManager manager;
    private final Weights weights;
    private final OfaMobileNetV3 net;
    private final long seed;

    private Supernet(SearchSpace space, long seed) {
        this.space = space;
        this.seed = seed;
        this.manager = NDManager.newBaseManager();
        boolean ok = false;
        try {
            this.weights = new Weights(manager, seed);
            this.net = new OfaMobileNetV3(space, weights);
            ok = true;
        } finally {
            if (!ok) {
                manager.close();
            }
        }
    }

    /**
     * Allocates all weights at their largest size and initialises them as OFA does: convs normal
     * with std sqrt(2 / (k^2 * out)) ("he_fout"), linear layers uniform +-1/sqrt(in) with zero bias,
     * BN gamma 1 and beta 0, running mean 0 and variance 1, kernel-transform matrices identity.
     *
     * @param space the search space
     * @param seed initialisation seed
     * @return the supernet; close it
     */
    public static Supernet create(SearchSpace space, long seed) {
        if (space == null) {
            throw new IllegalArgumentException("search space must not be null");
        }
        return new Supernet(space, seed);
    }

    /** @return the search space */
    public SearchSpace space() {
        return space;
    }

    /** @return the initialisation seed */
    public long seed() {
        return seed;
    }

    /** @return the manager that owns the parameters and running statistics */
    public NDManager manager() {
        return manager;
    }

    /** @return the elastic network (for inspection and benchmarks) */
    public OfaMobileNetV3 network() {
        return net;
    }

    /**
     * Runs the subnet {@code arch} on a batch.
     *
     * @param scope owner of every array the pass creates (close it after backward)
     * @param x images [N, inChannels, r, r] with r = {@code arch.resolution()}
     * @param arch a subnet of the space
     * @param training true: BN uses batch statistics and updates the running statistics of the
     *     channels used (PyTorch semantics, torch momentum 0.1); false: BN uses the running statistics
     * @return logits [N, numClasses], owned by {@code scope}
     * @throws IllegalArgumentException if {@code arch} is not in the space or {@code x} has the wrong
     *     shape (the message names the value)
     */
    public NDArray forward(NDManager scope, NDArray x, ArchConfig arch, boolean training) {
        return forward(scope, x, arch, training, Ctx.CHANNELS_LAST);
    }

    /**
     * {@link #forward(NDManager, NDArray, ArchConfig, boolean)} with a chosen memory format of the
     * feature maps (for speed comparisons; results agree up to float rounding).
     *
     * @param scope owner of every array the pass creates
     * @param x images [N, inChannels, r, r]
     * @param arch a subnet of the space
     * @param training BN mode
     * @param channelsLast NHWC memory order (default {@link Ctx#CHANNELS_LAST})
     * @return logits [N, numClasses]
     */
    public NDArray forward(NDManager scope, NDArray x, ArchConfig arch, boolean training, boolean channelsLast) {
        space.validate(arch);
        checkInput(space, x, arch.resolution());
        return net.forward(Ctx.of(scope, training, channelsLast), x, arch);
    }

    /**
     * Runs the subnet {@code arch} with gates on its paths, batch norm normalising with the batch's
     * own statistics and leaving the stored running statistics alone (a recalibration-style pass,
     * so that architecture search does not disturb the trained supernet).
     *
     * @param scope owner of every array the pass creates (close it after backward)
     * @param x images [N, inChannels, r, r]
     * @param arch a subnet of the space
     * @param gates the gates (see {@link PathGates})
     * @return logits [N, numClasses]
     * @throws IllegalArgumentException if {@code arch} is not in the space or {@code x} has the wrong shape
     */
    public NDArray forwardGated(NDManager scope, NDArray x, ArchConfig arch, PathGates gates) {
        space.validate(arch);
        checkInput(space, x, arch.resolution());
        return net.forward(Ctx.batchStatisticsWithGradients(scope, new ofa4j.supernet.ops.BnStatistics()), x, arch, gates);
    }

    static void checkInput(SearchSpace space, NDArray x, int r) {
        if (x == null) {
            throw new IllegalArgumentException("input must not be null");
        }
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != space.inChannels() || s.get(2) != r || s.get(3) != r || s.get(0) < 1) {
            throw new IllegalArgumentException(
                    "input must have shape [N, " + space.inChannels() + ", " + r + ", " + r + "] for resolution "
                            + r + ", found " + s);
        }
        if (x.getDataType() != ai.djl.ndarray.types.DataType.FLOAT32) {
            throw new IllegalArgumentException("input must be float32, found " + x.getDataType());
        }
    }

    /**
     * All trainable parameters by stable name, e.g. {@code blocks.3.dw.weight}, {@code
     * blocks.3.dw.ktrans.7to5}, {@code blocks.3.dw.bn.gamma}; running statistics are not included.
     * Block {@code i} is the block SLOT: 0 the first block, {@code 1 + stage * maxDepth + j}.
     *
     * @return unmodifiable map in a stable order
     */
    public Map<String, Parameter> trainableParameters() {
        return weights.trainable();
    }

    /**
     * The BN running statistics by name ({@code P.mean}, {@code P.var}).
     *
     * @return unmodifiable map
     */
    public Map<String, NDArray> runningStatistics() {
        return weights.buffers();
    }

    /**
     * Names of the trainable parameters a forward at {@code arch} touches; only these can receive
     * a gradient (kernel transforms only for kernels below the master, skipped blocks not at all).
     *
     * @param arch a subnet of the space
     * @return the names
     */
    public Set<String> usedParameters(ArchConfig arch) {
        space.validate(arch);
        return Collections.unmodifiableSet(net.usedNames(arch));
    }

    /**
     * Whether a parameter is exempt from weight decay: BN gamma/beta and biases (OFA's {@code
     * no_decay_keys = "bn#bias"}).
     *
     * @param paramName a name of {@link #trainableParameters()}
     * @return true for no decay
     * @throws IllegalArgumentException for an unknown name
     */
    public boolean isNoDecay(String paramName) {
        if (!weights.trainable().containsKey(paramName)) {
            throw new IllegalArgumentException("supernet has no trainable parameter '" + paramName + "'");
        }
        return paramName.contains(".bn.") || paramName.endsWith(".bias");
    }

    /**
     * Sorts the hidden channels (and SE units) of every elastic block by importance, descending,
     * so that narrower subnets keep the most important channels (OFA's {@code
     * re_organize_middle_weights}, called before each width-shrinking phase). Every subnet using
     * all hidden channels computes the same function before and after. Optimizer state kept per
     * parameter is NOT permuted.
     */
    public void sortChannels() {
        net.sortChannels();
    }

    /**
     * Extracts the standalone weights of {@code arch}: kernel transforms applied, tensors cut to
     * size, BN with the current running statistics.
     *
     * @param arch a subnet of the space
     * @return the subnet
     */
    public Subnet extract(ArchConfig arch) {
        space.validate(arch);
        return new Subnet(space, arch, net.extract(arch, null), Fn.BN_EPS, Map.of("source", "supernet"));
    }

    /**
     * BN recalibration (OFA's {@code set_running_statistics}) with {@link
     * #DEFAULT_CALIBRATION_BATCH} images per batch.
     *
     * @param arch a subnet of the space
     * @param images training images
     * @param numImages images used (OFA: 2000); all when the set is smaller
     * @param mean per-channel input mean
     * @param std per-channel input standard deviation
     * @param seed picks the random subset of images
     * @return the subnet with fresh statistics
     */
    public Subnet extractCalibrated(
            ArchConfig arch, ImageSet images, int numImages, float[] mean, float[] std, long seed) {
        return extractCalibrated(arch, images, numImages, mean, std, seed, DEFAULT_CALIBRATION_BATCH);
    }

    /**
     * BN recalibration (OFA's {@code set_running_statistics}): runs a random subset of {@code
     * numImages} images (chosen by {@code seed}) through {@code arch} at its resolution, every BN
     * normalising with its batch statistics, and sets each BN's mean and variance to the average of
     * its batch means and biased batch variances weighted by batch size. The supernet's stored
     * running statistics are not modified.
     *
     * @param arch a subnet of the space
     * @param images training images
     * @param numImages images used; all when the set is smaller
     * @param mean per-channel input mean
     * @param std per-channel input standard deviation
     * @param seed picks the subset
     * @param batchSize images per forward
     * @return the subnet with the new statistics
     * @throws IllegalArgumentException on channel mismatch or non-positive counts
     */
    public Subnet extractCalibrated(
            ArchConfig arch, ImageSet images, int numImages, float[] mean, float[] std, long seed, int batchSize) {
        space.validate(arch);
        checkImages(space, images, mean, std);
        if (numImages < 1) {
            throw new IllegalArgumentException("numImages must be >= 1, found " + numImages);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, found " + batchSize);
        }
        int n = Math.min(numImages, images.size());
        int[] order = calibrationOrder(images.size(), n, seed);
        BnStatistics stats = new BnStatistics();
        for (int start = 0; start < n; start += batchSize) {
            int[] idx = Arrays.copyOfRange(order, start, Math.min(n, start + batchSize));
            try (NDManager sub = manager.newSubManager()) {
                NDArray x = Batches.images(sub, images, idx, arch.resolution(), mean, std);
                net.forward(Ctx.calibration(sub, stats), x, arch);
            }
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("source", "supernet");
        meta.put("bn.calibration", n + " images of " + images.name() + ", seed " + seed);
        return new Subnet(space, arch, net.extract(arch, stats), Fn.BN_EPS, meta);
    }

    /** The images BN recalibration reads, in the order it reads them: {@code n} of {@code available}. */
    private static int[] calibrationOrder(int available, int n, long seed) {
        return Shuffle.sample(available, n, new SplittableRandom(seed));
    }

    /**
     * The only images {@link #extractCalibrated} reads for {@code (numImages, seed)}, arranged so
     * that {@code extractCalibrated(arch, subset, numImages, mean, std, seed)} runs the very batches,
     * in the same order, as {@code extractCalibrated(arch, images, numImages, mean, std, seed)}: the
     * same statistics, bit for bit. A worker that recalibrates many subnets with one seed (an
     * accuracy table) then needs these {@code min(numImages, images.size())} images, not the whole
     * training split.
     *
     * @param images training images
     * @param numImages images used by the calibration
     * @param seed the calibration seed
     * @return the arranged subset, named as {@code images}
     * @throws IllegalArgumentException if {@code numImages < 1}
     */
    public static ImageSet calibrationSubset(ImageSet images, int numImages, long seed) {
        if (numImages < 1) {
            throw new IllegalArgumentException("numImages must be >= 1, found " + numImages);
        }
        int n = Math.min(numImages, images.size());
        int[] picked = calibrationOrder(images.size(), n, seed);
        // On the subset the same seed draws a permutation of 0..n-1; put the j-th image read from the
        // full set where the subset's j-th draw will look for it.
        int[] drawn = calibrationOrder(n, n, seed);
        int[] at = new int[n];
        for (int j = 0; j < n; j++) {
            at[drawn[j]] = picked[j];
        }
        return images.subset(images.name(), at);
    }

    /**
     * Checks that images fit a space: the channel count, and one mean and std per channel.
     *
     * @param space the search space
     * @param images the images
     * @param mean per-channel input mean
     * @param std per-channel input standard deviation
     * @throws IllegalArgumentException naming the mismatch
     */
    static void checkImages(SearchSpace space, ImageSet images, float[] mean, float[] std) {
        if (images == null) {
            throw new IllegalArgumentException("image set must not be null");
        }
        if (images.channels() != space.inChannels()) {
            throw new IllegalArgumentException(
                    "image set " + images.name() + " has " + images.channels() + " channels, the space needs "
                            + space.inChannels());
        }
        if (mean == null || std == null || mean.length != images.channels() || std.length != images.channels()) {
            throw new IllegalArgumentException(
                    "mean and std must have " + images.channels() + " values, found "
                            + Arrays.toString(mean) + " / " + Arrays.toString(std));
        }
    }

    // ------------------------------------------------------------------ files

    private Map<String, NDArray> allArrays() {
        Map<String, NDArray> m = new LinkedHashMap<>();
        weights.trainable().forEach((k, p) -> m.put(k, p.getArray()));
        m.putAll(weights.buffers());
        return m;
    }

    /**
     * Saves every parameter and running statistic atomically as a {@link TensorFiles} file: magic
     * {@code OFA4JNET}, format version 1, a JSON header holding the space and, under {@code
     * arrays}, each array's name and shape, little-endian float32 data and a SHA-256 of all before it.
     *
     * @param file target
     * @throws IOException if writing fails (the previous file stays)
     */
    public void saveParameters(Path file) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        allArrays().forEach((name, a) -> tensors.put(name, new Tensor(intShape(a.getShape()), a.toFloatArray())));
        JsonObject header = new JsonObject();
        header.add("space", SpaceJson.toJson(space));
        TensorFiles.write(file, MAGIC, FORMAT_VERSION, header, INDEX_KEY, tensors);
    }

    private static int[] intShape(Shape s) {
        int[] d = new int[s.dimension()];
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.toIntExact(s.get(i));
        }
        return d;
    }

    /**
     * Reads and verifies a parameter file ({@code params.bin}, {@code teacher.bin}) without a
     * supernet to load it into: magic, version, SHA-256, every shape against the bytes there.
     *
     * @param file the file
     * @return its header (with the search space) and tensors
     * @throws IOException naming the file and what is wrong
     */
    public static TensorFiles.Contents readParameterFile(Path file) throws IOException {
        return TensorFiles.read(file, MAGIC, "ofa4j supernet parameter file", FORMAT_VERSION, FORMAT_VERSION, INDEX_KEY);
    }

    /**
     * Loads a file written by {@link #saveParameters(Path)} into this supernet (names and shapes
     * must match exactly). Nothing is changed unless the whole file is valid.
     *
     * @param file the file
     * @throws IOException if unreadable, corrupt, of another format version, or written for other
     *     shapes (the message names the file and the first mismatch)
     */
    public void loadParameters(Path file) throws IOException {
        TensorFiles.Contents c = readParameterFile(file);
        Map<String, NDArray> arrays = allArrays();
        for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
            String name = e.getKey();
            NDArray target = arrays.get(name);
            if (target == null) {
                throw new IOException(
                        file + " holds array '" + name + "' that supernet " + space.name() + " does not have"
                                + " (file written for space " + c.header().get("space") + ")");
            }
            if (!Arrays.equals(intShape(target.getShape()), e.getValue().shape())) {
                throw new IOException(
                        file + ": array '" + name + "' has shape " + Arrays.toString(e.getValue().shape())
                                + ", this supernet needs " + target.getShape());
            }
        }
        for (String name : arrays.keySet()) {
            if (!c.tensors().containsKey(name)) {
                throw new IOException(file + " lacks array '" + name + "' of shape " + arrays.get(name).getShape());
            }
        }
        c.tensors().forEach((name, t) -> Fn.assign(arrays.get(name), t.data()));
    }

    /**
     * Copies every parameter and running statistic of {@code other} (same space) into this one,
     * e.g. to make a frozen teacher.
     *
     * @param other the source
     * @throws IllegalArgumentException if the spaces differ
     */
    public void copyParametersFrom(Supernet other) {
        if (!other.space.equals(space)) {
            throw new IllegalArgumentException(
                    "cannot copy parameters of space " + other.space.describe() + " into " + space.describe());
        }
        Map<String, NDArray> src = other.allArrays();
        allArrays().forEach((name, a) -> Fn.assign(a, src.get(name).toFloatArray()));
    }

    /** @return a multi-line description of the block slots */
    public String describe() {
        return net.describe();
    }

    /** Frees every parameter. */
    @Override
    public void close() {
        manager.close();
    }
}
