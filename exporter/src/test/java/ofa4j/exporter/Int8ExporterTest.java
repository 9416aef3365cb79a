package ofa4j.exporter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import ofa4j.exporter.onnx.AttributeProto;
import ofa4j.exporter.onnx.ModelProto;
import ofa4j.exporter.onnx.NodeProto;
import ofa4j.exporter.onnx.TensorProto;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.models.testing.RandomSubnets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * INT8 QDQ export: structure (per-channel symmetric int8 weights, int32 biases, uint8 activations
 * with positive scales), metadata, fusion into integer kernels by ONNX Runtime, and logits close to
 * the FP32 model's, on random-weight subnets calibrated on random inputs.
 */
class Int8ExporterTest {

    /** Calibration and evaluation images per model (different seeds). */
    static final int IMAGES = 64;

    /**
     * Largest |INT8 - FP32| logit allowed, as a fraction of the largest |FP32 logit|. Each of the
     * ~40-130 quantized values adds a rounding error of at most half a step, 1/510 of its range;
     * through the depth these add up to a few percent of the logit range (worst seen: 4.5% on these
     * random-weight subnets, 2.7-4.5% over max and min of both spaces); 10% leaves twice that margin
     * while a scale or zero point off by one step of the exporter's own making, or a wrong bias
     * scale, moves the logits by far more.
     */
    static final double LOGIT_TOLERANCE = 0.10;

    /** Least share of images whose INT8 top-1 must equal the FP32 top-1 (all 64 agreed in every case seen). */
    static final double TOP1_AGREEMENT_FLOOR = 0.90;

    static Int8Exporter.Calibration calibration(SearchSpace space, ArchConfig a, Int8Exporter.Method m, long seed) {
        float[] x = RandomSubnets.input(IMAGES, space.inChannels(), a.resolution(), seed);
        return m == Int8Exporter.Method.MINMAX
                ? Int8Exporter.Calibration.minMax(x, IMAGES, IMAGES + " random images, seed " + seed)
                : Int8Exporter.Calibration.percentile(Int8Exporter.DEFAULT_PERCENTILE, x, IMAGES,
                        IMAGES + " random images, seed " + seed);
    }

    private static Map<String, TensorProto> initializers(ModelProto m) {
        Map<String, TensorProto> out = new HashMap<>();
        m.getGraph().getInitializerList().forEach(t -> out.put(t.getName(), t));
        return out;
    }

    private static Map<String, NodeProto> producers(ModelProto m) {
        Map<String, NodeProto> out = new HashMap<>();
        for (NodeProto n : m.getGraph().getNodeList()) {
            n.getOutputList().forEach(o -> out.put(o, n));
        }
        return out;
    }

