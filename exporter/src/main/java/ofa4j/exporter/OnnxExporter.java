package ofa4j.exporter;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.SplittableRandom;
import ofa4j.exporter.onnx.GraphProto;
import ofa4j.exporter.onnx.ModelProto;
import ofa4j.exporter.onnx.OperatorSetIdProto;
import ofa4j.exporter.onnx.StringStringEntryProto;
import ofa4j.models.AtomicFiles;
import ofa4j.models.LayerSpec;
import ofa4j.models.SpaceJson;
import ofa4j.models.Subnet;
import ofa4j.models.Tensor;

/**
 * Writes a {@link Subnet} of the OFA MobileNetV3 family as an ONNX model, and single layers as
 * tiny ONNX models for latency profiling.
 *
 * <p>The graph follows {@link Subnet#layers()}: stem conv, inverted-residual blocks (1x1 expand,
 * depthwise conv, squeeze-excite with {@code HardSigmoid(alpha = 1/6, beta = 0.5)}, 1x1 project,
 * residual {@code Add}), final 1x1 expand, {@code GlobalAveragePool}, {@code Flatten}, the
 * feature-mix {@code Gemm} (no bias) with h-swish, and the classifier {@code Gemm} with bias. Batch
 * norm is folded into the preceding conv in double precision. The model has IR version {@link
 * #IR_VERSION} and imports the default-domain opset {@link #OPSET}: accepted by ONNX Runtime 1.23 and
 * fully checkable by onnx 1.12's checker. Input {@value #INPUT_NAME} is {@code [N, C, r, r]} float32
 * with a symbolic batch {@code N}; output {@value #OUTPUT_NAME} is {@code [N, classes]} (logits,
 * no softmax).
 *
 * <p>{@code metadata_props} carry the architecture ({@value #META_ARCH}, {@value #META_ARCH_KEY}),
 * the search space ({@value #META_SPACE}, {@value #META_SPACE_JSON}), the input resolution, every
 * entry of {@link Subnet#metadata()} (checkpoint checksum, seed, input normalisation...) and the
 * caller's extra entries (predicted or measured accuracy and latency).
 */
public final class OnnxExporter {

    /** ONNX IR version written: 8 is the newest that onnx 1.12's checker fully checks; ORT 1.23 reads 3..11. */
    public static final long IR_VERSION = 8;

    /** Default-domain opset imported: 17 (HardSwish needs >= 14; from 18 ReduceMean changes form). */
    public static final long OPSET = 17;

    /** {@code producer_name} of every model written. */
    public static final String PRODUCER_NAME = "ofa4j";

    /** {@code producer_version}: the ofa4j version this exporter was built as. */
    public static final String PRODUCER_VERSION = readVersion();

    /** Name of the graph input of a whole model: normalised images {@code [N, C, r, r]}. */
    public static final String INPUT_NAME = "input";

    /** Name of the graph output of a whole model: logits {@code [N, classes]}. */
    public static final String OUTPUT_NAME = "logits";

    /** Name of the output of a single-layer model. */
    public static final String LAYER_OUTPUT_NAME = "output";

    /** Symbolic batch dimension of whole models. */
    public static final String BATCH_DIM = "N";

    /** Metadata key of the architecture JSON ({@link ofa4j.models.ArchConfig#toCompactJson()}). */
    public static final String META_ARCH = "ofa4j.arch";

    /** Metadata key of {@link ofa4j.models.ArchConfig#key()}. */
    public static final String META_ARCH_KEY = "ofa4j.arch_key";

    /** Metadata key of the search-space name. */
    public static final String META_SPACE = "ofa4j.search_space";

    /** Metadata key of the full search-space JSON. */
    public static final String META_SPACE_JSON = "ofa4j.search_space_json";

    /** Metadata key of the input resolution in pixels. */
    public static final String META_RESOLUTION = "ofa4j.resolution";

    /** Metadata key of the BN epsilon that was folded into the convs. */
    public static final String META_BN_EPS = "ofa4j.bn_eps_folded";

    private static final Set<String> RESERVED =
            Set.of(META_ARCH, META_ARCH_KEY, META_SPACE, META_SPACE_JSON, META_RESOLUTION, META_BN_EPS);

