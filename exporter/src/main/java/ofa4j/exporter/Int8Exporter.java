package ofa4j.exporter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import ofa4j.exporter.onnx.GraphProto;
import ofa4j.exporter.onnx.ModelProto;
import ofa4j.exporter.onnx.StringStringEntryProto;
import ofa4j.exporter.onnx.TensorProto;
import ofa4j.exporter.onnx.TypeProto;
import ofa4j.exporter.onnx.ValueInfoProto;
import ofa4j.models.AtomicFiles;
import ofa4j.models.Subnet;

/**
 * Writes a {@link Subnet} as an INT8 ONNX model in QDQ form (post-training quantization): the
 * float graph of {@link OnnxExporter} (BN folded, same opset and IR version) with int8 weights per
 * output channel, int32 biases and uint8 activations per tensor, as {@link QdqRewriter} describes.
 * The input and the logits stay float32, so the model is used exactly as the FP32 one.
 *
 * <p>Activation ranges are calibrated by running the FP32 model in ONNX Runtime on the caller's
 * calibration images (normally training images, never test images), every intermediate value
 * being a graph output: either their min and max ({@link Method#MINMAX}) or the values at a
 * percentile of each tail ({@link Method#PERCENTILE}: with 99.99, the lowest and the highest 0.01%
 * of the values of a tensor over all calibration images are clipped), read from a {@value
 * #HISTOGRAM_BINS}-bin histogram over the tensor's min..max.
 *
 * <p>{@code metadata_props} add to the FP32 ones: {@value #META_PRECISION} = {@code int8}, the
 * scheme ({@value #META_SCHEME}), the calibration method ({@value #META_CALIBRATION_METHOD}), the
 * number of calibration images ({@value #META_CALIBRATION_IMAGES}) and where they come from
 * ({@value #META_CALIBRATION_SOURCE}, e.g. which split and seed).
 */
public final class Int8Exporter {

    /** Metadata key of the precision: {@code int8}. */
    public static final String META_PRECISION = "ofa4j.precision";

    /** Metadata key of the quantization scheme (a sentence). */
    public static final String META_SCHEME = "ofa4j.int8.scheme";

    /** Metadata key of the calibration method: {@code minmax} or {@code percentile 99.99}. */
    public static final String META_CALIBRATION_METHOD = "ofa4j.int8.calibration_method";

    /** Metadata key of the number of calibration images. */
    public static final String META_CALIBRATION_IMAGES = "ofa4j.int8.calibration_images";

    /** Metadata key of where the calibration images come from (split, seed). */
    public static final String META_CALIBRATION_SOURCE = "ofa4j.int8.calibration_source";

    /** The scheme written under {@link #META_SCHEME}. */
    public static final String SCHEME = "ONNX QDQ; weights int8 per output channel (axis 0) symmetric (zero point 0);"
            + " biases int32 (scale input scale x weight scale); activations uint8 per tensor asymmetric;"
            + " input and logits float32; BN folded";

    /** Metadata key of the INT8 form: {@value #FORM_QDQ} or {@value #FORM_QOPERATOR}. */
    public static final String META_FORM = "ofa4j.int8.form";

    /** The form of {@link #toBytes}: QuantizeLinear / DequantizeLinear around float operators. */
    public static final String FORM_QDQ = "qdq";

    /** The form of {@link #toQOperator}: QLinearConv / QLinearMatMul, named as OpenCV DNN 4.6 reads them. */
    public static final String FORM_QOPERATOR = "qoperator";

    /** The scheme written under {@link #META_SCHEME} by {@link #toQOperator}. */
    public static final String QOPERATOR_SCHEME = "ONNX QOperator (QLinearConv, QLinearMatMul; other operators float"
            + " between DequantizeLinear and QuantizeLinear; quantized values named *_quantized with *_scale and"
            + " *_zero_point, as OpenCV DNN 4.6 reads them); the integer weights, biases, scales and zero points of the"
            + " QDQ model it is rewritten from; classifier float with its int8 weights dequantized; input and logits"
            + " float32; BN folded";