    private static long attr(NodeProto n, String name, long dflt) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return dflt;
    }

    private static byte[] bytes(TensorProto t) {
        return t.getRawData().toByteArray();
    }

    private static int[] ints(TensorProto t) {
        ByteBuffer bb = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        int[] v = new int[bb.remaining() / 4];
        bb.asIntBuffer().get(v);
        return v;
    }

    @Test
    void everyWeightIsInt8PerChannelSymmetricAndEveryActivationIsQuantized() throws Exception {
        int weights = 0;
        int activations = 0;
        for (SearchSpace space : List.of(SearchSpace.fmnist(), OnnxExporterTest.smallOfa())) {
            for (ArchConfig a : List.of(space.max(), space.min())) {
                Subnet s = RandomSubnets.create(space, a, 5);
                ModelProto fp32 = OnnxExporter.toModel(s, Map.of(), LayerEmitter.H_SIGMOID_ALPHA);
                ModelProto q = Int8Exporter.toModel(s, calibration(space, a, Int8Exporter.Method.MINMAX, 1), Map.of());
                Map<String, TensorProto> fInit = initializers(fp32);
                Map<String, TensorProto> init = initializers(q);
                Map<String, NodeProto> prod = producers(q);
                Map<String, Integer> readers = new HashMap<>();
                q.getGraph().getNodeList().forEach(n -> n.getInputList().forEach(i -> readers.merge(i, 1, Integer::sum)));
                long convs = fp32.getGraph().getNodeList().stream()
                        .filter(n -> n.getOpType().equals("Conv") || n.getOpType().equals("Gemm")).count();
                int seen = 0;
                for (NodeProto n : q.getGraph().getNodeList()) {
                    if (n.getOpType().equals("DequantizeLinear")) {
                        assertEquals(1, readers.getOrDefault(n.getOutput(0), 0), n.getName() + " must feed exactly one node");
                    }
                    if (n.getOpType().equals("QuantizeLinear")) {
                        TensorProto sc = init.get(n.getInput(1));
                        TensorProto zp = init.get(n.getInput(2));
                        assertEquals(0, sc.getDimsCount(), n.getName() + ": per-tensor scale");
                        assertTrue(QdqRewriter.floats(sc)[0] > 0, n.getName() + " scale " + QdqRewriter.floats(sc)[0]);
                        assertEquals(TensorProto.DataType.UINT8_VALUE, zp.getDataType(), n.getName());
                        NodeProto src = prod.get(n.getInput(0));
                        if (src != null && src.getOpType().equals("Relu")) {
                            // zero point 0 = uint8's least value: the quantization itself clamps at 0
                            assertEquals(0, bytes(zp)[0], n.getName() + " after a Relu");
                        }
                        activations++;
                    }
                    if (!n.getOpType().equals("Conv") && !n.getOpType().equals("Gemm")) {
                        continue;
                    }
                    seen++;
                    NodeProto xDq = prod.get(n.getInput(0));
                    assertEquals("DequantizeLinear", xDq.getOpType(), n.getName() + " input");
                    assertEquals("QuantizeLinear", prod.get(xDq.getInput(0)).getOpType(), n.getName() + " input");
                    NodeProto wDq = prod.get(n.getInput(1));
                    assertEquals("DequantizeLinear", wDq.getOpType(), n.getName() + " weight");
                    assertEquals(0, attr(wDq, "axis", 1), n.getName() + " weight axis");
                    TensorProto w = init.get(wDq.getInput(0));
                    TensorProto fw = fInit.get(wDq.getInput(0).replace(QdqRewriter.Q, ""));
                    assertEquals(TensorProto.DataType.INT8_VALUE, w.getDataType(), w.getName());
                    assertEquals(fw.getDimsList(), w.getDimsList(), w.getName());
                    int out = (int) w.getDims(0);
                    float[] scale = QdqRewriter.floats(init.get(wDq.getInput(1)));
                    TensorProto zp = init.get(wDq.getInput(2));
                    assertEquals(List.of((long) out), zp.getDimsList(), zp.getName());
                    assertEquals(TensorProto.DataType.INT8_VALUE, zp.getDataType(), zp.getName());
                    assertArrayEquals(new byte[out], bytes(zp), zp.getName() + ": symmetric");
                    byte[] qw = bytes(w);
                    float[] ref = QdqRewriter.floats(fw);
                    int per = qw.length / out;
                    for (int i = 0; i < qw.length; i++) {
                        float sc = scale[i / per];
                        assertTrue(sc > 0, w.getName() + " scale");
                        assertTrue(qw[i] >= -127, w.getName() + " uses -128");
                        assertTrue(Math.abs(qw[i] * sc - ref[i]) <= sc / 2 + 1e-7,
                                w.getName() + "[" + i + "]: " + qw[i] + " x " + sc + " vs " + ref[i]);
                    }
                    if (n.getInputCount() > 2) {
                        NodeProto bDq = prod.get(n.getInput(2));
                        TensorProto b = init.get(bDq.getInput(0));
                        assertEquals(TensorProto.DataType.INT32_VALUE, b.getDataType(), b.getName());
                        float inScale = QdqRewriter.floats(init.get(xDq.getInput(1)))[0];
                        float[] bScale = QdqRewriter.floats(init.get(bDq.getInput(1)));
                        float[] bRef = QdqRewriter.floats(fInit.get(bDq.getInput(0).replace(QdqRewriter.Q, "")));
                        int[] qb = ints(b);
                        for (int c = 0; c < out; c++) {
                            assertEquals(inScale * scale[c], bScale[c], 0f, b.getName() + " scale[" + c + "]");
                            assertEquals(bRef[c], qb[c] * bScale[c], bScale[c] / 2 + 1e-7, b.getName() + "[" + c + "]");
                        }
                        assertArrayEquals(new int[out], ints(init.get(bDq.getInput(2))), b.getName() + " zero point");
                    }
                    weights++;
                }
                assertEquals(convs, seen, a.key());
                // no float weight is left behind
                for (TensorProto t : q.getGraph().getInitializerList()) {
                    if (t.getName().endsWith(".weight")) {
                        throw new AssertionError("float weight left in the INT8 model: " + t.getName());
                    }
                }
            }
        }
        assertTrue(weights > 100 && activations > 100, weights + " weights, " + activations + " activations");
    }

    /** Op types of the graph ONNX Runtime runs after its optimisations (domain:op -> count). */
    static Map<String, Integer> optimizedOps(byte[] model, Path dir) throws Exception {
        Path opt = dir.resolve("optimized-" + System.nanoTime() + ".onnx");
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
            o.setOptimizedModelFilePath(opt.toString());
            o.setIntraOpNumThreads(1);
            OrtEnvironment.getEnvironment().createSession(model, o).close();
        }
        Map<String, Integer> ops = new TreeMap<>();
        for (NodeProto n : ModelProto.parseFrom(Files.readAllBytes(opt)).getGraph().getNodeList()) {
            ops.merge((n.getDomain().isEmpty() ? "" : n.getDomain() + ":") + n.getOpType(), 1, Integer::sum);
        }
        return ops;
    }

    @Test
    void onnxRuntimeRunsEveryConvGemmAddPoolAndSeScaleAsAnIntegerKernel(@TempDir Path dir) throws Exception {
        for (SearchSpace space : List.of(SearchSpace.fmnist(), OnnxExporterTest.smallOfa())) {
            ArchConfig a = space.max();
            Subnet s = RandomSubnets.create(space, a, 9);
            Map<String, Integer> fp32 = new TreeMap<>();
            OnnxExporter.toModel(s, Map.of(), LayerEmitter.H_SIGMOID_ALPHA).getGraph().getNodeList()
                    .forEach(n -> fp32.merge(n.getOpType(), 1, Integer::sum));
            byte[] q = Int8Exporter.toBytes(s, calibration(space, a, Int8Exporter.Method.MINMAX, 1), Map.of());
            Map<String, Integer> ops = optimizedOps(q, dir);
            String why = space.name() + ": FP32 " + fp32 + ", ORT runs " + ops;
            assertEquals(fp32.get("Conv"), ops.get("QLinearConv"), why);
            assertEquals(2, ops.get("com.microsoft:QGemm"), why);
            assertEquals(fp32.get("Add"), ops.get("com.microsoft:QLinearAdd"), why);
            assertEquals(fp32.get("GlobalAveragePool"), ops.get("com.microsoft:QLinearGlobalAveragePool"), why);
            assertEquals(fp32.get("Mul"), ops.get("com.microsoft:QLinearMul"), why);
            for (String floatOp : List.of("Conv", "Gemm", "Add", "GlobalAveragePool", "Relu")) {
                assertEquals(null, ops.get(floatOp), floatOp + " left in float: " + why);
            }
        }
    }

    @Test
    void int8LogitsStayCloseToFp32AndAgreeOnTop1() {
        int models = 0;
        double worstRatio = 0;
        for (SearchSpace space : List.of(SearchSpace.fmnist(), OnnxExporterTest.smallOfa())) {
            List<ArchConfig> archs = new ArrayList<>(List.of(space.max(), space.min()));
            SplittableRandom rng = new SplittableRandom(3);
            archs.add(space.sample(rng));
            for (int i = 0; i < archs.size(); i++) {
                ArchConfig a = archs.get(i);
                Subnet s = RandomSubnets.create(space, a, 40 + i);
                int c = space.inChannels();
                int r = a.resolution();
                int k = space.numClasses();
                float[] x = RandomSubnets.input(IMAGES, c, r, 1000 + i); // not the calibration images
                float[] ref;
                try (Verifier v = Verifier.open(OnnxExporter.toBytes(s, Map.of()))) {
                    ref = v.run(x, IMAGES, c, r, r).data();
                }
                double largest = 0;
                for (float f : ref) {
                    largest = Math.max(largest, Math.abs(f));
                }
                for (Int8Exporter.Method m : Int8Exporter.Method.values()) {
                    byte[] q = Int8Exporter.toBytes(s, calibration(space, a, m, 7 + i), Map.of());
                    float[] y;
                    try (Verifier v = Verifier.open(q)) {
                        y = v.run(x, IMAGES, c, r, r).data();
                    }
                    double diff = Verifier.compareArrays(y, ref, Double.MAX_VALUE).maxAbsDiff();
                    int agree = 0;
                    for (int j = 0; j < IMAGES; j++) {
                        agree += argmax(y, j, k) == argmax(ref, j, k) ? 1 : 0;
                    }
                    String what = space.name() + " " + a.key() + " " + m + ": max |INT8 - FP32| " + diff
                            + ", largest |logit| " + largest + ", top-1 agreement " + agree + "/" + IMAGES;
                    assertTrue(diff > 0, "INT8 gave exactly the FP32 logits, so nothing was quantized: " + what);
                    assertTrue(diff <= LOGIT_TOLERANCE * largest, what);
                    assertTrue(agree >= TOP1_AGREEMENT_FLOOR * IMAGES, what);
                    worstRatio = Math.max(worstRatio, diff / largest);
                    models++;
                }
            }
        }
        assertEquals(12, models);
        System.out.printf("INT8 vs FP32: worst max |diff| / largest |logit| = %.4f over %d models%n", worstRatio, models);
    }

    private static int argmax(float[] y, int row, int k) {
        int best = 0;
        for (int j = 1; j < k; j++) {
            if (y[row * k + j] > y[row * k + best]) {
                best = j;
            }
        }
        return best;
    }

    @Test
    void metadataRecordsPrecisionMethodAndCalibrationImages(@TempDir Path dir) throws Exception {
        SearchSpace space = SearchSpace.fmnist();
        ArchConfig a = space.min();
        Subnet s = RandomSubnets.create(space, a, 2);
        Path p = dir.resolve("p.onnx");
        Int8Exporter.export(s, p, calibration(space, a, Int8Exporter.Method.PERCENTILE, 11), Map.of("predicted.accuracy", "0.5"));
        Map<String, String> meta = OnnxExporter.readMetadata(p);
        assertEquals("int8", meta.get(Int8Exporter.META_PRECISION));
        assertEquals("percentile 99.99", meta.get(Int8Exporter.META_CALIBRATION_METHOD));
        assertEquals("64", meta.get(Int8Exporter.META_CALIBRATION_IMAGES));
        assertEquals("64 random images, seed 11", meta.get(Int8Exporter.META_CALIBRATION_SOURCE));
        assertEquals(Int8Exporter.SCHEME, meta.get(Int8Exporter.META_SCHEME));
        // the FP32 keys are all there too
        assertEquals(a.key(), meta.get(OnnxExporter.META_ARCH_KEY));
        assertEquals("0.5", meta.get("predicted.accuracy"));
        Path m = dir.resolve("m.onnx");
        Int8Exporter.export(s, m, calibration(space, a, Int8Exporter.Method.MINMAX, 11), Map.of());
        assertEquals("minmax", OnnxExporter.readMetadata(m).get(Int8Exporter.META_CALIBRATION_METHOD));
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(m));
        assertEquals(OnnxExporter.IR_VERSION, model.getIrVersion());
        assertEquals(OnnxExporter.OPSET, model.getOpsetImport(0).getVersion());
        assertTrue(model.getDocString().contains("minmax"), model.getDocString());
        // a quarter to a third of the FP32 file: int8 weights, int32 biases, float scales
        double ratio = (double) Files.size(m) / OnnxExporter.toBytes(s, Map.of()).length;
        assertTrue(ratio > 0.25 && ratio < 0.34, "INT8 / FP32 file size " + ratio);
    }

    @Test
    void percentileClipsAnOutlierThatMinMaxKeeps() {
        SearchSpace space = SearchSpace.fmnist();
        ArchConfig a = space.min();
        Subnet s = RandomSubnets.create(space, a, 4);
        float[] x = RandomSubnets.input(IMAGES, 1, a.resolution(), 5);
        x[17] = 60f; // one pixel of 25,600 far outside the others (|x| <= 3)
        Map<String, TensorProto> mm = initializers(Int8Exporter.toModel(s,
                Int8Exporter.Calibration.minMax(x, IMAGES, "outlier"), Map.of()));
        Map<String, TensorProto> pc = initializers(Int8Exporter.toModel(s,
                Int8Exporter.Calibration.percentile(99.99, x, IMAGES, "outlier"), Map.of()));
        String scale = OnnxExporter.INPUT_NAME + QdqRewriter.SCALE;
        float lo = Float.MAX_VALUE;
        for (float f : x) {
            lo = Math.min(lo, f);
        }
        assertEquals((60f - lo) / 255, QdqRewriter.floats(mm.get(scale))[0], 1e-6);
        // 99.99% of 25,600 values leaves 2.56 per tail: the outlier is clipped, the range is about 6
        float p = QdqRewriter.floats(pc.get(scale))[0];
        assertTrue(p > 4.0 / 255 && p < 8.0 / 255, "percentile input scale " + p);
    }

    @Test
    void percentileRangeReadsTheHistogramTails() {
        long[] h = new long[10];
        h[0] = 1; // one outlier at the bottom
        h[4] = 9_998;
        h[9] = 1; // one at the top
        double[] r = Int8Exporter.percentileRange(h, new double[] {-10, 10}, 99.99);
        // 0.01% of 10,000 is one value per tail: both outliers are cut, the range is bin 4's [-2, 0]
        assertArrayEquals(new double[] {-2, 0}, r, 1e-12);
        // at 100 nothing is cut: the exact min and max
        assertArrayEquals(new double[] {-10, 10}, Int8Exporter.percentileRange(h, new double[] {-10, 10}, 100), 0);
        // a constant tensor
        assertArrayEquals(new double[] {3, 3}, Int8Exporter.percentileRange(new long[] {5, 0}, new double[] {3, 3}, 99.9), 0);
    }

    @Test
    void activationParamsCoverTheRangeWithAnExactZero() {
        QdqRewriter.Params relu = QdqRewriter.Params.of(0, 6);
        assertEquals(0, relu.zeroPoint());
        assertEquals(6f / 255, relu.scale(), 0f);
        QdqRewriter.Params mixed = QdqRewriter.Params.of(-1, 3);
        assertEquals(4f / 255, mixed.scale(), 0f);
        assertEquals(64, mixed.zeroPoint()); // round(1 / (4 / 255)) = round(63.75)
        QdqRewriter.Params positive = QdqRewriter.Params.of(2, 5); // widened to [0, 5]
        assertEquals(0, positive.zeroPoint());
        assertEquals(5f / 255, positive.scale(), 0f);
        QdqRewriter.Params negative = QdqRewriter.Params.of(-5, -2); // widened to [-5, 0]
        assertEquals(255, negative.zeroPoint());
        QdqRewriter.Params zero = QdqRewriter.Params.of(0, 0);
        assertEquals(1f, zero.scale(), 0f);
        assertEquals(0, zero.zeroPoint());
    }

    @Test
    void badCalibrationAndMetadataAreRefusedNamingTheValue() {
        SearchSpace space = SearchSpace.fmnist();
        ArchConfig a = space.min();
        Subnet s = RandomSubnets.create(space, a, 2);
        float[] wrongSize = new float[2 * 28 * 28];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Int8Exporter.toBytes(s,
                Int8Exporter.Calibration.minMax(wrongSize, 2, "x"), Map.of()));
        assertTrue(e.getMessage().contains("2 x 1 x " + a.resolution() + " x " + a.resolution()) && e.getMessage()
                .contains("found 1568"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Int8Exporter.toBytes(s,
                calibration(space, a, Int8Exporter.Method.MINMAX, 1), Map.of(Int8Exporter.META_PRECISION, "fp32")));
        assertTrue(e.getMessage().contains("reserved key '" + Int8Exporter.META_PRECISION + "'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Int8Exporter.Calibration.percentile(40, new float[4], 1, "x"));
        assertEquals("percentile must be in (50, 100], found 40.0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Int8Exporter.Method.parse("entropy"));
        assertEquals("calibration method must be one of minmax, percentile; found 'entropy'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Int8Exporter.Calibration.minMax(new float[5], 2, "x"));
        assertTrue(e.getMessage().contains("found 2 images and 5 floats"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Int8Exporter.Calibration.minMax(new float[4], 1, " "));
        assertEquals("calibration source must be described, found ' '", e.getMessage());
    }
}