    /** BN epsilon of single-layer models: OFA's 1e-5. */
    private static final double LAYER_BN_EPS = 1e-5;

    /** Largest model we write: protobuf messages cannot exceed 2 GiB. */
    private static final long MAX_BYTES = Integer.MAX_VALUE - (64L << 20);

    private OnnxExporter() {}

    /**
     * Serialises a subnet as an ONNX model.
     *
     * @param subnet the subnet (BN kept; folded here)
     * @param extraMetadata further {@code metadata_props} (e.g. predicted accuracy, measured
     *     latency in ms); may be empty; an entry replaces a {@link Subnet#metadata()} entry of the
     *     same key, but must not set the {@code ofa4j.*} keys written here
     * @return the ONNX bytes
     * @throws IllegalArgumentException naming what is wrong if the subnet has non-finite weights,
     *     a BN variance with {@code var + eps <= 0}, a bad epsilon, malformed input normalisation
     *     metadata, or the metadata is unusable
     */
    public static byte[] toBytes(Subnet subnet, Map<String, String> extraMetadata) {
        return toModel(subnet, extraMetadata, LayerEmitter.H_SIGMOID_ALPHA).toByteArray();
    }

    /**
     * Exports a subnet to an ONNX file, written atomically (temporary file, then rename).
     *
     * @param subnet the subnet
     * @param out the target file, replaced if present
     * @param extraMetadata further {@code metadata_props}, may be empty
     * @throws IOException if the file cannot be written
     * @throws IllegalArgumentException as {@link #toBytes(Subnet, Map)}
     */
    public static void export(Subnet subnet, Path out, Map<String, String> extraMetadata) throws IOException {
        byte[] bytes = toBytes(subnet, extraMetadata);
        AtomicFiles.writeBytes(out, bytes);
    }

    /** As {@link #toBytes(Subnet, Map)} with a chosen h-sigmoid slope: a test hook to prove that a wrong constant is caught. */
    static byte[] toBytes(Subnet subnet, Map<String, String> extraMetadata, float hSigmoidAlpha) {
        return toModel(subnet, extraMetadata, hSigmoidAlpha).toByteArray();
    }