    /** Percentile of {@link Method#PERCENTILE} when none is given: 99.99 (each tail clips 0.01% of the values). */
    public static final double DEFAULT_PERCENTILE = 99.99;

    /**
     * Bins of the percentile histogram: over a range of e.g. 40 the bin is 0.01, a tenth of an
     * int8 step (40 / 255), so the bin edge a percentile falls on costs at most a tenth of a step.
     */
    static final int HISTOGRAM_BINS = 4096;

    /** Calibration images per ONNX Runtime run (bounds the memory of every intermediate value). */
    static final int CALIBRATION_BATCH = 64;

    private static final Set<String> RESERVED = Set.of(META_PRECISION, META_SCHEME, META_CALIBRATION_METHOD,
            META_CALIBRATION_IMAGES, META_CALIBRATION_SOURCE, META_FORM);

    private Int8Exporter() {}

    /** How activation ranges are calibrated. */
    public enum Method {
        /** The min and max over all calibration images. */
        MINMAX,
        /** The values at a percentile of each tail (outliers clipped). */
        PERCENTILE;

        /**
         * Parses a method name as the command line spells it.
         *
         * @param s {@code minmax} or {@code percentile}
         * @return the method
         * @throws IllegalArgumentException naming the value and the values allowed
         */
        public static Method parse(String s) {
            for (Method m : values()) {
                if (m.name().toLowerCase(Locale.ROOT).equals(s)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("calibration method must be one of minmax, percentile; found '" + s + "'");
        }
    }

    /**
     * The calibration of an INT8 export.
     *
     * @param method how ranges are taken
     * @param percentile for {@link Method#PERCENTILE}: the percentile in (50, 100], e.g. 99.99; NaN for min/max
     * @param inputs normalised images, row-major {@code [images, C, r, r]} at the subnet's resolution
     * @param images the number of images
     * @param source where they come from, for the metadata (e.g. {@code 500 images of train, seed 1})
     */
    public record Calibration(Method method, double percentile, float[] inputs, int images, String source) {

        /** Checks the values. */
        public Calibration {
            if (method == null) {
                throw new IllegalArgumentException("calibration method must be one of minmax, percentile; found null");
            }
            if (method == Method.PERCENTILE && !(percentile > 50 && percentile <= 100)) {
                throw new IllegalArgumentException("percentile must be in (50, 100], found " + percentile);
            }
            if (inputs == null || images < 1 || inputs.length % images != 0 || inputs.length == 0) {
                throw new IllegalArgumentException("calibration needs >= 1 image and inputs of images * C * r * r floats,"
                        + " found " + images + " images and " + (inputs == null ? "no" : inputs.length) + " floats");
            }
            if (source == null || source.isBlank()) {
                throw new IllegalArgumentException("calibration source must be described, found '" + source + "'");
            }
        }

        /**
         * Min/max calibration.
         *
         * @param inputs normalised images {@code [images, C, r, r]}
         * @param images the number of images
         * @param source where they come from
         * @return the calibration
         */
        public static Calibration minMax(float[] inputs, int images, String source) {
            return new Calibration(Method.MINMAX, Double.NaN, inputs, images, source);
        }

        /**
         * Percentile calibration.
         *
         * @param percentile in (50, 100], e.g. {@link #DEFAULT_PERCENTILE}
         * @param inputs normalised images {@code [images, C, r, r]}
         * @param images the number of images
         * @param source where they come from
         * @return the calibration
         */
        public static Calibration percentile(double percentile, float[] inputs, int images, String source) {
            return new Calibration(Method.PERCENTILE, percentile, inputs, images, source);
        }

        /** @return the method as written in the metadata: {@code minmax} or e.g. {@code percentile 99.99} */
        public String describe() {
            return method == Method.MINMAX ? "minmax" : "percentile " + new java.math.BigDecimal(Double.toString(percentile))
                    .stripTrailingZeros().toPlainString();
        }
    }

    /**
     * Serialises a subnet as an INT8 QDQ ONNX model.
     *
     * @param subnet the subnet (BN kept; folded here)
     * @param calibration the calibration images and method
     * @param extraMetadata further {@code metadata_props}, as for {@link OnnxExporter#toBytes}; must
     *     not set the {@code ofa4j.precision} and {@code ofa4j.int8.*} keys written here
     * @return the ONNX bytes
     * @throws IllegalArgumentException as {@link OnnxExporter#toBytes}, or when the calibration
     *     images do not fit the subnet's channels and resolution
     */
    public static byte[] toBytes(Subnet subnet, Calibration calibration, Map<String, String> extraMetadata) {
        return toModel(subnet, calibration, extraMetadata).toByteArray();
    }

    /**
     * Exports a subnet as an INT8 ONNX file, written atomically (temporary file, then rename).
     *
     * @param subnet the subnet
     * @param out the target file, replaced if present
     * @param calibration the calibration images and method
     * @param extraMetadata further {@code metadata_props}, may be empty
     * @throws IOException if the file cannot be written
     * @throws IllegalArgumentException as {@link #toBytes}
     */
    public static void export(Subnet subnet, Path out, Calibration calibration, Map<String, String> extraMetadata)
            throws IOException {
        AtomicFiles.writeBytes(out, toBytes(subnet, calibration, extraMetadata));
    }

    static ModelProto toModel(Subnet subnet, Calibration calibration, Map<String, String> extraMetadata) {
        if (calibration == null) {
            throw new IllegalArgumentException("calibration must not be null");
        }
        if (extraMetadata != null) {
            for (String k : extraMetadata.keySet()) {
                if (RESERVED.contains(k)) {
                    throw new IllegalArgumentException(
                            "extraMetadata must not set the reserved key '" + k + "' (reserved: " + RESERVED + ")");
                }
            }
        }
        ModelProto fp32 = OnnxExporter.toModel(subnet, extraMetadata, LayerEmitter.H_SIGMOID_ALPHA);
        GraphProto g = fp32.getGraph();
        QdqRewriter.Plan plan = QdqRewriter.plan(g);
        Map<String, double[]> ranges = calibrate(subnet, fp32, plan, calibration);
        String doc = g.getDocString() + "\nINT8 (" + SCHEME + "); activation ranges calibrated on "
                + calibration.images() + " images (" + calibration.source() + "), " + calibration.describe() + ".";
        ModelProto.Builder m = fp32.toBuilder().setDocString(doc)
                .setGraph(QdqRewriter.rewrite(g, plan, ranges, doc));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(META_PRECISION, "int8");
        meta.put(META_SCHEME, SCHEME);
        meta.put(META_FORM, FORM_QDQ);
        meta.put(META_CALIBRATION_METHOD, calibration.describe());
        meta.put(META_CALIBRATION_IMAGES, Integer.toString(calibration.images()));
        meta.put(META_CALIBRATION_SOURCE, calibration.source());
        meta.forEach((k, v) -> m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return m.build();
    }

    /**
     * Rewrites an INT8 model of {@link #toBytes} (QDQ form) into the QOperator form OpenCV's DNN
     * module (4.6) imports and runs in int8, as {@link QOperatorRewriter} describes: the same integer
     * weights, biases, scales and zero points, hence the same arithmetic; ONNX Runtime runs it too.
     * Every {@code metadata_props} entry is kept (its measured figures are those of the QDQ model)
     * except {@value #META_FORM} = {@value #FORM_QOPERATOR} and {@value #META_SCHEME} = {@link
     * #QOPERATOR_SCHEME}.
     *
     * @param qdq the bytes of a QDQ model of {@link #toBytes}, metadata added or not (a file written
     *     before {@value #META_FORM} was recorded is recognised by its {@value #META_SCHEME})
     * @return the QOperator model's bytes
     * @throws IllegalArgumentException if the bytes are not an INT8 QDQ model of this exporter
     */
    public static byte[] toQOperator(byte[] qdq) {
        ModelProto m;
        try {
            m = ModelProto.parseFrom(qdq);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
        }
        Map<String, String> meta = OnnxExporter.readMetadata(qdq);
        // files written before the form was recorded say it by their scheme
        boolean qdqForm = FORM_QDQ.equals(meta.get(META_FORM))
                || meta.get(META_FORM) == null && SCHEME.equals(meta.get(META_SCHEME));
        if (!"int8".equals(meta.get(META_PRECISION)) || !qdqForm) {
            throw new IllegalArgumentException("toQOperator needs an INT8 model in QDQ form (" + META_FORM + " = "
                    + FORM_QDQ + ", or no form and the QDQ scheme, with " + META_PRECISION + " = int8), found "
                    + META_PRECISION + " = "
                    + meta.get(META_PRECISION) + ", " + META_FORM + " = " + meta.get(META_FORM));
        }
        String doc = m.getDocString().replace("INT8 (" + SCHEME + ")", "INT8 (" + QOPERATOR_SCHEME + ")");
        ModelProto.Builder b = m.toBuilder().setDocString(doc).setGraph(QOperatorRewriter.rewrite(m.getGraph(), doc));
        if (meta.get(META_FORM) == null) {
            b.addMetadataProps(StringStringEntryProto.newBuilder().setKey(META_FORM).setValue(FORM_QOPERATOR));
        }
        for (int i = 0; i < b.getMetadataPropsCount(); i++) {
            String k = b.getMetadataProps(i).getKey();
            if (k.equals(META_FORM)) {
                b.setMetadataProps(i, b.getMetadataProps(i).toBuilder().setValue(FORM_QOPERATOR));
            } else if (k.equals(META_SCHEME)) {
                b.setMetadataProps(i, b.getMetadataProps(i).toBuilder().setValue(QOPERATOR_SCHEME));
            }
        }
        return b.build().toByteArray();
    }

    /** Calibrates the activation ranges of {@code plan} in the FP32 model of {@code subnet}. */
    private static Map<String, double[]> calibrate(Subnet subnet, ModelProto fp32, QdqRewriter.Plan plan,
            Calibration calibration) {
        int c = subnet.space().inChannels();
        int r = subnet.arch().resolution();
        long perImage = (long) c * r * r;
        if (calibration.inputs().length != perImage * calibration.images()) {
            throw new IllegalArgumentException("calibration images of subnet " + subnet.arch().key() + " must be "
                    + calibration.images() + " x " + c + " x " + r + " x " + r + " = " + perImage * calibration.images()
                    + " floats, found " + calibration.inputs().length);
        }
        return calibrate(fp32, plan.calibrated(), calibration, c, r);
    }

    /**
     * Quantization of one uint8 activation of an INT8 export: {@code x ~ (q - zeroPoint) * scale}.
     *
     * @param scale the step, > 0
     * @param zeroPoint the code of 0, in [0, 255]
     */
    public record ActivationQuantization(float scale, int zeroPoint) {}

    /**
     * The scale and zero point that {@link #toBytes} would give every quantized activation of this
     * subnet with this calibration (same graph, same calibration run, same rule), by ONNX value
     * name: the graph input and each calibrated node output. Values that only move another's values
     * ({@code Resize}, {@code Flatten}) share their source's and are not listed. Used by
     * quantization-aware training to simulate the export.
     *
     * @param subnet the subnet
     * @param calibration the calibration images and method
     * @return the activation quantization by value name, in graph order
     * @throws IllegalArgumentException as {@link #toBytes}
     */
    public static Map<String, ActivationQuantization> activationQuantization(Subnet subnet, Calibration calibration) {
        if (calibration == null) {
            throw new IllegalArgumentException("calibration must not be null");
        }
        ModelProto fp32 = OnnxExporter.toModel(subnet, Map.of(), LayerEmitter.H_SIGMOID_ALPHA);
        QdqRewriter.Plan plan = QdqRewriter.plan(fp32.getGraph());
        Map<String, double[]> ranges = calibrate(subnet, fp32, plan, calibration);
        Map<String, ActivationQuantization> out = new LinkedHashMap<>();
        for (String t : plan.calibrated()) {
            double[] rg = ranges.get(t);
            QdqRewriter.Params p = QdqRewriter.Params.of(rg[0], rg[1]);
            out.put(t, new ActivationQuantization(p.scale(), p.zeroPoint()));
        }
        return out;
    }

    /** Random inputs a single-layer INT8 timing model is calibrated on. */
    static final int LAYER_CALIBRATION_INPUTS = 8;

    /**
     * Builds the INT8 timing model of one layer: the FP32 model of {@link OnnxExporter#layerModel}
     * rewritten into QDQ form exactly as a whole INT8 export rewrites the layer's nodes, with the
     * layer's inputs and outputs in the form they take inside a whole INT8 model, so that timing it
     * measures what the layer costs there. Inside a whole model a layer reads the uint8 value the
     * previous layer quantized and quantizes its own output; so the model's input {@value
     * OnnxExporter#INPUT_NAME} is uint8 (the {@code QuantizeLinear} of the input dropped) except for
     * the {@code STEM}, which reads the float image and quantizes it, and its output {@value
     * OnnxExporter#LAYER_OUTPUT_NAME} is uint8 (a {@code QuantizeLinear} added) except for the
     * {@code CLASSIFIER}, whose logits stay float. Activation ranges are calibrated on {@value
     * #LAYER_CALIBRATION_INPUTS} seeded random inputs in [-1, 1): the values do not change the
     * latency, but the calibration decides the same zero points (a ReLU output's is 0, which lets
     * ONNX Runtime fuse the ReLU) as it does for a trained subnet.
     *
     * @param layer the layer
     * @param seed seed of the random weights and inputs
     * @return the ONNX bytes
     * @throws IllegalArgumentException if the layer is inconsistent, naming the field and value
     */
    public static byte[] layerModel(ofa4j.models.LayerSpec layer, long seed) {
        ModelProto fp32;
        try {
            fp32 = ModelProto.parseFrom(OnnxExporter.layerModel(layer, seed));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException("the exporter's own layer model does not parse: " + e.getMessage(), e);
        }
        boolean linear = layer.kind() == ofa4j.models.LayerSpec.Kind.FEATURE_MIX
                || layer.kind() == ofa4j.models.LayerSpec.Kind.CLASSIFIER;
        long[] perInput = linear ? new long[] {layer.inChannels()}
                : new long[] {layer.inChannels(), layer.inResolution(), layer.inResolution()};
        int n = 1;
        for (long d : perInput) {
            n *= (int) d;
        }
        float[] x = new float[n * LAYER_CALIBRATION_INPUTS];
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        Calibration cal = Calibration.minMax(x, LAYER_CALIBRATION_INPUTS, "random inputs, seed " + seed);
        GraphProto g = fp32.getGraph();
        QdqRewriter.Plan plan = QdqRewriter.plan(g);
        boolean quantizeOutput = layer.kind() != ofa4j.models.LayerSpec.Kind.CLASSIFIER;
        boolean quantizedInput = layer.kind() != ofa4j.models.LayerSpec.Kind.STEM;
        String out = OnnxExporter.LAYER_OUTPUT_NAME;
        List<String> tensors = new java.util.ArrayList<>(plan.calibrated());
        if (quantizeOutput) {
            tensors.add(out);
        }
        Map<String, double[]> ranges = calibrate(fp32, tensors, cal, perInput);
        String doc = g.getDocString() + "\nINT8 timing model (" + SCHEME + "), calibrated on "
                + LAYER_CALIBRATION_INPUTS + " random inputs; input " + (quantizedInput ? "uint8" : "float32")
                + ", output " + (quantizeOutput ? "uint8" : "float32") + " as inside a whole INT8 model.";
        GraphProto.Builder q = QdqRewriter.rewrite(g, plan, ranges, doc).toBuilder();
        if (quantizedInput) {
            String in = g.getInput(0).getName();
            int qi = -1;
            for (int i = 0; i < q.getNodeCount(); i++) {
                if (q.getNode(i).getOpType().equals("QuantizeLinear") && q.getNode(i).getInput(0).equals(in)) {
                    qi = i;
                }
            }
            if (qi < 0) {
                throw new IllegalStateException("the QDQ layer model of " + layer.key() + " does not quantize its input");
            }
            String qName = q.getNode(qi).getOutput(0);
            q.removeNode(qi);
            ValueInfoProto.Builder vi = q.getInput(0).toBuilder().setName(qName);
            vi.getTypeBuilder().getTensorTypeBuilder().setElemType(TensorProto.DataType.UINT8_VALUE);
            q.setInput(0, vi);
        }
        if (quantizeOutput) {
            QdqRewriter.Params p = QdqRewriter.Params.of(ranges.get(out)[0], ranges.get(out)[1]);
            String qOut = out + QdqRewriter.Q;
            q.addInitializer(QdqRewriter.floatTensor(out + QdqRewriter.SCALE, new int[0], new float[] {p.scale()}));
            q.addInitializer(QdqRewriter.uint8Tensor(out + QdqRewriter.ZERO_POINT, new int[0],
                    new byte[] {(byte) p.zeroPoint()}));
            q.addNode(ofa4j.exporter.onnx.NodeProto.newBuilder().setOpType("QuantizeLinear").setName(qOut).addInput(out)
                    .addInput(out + QdqRewriter.SCALE).addInput(out + QdqRewriter.ZERO_POINT).addOutput(qOut));
            ValueInfoProto.Builder vo = q.getOutput(0).toBuilder().setName(qOut);
            vo.getTypeBuilder().getTensorTypeBuilder().setElemType(TensorProto.DataType.UINT8_VALUE);
            q.setOutput(0, vo);
        }
        ModelProto.Builder m = fp32.toBuilder().setDocString(doc).setGraph(q);
        m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(META_PRECISION).setValue("int8"));
        return m.build().toByteArray();
    }

    /**
     * Runs the calibration images through the FP32 model with every value of {@code tensors} as an
     * output and returns each one's {@code [lo, hi]}.
     */
    static Map<String, double[]> calibrate(ModelProto fp32, List<String> tensors, Calibration cal, int c, int r) {
        return calibrate(fp32, tensors, cal, new long[] {c, r, r});
    }

    /**
     * As {@link #calibrate(ModelProto, List, Calibration, int, int)} for inputs of any shape.
     *
     * @param imageShape the shape of one input without the batch dimension, e.g. {@code {C, r, r}} or {@code {C}}
     */
    static Map<String, double[]> calibrate(ModelProto fp32, List<String> tensors, Calibration cal, long[] imageShape) {
        String input = fp32.getGraph().getInput(0).getName();
        Set<String> outputs = new java.util.HashSet<>();
        fp32.getGraph().getOutputList().forEach(v -> outputs.add(v.getName()));
        ModelProto.Builder probe = fp32.toBuilder();
        GraphProto.Builder g = probe.getGraphBuilder();
        for (String t : tensors) {
            if (!t.equals(input) && !outputs.contains(t)) {
                g.addOutput(ValueInfoProto.newBuilder().setName(t).setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
            }
        }
        int perImage = 1;
        for (long d : imageShape) {
            perImage *= (int) d;
        }
        Map<String, double[]> minMax = new HashMap<>();
        Map<String, long[]> hist = new HashMap<>();
        int passes = cal.method() == Method.PERCENTILE ? 2 : 1;
        try (Verifier v = Verifier.open(probe.build().toByteArray(), Runtime.getRuntime().availableProcessors())) {
            for (int pass = 0; pass < passes; pass++) {
                for (int start = 0; start < cal.images(); start += CALIBRATION_BATCH) {
                    int n = Math.min(CALIBRATION_BATCH, cal.images() - start);
                    float[] x = java.util.Arrays.copyOfRange(cal.inputs(), start * perImage, (start + n) * perImage);
                    long[] shape = new long[imageShape.length + 1];
                    shape[0] = n;
                    System.arraycopy(imageShape, 0, shape, 1, imageShape.length);
                    Map<String, float[]> outs = v.runAll(x, shape);
                    outs.put(input, x);
                    for (String t : tensors) {
                        float[] values = outs.get(t);
                        if (values == null) {
                            throw new IllegalStateException("calibration model did not output '" + t + "'");
                        }
                        if (pass == 0) {
                            accumulateMinMax(minMax.computeIfAbsent(t, k -> new double[] {Double.POSITIVE_INFINITY,
                                    Double.NEGATIVE_INFINITY}), values, t);
                        } else {
                            accumulateHistogram(hist.computeIfAbsent(t, k -> new long[HISTOGRAM_BINS]), minMax.get(t), values);
                        }
                    }
                }
            }
        }
        if (cal.method() == Method.MINMAX) {
            return minMax;
        }
        Map<String, double[]> out = new HashMap<>();
        for (String t : tensors) {
            out.put(t, percentileRange(hist.get(t), minMax.get(t), cal.percentile()));
        }
        return out;
    }

    private static void accumulateMinMax(double[] mm, float[] values, String t) {
        for (float f : values) {
            if (!Float.isFinite(f)) {
                throw new IllegalArgumentException("calibration value '" + t + "' is not finite (" + f
                        + "): the FP32 model overflows on a calibration image");
            }
            if (f < mm[0]) {
                mm[0] = f;
            }
            if (f > mm[1]) {
                mm[1] = f;
            }
        }
    }

    private static void accumulateHistogram(long[] h, double[] mm, float[] values) {
        double width = (mm[1] - mm[0]) / h.length;
        if (!(width > 0)) {
            h[0] += values.length;
            return;
        }
        for (float f : values) {
            int b = (int) ((f - mm[0]) / width);
            h[Math.max(0, Math.min(h.length - 1, b))]++;
        }
    }

    /**
     * The range that clips {@code 100 - percentile} % of the values at each end: the lower edge of
     * the bin where the low tail's count is first exceeded, and the upper edge of the bin where the
     * high tail's is.
     *
     * @param h histogram over {@code mm}
     * @param mm min and max
     * @param percentile e.g. 99.99
     * @return {@code [lo, hi]}
     */
    static double[] percentileRange(long[] h, double[] mm, double percentile) {
        long total = 0;
        for (long v : h) {
            total += v;
        }
        double width = (mm[1] - mm[0]) / h.length;
        if (!(width > 0) || total == 0) {
            return mm.clone();
        }
        double tail = total * (100 - percentile) / 100;
        long acc = 0;
        int lo = 0;
        while (lo < h.length - 1 && acc + h[lo] <= tail) {
            acc += h[lo++];
        }
        acc = 0;
        int hi = h.length - 1;
        while (hi > 0 && acc + h[hi] <= tail) {
            acc += h[hi--];
        }
        double a = lo == 0 ? mm[0] : mm[0] + lo * width;
        double b = hi == h.length - 1 ? mm[1] : mm[0] + (hi + 1) * width;
        return new double[] {Math.min(a, b), Math.max(a, b)};
    }
}