    static ModelProto toModel(Subnet subnet, Map<String, String> extraMetadata, float hSigmoidAlpha) {
        if (subnet == null) {
            throw new IllegalArgumentException("subnet must not be null");
        }
        String key = subnet.arch().key();
        if (!(subnet.bnEps() > 0) || Double.isInfinite(subnet.bnEps())) {
            throw new IllegalArgumentException("BN epsilon of subnet " + key + " must be positive and finite, found " + subnet.bnEps());
        }
        Map<String, String> meta = metadata(subnet, extraMetadata);
        List<LayerSpec> layers = subnet.layers();
        int r = subnet.arch().resolution();
        int classes = subnet.space().numClasses();

        OnnxGraph graph = new OnnxGraph();
        SubnetWeights weights = new SubnetWeights(subnet);
        LayerEmitter emitter = new LayerEmitter(graph, weights, subnet.bnEps(), hSigmoidAlpha);
        LayerEmitter.Value x =
                new LayerEmitter.Value(graph.input(INPUT_NAME, BATCH_DIM, subnet.space().inChannels(), r, r), 4);
        for (LayerSpec l : layers) {
            x = emitter.emit(l, x);
            if (graph.initializerBytes() > MAX_BYTES) {
                throw new IllegalArgumentException(
                        "subnet " + key + " has more than " + MAX_BYTES + " bytes of weights; ONNX protobuf files are limited to 2 GiB");
            }
        }
        weights.checkAllUsed();
        graph.renameOutput(x.name(), OUTPUT_NAME);
        graph.output(OUTPUT_NAME, BATCH_DIM, classes);
        String doc = docString(subnet);
        GraphProto g = graph.build("ofa4j_" + subnet.space().name().replaceAll("[^A-Za-z0-9_]", "_"), doc);
        ModelProto.Builder m = header(doc).setGraph(g);
        meta.forEach((k, v) -> m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return m.build();
    }

    private static ModelProto.Builder header(String doc) {
        return ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName(PRODUCER_NAME)
                .setProducerVersion(PRODUCER_VERSION)
                .setModelVersion(1)
                .setDocString(doc)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET));
    }

    private static Map<String, String> metadata(Subnet s, Map<String, String> extra) {
        if (extra == null) {
            throw new IllegalArgumentException("extraMetadata must not be null (pass Map.of())");
        }
        Map<String, String> m = new LinkedHashMap<>();
        m.put(META_ARCH, s.arch().toCompactJson());
        m.put(META_ARCH_KEY, s.arch().key());
        m.put(META_SPACE, s.space().name());
        m.put(META_SPACE_JSON, SpaceJson.toJson(s.space()).toString());
        m.put(META_RESOLUTION, Integer.toString(s.arch().resolution()));
        m.put(META_BN_EPS, Double.toString(s.bnEps()));
        putAll(m, s.metadata(), "subnet metadata");
        putAll(m, extra, "extraMetadata");
        parseNormalisation(s, Subnet.INPUT_MEAN_KEY, false);
        parseNormalisation(s, Subnet.INPUT_STD_KEY, true);
        return m;
    }

    private static void putAll(Map<String, String> m, Map<String, String> from, String what) {
        for (Map.Entry<String, String> e : from.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty() || e.getValue() == null) {
                throw new IllegalArgumentException(
                        what + " must have non-empty keys and non-null values, found " + e.getKey() + "=" + e.getValue());
            }
            if (RESERVED.contains(e.getKey())) {
                throw new IllegalArgumentException(
                        what + " must not set the reserved key '" + e.getKey() + "' (reserved: " + RESERVED + ")");
            }
            m.put(e.getKey(), e.getValue());
        }
    }

    /** Parses a comma-separated per-channel list from the metadata; null if absent. */
    private static double[] parseNormalisation(Subnet s, String key, boolean positive) {
        String v = s.metadata().get(key);
        if (v == null) {
            return null;
        }
        int c = s.space().inChannels();
        String[] parts = v.split(",");
        if (parts.length != c && parts.length != 1) {
            throw new IllegalArgumentException(
                    "subnet metadata '" + key + "' must list 1 or " + c + " comma-separated values (one per input channel), found '" + v + "'");
        }
        double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("subnet metadata '" + key + "' must hold numbers, found '" + v + "'", e);
            }
            if (!Double.isFinite(out[i]) || (positive && !(out[i] > 0))) {
                throw new IllegalArgumentException(
                        "subnet metadata '" + key + "' must hold finite" + (positive ? " positive" : "") + " numbers, found '" + v + "'");
            }
        }
        return out;
    }

    private static String docString(Subnet s) {
        int r = s.arch().resolution();
        int c = s.space().inChannels();
        double[] mean = parseNormalisation(s, Subnet.INPUT_MEAN_KEY, false);
        double[] std = parseNormalisation(s, Subnet.INPUT_STD_KEY, true);
        StringBuilder sb = new StringBuilder();
        sb.append("ofa4j subnet ").append(s.arch().key()).append(" of search space '").append(s.space().name()).append("'.\n");
        sb.append("Input '").append(INPUT_NAME).append("': float32 [N, ").append(c).append(", ").append(r).append(", ")
                .append(r).append("], N = batch, images of ").append(r).append("x").append(r).append(" px.\n");
        sb.append("Normalisation: pixel values scaled to [0, 1], then per channel x' = (x - mean) / std with ");
        if (mean == null && std == null) {
            sb.append("no normalisation recorded (mean 0, std 1; metadata keys ")
                    .append(Subnet.INPUT_MEAN_KEY).append(" / ").append(Subnet.INPUT_STD_KEY).append(" absent).\n");
        } else {
            sb.append("mean = ").append(mean == null ? "0" : Arrays.toString(mean))
                    .append(", std = ").append(std == null ? "1" : Arrays.toString(std))
                    .append(" (metadata keys ").append(Subnet.INPUT_MEAN_KEY).append(" / ").append(Subnet.INPUT_STD_KEY).append(").\n");
        }
        sb.append("Output '").append(OUTPUT_NAME).append("': float32 [N, ").append(s.space().numClasses())
                .append("] logits (no softmax).\n");
        sb.append("Batch norm folded into the convs (eps ").append(s.bnEps()).append(").");
        return sb.toString();
    }

    /**
     * Reads the {@code metadata_props} of an ONNX file (for example one written by {@link
     * #export}), in file order.
     *
     * @param onnxFile an ONNX model file
     * @return key to value; e.g. {@link #META_ARCH} gives the architecture JSON
     * @throws IOException if the file cannot be read or is not an ONNX model (protobuf parse error)
     */
    public static Map<String, String> readMetadata(Path onnxFile) throws IOException {
        ModelProto m;
        try (InputStream in = java.nio.file.Files.newInputStream(onnxFile)) {
            m = ModelProto.parseFrom(in);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            String why = e.getMessage() == null ? "protobuf parse error" : e.getMessage().split("\\.\\s", 2)[0];
            throw new IOException(onnxFile + " is not an ONNX model: " + why, e);
        }
        if (!m.hasGraph() || m.getIrVersion() <= 0) {
            throw new IOException(onnxFile + " is not an ONNX model (no graph or no ir_version)");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (StringStringEntryProto e : m.getMetadataPropsList()) {
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    /**
     * Reads the {@code metadata_props} of ONNX bytes, in file order.
     *
     * @param model ONNX bytes
     * @return key to value
     * @throws IllegalArgumentException if the bytes are not an ONNX model
     */
    public static Map<String, String> readMetadata(byte[] model) {
        ModelProto m;
        try {
            m = ModelProto.parseFrom(model);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
        }
        Map<String, String> out = new LinkedHashMap<>();
        m.getMetadataPropsList().forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    /**
     * Adds {@code metadata_props} to a model written by this exporter or {@link Int8Exporter}, for
     * figures measured on the model itself (e.g. its accuracy); the graph is untouched.
     *
     * @param model ONNX bytes
     * @param extra the entries to add
     * @return the model with the entries appended
     * @throws IllegalArgumentException if the bytes are not a model, a key is empty or already
     *     present, or a value is null
     */
    public static byte[] withMetadata(byte[] model, Map<String, String> extra) {
        ModelProto m;
        try {
            m = ModelProto.parseFrom(model);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
        }
        Set<String> present = new HashSet<>();
        m.getMetadataPropsList().forEach(e -> present.add(e.getKey()));
        ModelProto.Builder b = m.toBuilder();
        for (Map.Entry<String, String> e : extra.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty() || e.getValue() == null || !present.add(e.getKey())) {
                throw new IllegalArgumentException("metadata to add must have new non-empty keys and non-null values,"
                        + " found " + e.getKey() + "=" + e.getValue());
            }
            b.addMetadataProps(StringStringEntryProto.newBuilder().setKey(e.getKey()).setValue(e.getValue()));
        }
        return b.build().toByteArray();
    }

    // ------------------------------------------------------------------ single layers

    /**
     * Builds a tiny ONNX model of one layer with seeded random weights, so that timing it in ONNX
     * Runtime measures that layer alone. The nodes are exactly those a whole-model export writes for
     * the layer. Input {@value #INPUT_NAME} is {@code [N, inChannels, inResolution, inResolution]}
     * for STEM, BLOCK and FINAL_EXPAND, {@code [N, inChannels]} for FEATURE_MIX and CLASSIFIER (the
     * global pooling before feature mix belongs to no layer and is not included); output
     * {@value #LAYER_OUTPUT_NAME} is {@code [N, outChannels, outRes, outRes]} or {@code [N,
     * outChannels]}. The batch {@value #BATCH_DIM} is dynamic, as in whole models, so that one
     * model (and one remote kit) times any batch size.
     *
     * @param layer the layer, e.g. from {@link ofa4j.models.SearchSpace#layers}
     * @param seed seed of the random weights
     * @return the ONNX bytes (same IR version and opset as whole models)
     * @throws IllegalArgumentException if the layer is inconsistent, naming the field and value
     */
    public static byte[] layerModel(LayerSpec layer, long seed) {
        LayerEmitter.check(layer);
        OnnxGraph graph = new OnnxGraph();
        LayerEmitter emitter =
                new LayerEmitter(graph, new RandomWeights(seed), LAYER_BN_EPS, LayerEmitter.H_SIGMOID_ALPHA);
        boolean linear = layer.kind() == LayerSpec.Kind.FEATURE_MIX || layer.kind() == LayerSpec.Kind.CLASSIFIER;
        int r = layer.inResolution();
        int ro = layer.outResolution();
        LayerEmitter.Value in =
                linear
                        ? new LayerEmitter.Value(graph.input(INPUT_NAME, BATCH_DIM, layer.inChannels()), 2)
                        : new LayerEmitter.Value(graph.input(INPUT_NAME, BATCH_DIM, layer.inChannels(), r, r), 4);
        LayerEmitter.Value out = emitter.emit(layer, in);
        graph.renameOutput(out.name(), LAYER_OUTPUT_NAME);
        if (linear) {
            graph.output(LAYER_OUTPUT_NAME, BATCH_DIM, layer.outChannels());
        } else {
            graph.output(LAYER_OUTPUT_NAME, BATCH_DIM, layer.outChannels(), ro, ro);
        }
        String doc = "ofa4j single-layer timing model of " + layer.key() + " (" + layer.describe()
                + "), random weights (seed " + seed + ").";
        ModelProto.Builder m = header(doc).setGraph(graph.build("ofa4j_layer", doc));
        m.addMetadataProps(StringStringEntryProto.newBuilder().setKey("ofa4j.layer_key").setValue(layer.key()));
        m.addMetadataProps(StringStringEntryProto.newBuilder().setKey("ofa4j.seed").setValue(Long.toString(seed)));
        return m.build().toByteArray();
    }

    // ------------------------------------------------------------------ weight sources

    /** Serves a subnet's tensors, checking them and recording which were used. */
    private static final class SubnetWeights implements WeightSource {
        private final Subnet subnet;
        private final Set<String> used = new HashSet<>();

        SubnetWeights(Subnet subnet) {
            this.subnet = subnet;
        }

        @Override
        public Tensor get(String name, int[] shape, Role role) {
            Tensor t = subnet.tensors().get(name);
            String key = subnet.arch().key();
            if (t == null) {
                throw new IllegalArgumentException("subnet " + key + " lacks tensor '" + name + "' of shape " + Arrays.toString(shape));
            }
            if (!Arrays.equals(t.shape(), shape)) {
                throw new IllegalArgumentException(
                        "tensor '" + name + "' of subnet " + key + " must have shape " + Arrays.toString(shape)
                                + ", found " + Arrays.toString(t.shape()));
            }
            float[] d = t.data();
            for (int i = 0; i < d.length; i++) {
                if (!Float.isFinite(d[i])) {
                    throw new IllegalArgumentException(
                            "tensor '" + name + "' of subnet " + key + " has the non-finite value " + d[i] + " at index " + i
                                    + "; only finite weights can be exported");
                }
            }
            used.add(name);
            return t;
        }

        void checkAllUsed() {
            for (String name : subnet.tensors().keySet()) {
                if (!used.contains(name)) {
                    throw new IllegalStateException("export of subnet " + subnet.arch().key() + " left tensor '" + name + "' unused");
                }
            }
        }
    }

    /**
     * Seeded random weights in plausible ranges: He-uniform weights, small biases, BN scales near
     * 1 and positive variances, so that a layer model computes the same arithmetic as a trained one.
     */
    private static final class RandomWeights implements WeightSource {
        private final SplittableRandom rng;

        RandomWeights(long seed) {
            this.rng = new SplittableRandom(seed);
        }

        @Override
        public Tensor get(String name, int[] shape, Role role) {
            int n = 1;
            for (int d : shape) {
                n *= d;
            }
            int fanIn = n / shape[0];
            float[] d = new float[n];
            for (int i = 0; i < n; i++) {
                switch (role) {
                    case WEIGHT:
                        d[i] = (float) (rng.nextDouble(-1, 1) * Math.sqrt(6.0 / fanIn));
                        break;
                    case BN_GAMMA:
                    case BN_VAR:
                        d[i] = (float) rng.nextDouble(0.5, 1.5);
                        break;
                    default:
                        d[i] = (float) rng.nextDouble(-0.1, 0.1);
                        break;
                }
            }
            return new Tensor(shape, d);
        }
    }

    private static String readVersion() {
        Properties p = new Properties();
        try (InputStream in = OnnxExporter.class.getResourceAsStream("/ofa4j-exporter.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // Fall through to "unknown": the version is informative only.
        }
        String v = p.getProperty("version", "unknown");
        return v.startsWith("${") ? "unknown" : v;
    }
}
