package ofa4j.exporter;

import static ofa4j.exporter.OnnxGraph.intAttr;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import ofa4j.exporter.onnx.GraphProto;
import ofa4j.exporter.onnx.NodeProto;
import ofa4j.exporter.onnx.TensorProto;

/**
 * Rewrites a float graph of {@link OnnxExporter} into ONNX's QDQ form: {@code QuantizeLinear} /
 * {@code DequantizeLinear} pairs around activations and {@code DequantizeLinear} after integer
 * weights, the form ONNX Runtime's QDQ transformers fuse into integer kernels ({@code QLinearConv},
 * {@code QGemm}, {@code QLinearAdd}...).
 *
 * <ul>
 *   <li>Weights of {@code Conv} and {@code Gemm} (input 1): int8, per output channel (axis 0),
 *       symmetric: scale {@code max|w| / 127}, zero point 0, values in [-127, 127].
 *   <li>Their biases (input 2): int32 with scale {@code s_input * s_weight[c]} and zero point 0, as
 *       {@code QLinearConv} takes them. A channel whose bias would not fit in 2^30 steps (a folded
 *       BN with a near-zero gamma leaves tiny weights and a large bias) gets a coarser weight scale.
 *   <li>Activations: uint8, per tensor, asymmetric over the calibrated range {@code [lo, hi]},
 *       which is widened to hold 0 so that 0 is exact: scale {@code (hi - lo) / 255}, zero point
 *       {@code round(-lo / scale)}. Every value a node reads is quantized: the graph input and every
 *       node output except the logits (kept float) and a {@code Conv} output read only by a {@code
 *       Relu} (the {@code Relu} output is quantized with zero point 0, so ONNX Runtime drops the
 *       {@code Relu} and fuses {@code Conv}, {@code Relu} and quantization into one kernel).
 *       {@code Resize} and {@code Flatten} only move values, so their outputs reuse their input's
 *       scale and zero point. A quantized value has one {@code QuantizeLinear} and one {@code
 *       DequantizeLinear} per reader: ONNX Runtime fuses a node only with {@code DequantizeLinear}s
 *       that feed it alone.
 * </ul>
 *
 * <p>Activations are uint8 rather than int8 because ONNX Runtime on x86 turns int8 activations
 * into uint8 itself, but only where a {@code QuantizeLinear} has a single reader: a value read
 * twice (a residual input, the squeeze-excite input) stayed int8 while its neighbours became
 * uint8, and every node between mixed types was left in float (21 of 68 convs, every {@code Add}).
 */
final class QdqRewriter {

    /** Suffix of the output of an activation's {@code QuantizeLinear}. */
    static final String Q = "_quantized";

    /** Suffix of the output of a {@code DequantizeLinear}. */
    static final String DQ = "_dequantized";

    /** Suffix of a scale initializer. */
    static final String SCALE = "_scale";

    /** Suffix of a zero-point initializer. */
    static final String ZERO_POINT = "_zero_point";

    /** Largest |bias / bias scale| allowed: 2^30, half of int32's range, so that accumulation keeps headroom. */
    static final double BIAS_LIMIT = 1 << 30;

    /** Operators whose input 1 is a weight and input 2 an optional bias. */
    private static final Set<String> WEIGHTED = Set.of("Conv", "Gemm");

    /** Operators whose output holds the values of their input 0, moved: they share its quantization. */
    private static final Set<String> MOVERS = Set.of("Resize", "Flatten");

    private QdqRewriter() {}

    /**
     * Which values of a float graph are quantized.
     *
     * @param quantized every quantized activation, in graph order (graph input first)
     * @param calibrated those whose range is calibrated (the others share their source's)
     * @param sharedWith a mover's output to the value whose scale and zero point it reuses
     */
    record Plan(List<String> quantized, List<String> calibrated, Map<String, String> sharedWith) {}

    /**
     * Works out which activations of a graph are quantized.
     *
     * @param g a float graph of {@link OnnxExporter}
     * @return the plan
     */
    static Plan plan(GraphProto g) {
        Set<String> inits = new HashSet<>();
        g.getInitializerList().forEach(t -> inits.add(t.getName()));
        Set<String> outputs = new HashSet<>();
        g.getOutputList().forEach(v -> outputs.add(v.getName()));
        Map<String, List<NodeProto>> consumers = consumers(g);
        Set<String> quantized = new LinkedHashSet<>();
        List<String> calibrated = new ArrayList<>();
        Map<String, String> shared = new LinkedHashMap<>();
        for (var in : g.getInputList()) {
            quantized.add(in.getName());
            calibrated.add(in.getName());
        }
        for (NodeProto n : g.getNodeList()) {
            for (String o : n.getOutputList()) {
                if (outputs.contains(o) || inits.contains(o)) {
                    continue;
                }
                List<NodeProto> c = consumers.getOrDefault(o, List.of());
                if (n.getOpType().equals("Conv") && c.size() == 1 && c.get(0).getOpType().equals("Relu")) {
                    continue;
                }
                if (MOVERS.contains(n.getOpType()) && quantized.contains(n.getInput(0))) {
                    String src = n.getInput(0);
                    shared.put(o, shared.getOrDefault(src, src));
                } else {
                    calibrated.add(o);
                }
                quantized.add(o);
            }
        }
        return new Plan(List.copyOf(quantized), List.copyOf(calibrated), shared);
    }

    /** The nodes reading each value of a graph, in node order. */
    static Map<String, List<NodeProto>> consumers(GraphProto g) {
        Map<String, List<NodeProto>> m = new HashMap<>();
        for (NodeProto n : g.getNodeList()) {
            for (String i : n.getInputList()) {
                m.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
            }
        }
        return m;
    }

    /**
     * Scale and zero point of a uint8 activation over a calibrated range.
     *
     * @param scale the scale, > 0
     * @param zeroPoint the zero point in [0, 255]
     */
    record Params(float scale, int zeroPoint) {

        /**
         * Uint8 parameters covering {@code [lo, hi]} widened to hold 0.
         *
         * @param lo lowest value to represent
         * @param hi highest value to represent
         * @return the parameters
         */
        static Params of(double lo, double hi) {
            if (!Double.isFinite(lo) || !Double.isFinite(hi) || lo > hi) {
                throw new IllegalArgumentException("activation range must be finite with lo <= hi, found [" + lo + ", "
                        + hi + "]");
            }
            lo = Math.min(lo, 0);
            hi = Math.max(hi, 0);
            float scale = (float) ((hi - lo) / 255);
            if (!(scale > 0) || !Float.isFinite(scale)) {
                scale = 1f; // an all-zero tensor: any positive scale represents it exactly
            }
            long zp = Math.round(-lo / scale);
            return new Params(scale, (int) Math.max(0, Math.min(255, zp)));
        }
    }

    /**
     * Rewrites a float graph into QDQ form.
     *
     * @param g the float graph
     * @param plan from {@link #plan}
     * @param ranges calibrated {@code [lo, hi]} of every value of {@link Plan#calibrated}
     * @param docString the new graph's doc string
     * @return the QDQ graph
     */
    static GraphProto rewrite(GraphProto g, Plan plan, Map<String, double[]> ranges, String docString) {
        Map<String, TensorProto> inits = new LinkedHashMap<>();
        g.getInitializerList().forEach(t -> inits.put(t.getName(), t));
        Set<String> names = new HashSet<>(inits.keySet());
        g.getInputList().forEach(v -> names.add(v.getName()));
        g.getNodeList().forEach(n -> names.addAll(n.getOutputList()));

        Map<String, Params> params = new LinkedHashMap<>();
        for (String t : plan.calibrated()) {
            double[] r = ranges.get(t);
            if (r == null) {
                throw new IllegalStateException("no calibrated range for '" + t + "'");
            }
            params.put(t, Params.of(r[0], r[1]));
        }
        Set<String> quantized = new HashSet<>(plan.quantized());
        Set<String> weightsDone = new HashSet<>();

        GraphProto.Builder out = GraphProto.newBuilder().setName(g.getName()).setDocString(docString)
                .addAllInput(g.getInputList()).addAllOutput(g.getOutputList());
        List<TensorProto> newInits = new ArrayList<>();
        // scale and zero point of calibrated activations
        for (Map.Entry<String, Params> e : params.entrySet()) {
            newInits.add(floatTensor(claim(names, e.getKey() + SCALE), new int[0], new float[] {e.getValue().scale()}));
            newInits.add(uint8Tensor(claim(names, e.getKey() + ZERO_POINT), new int[0],
                    new byte[] {(byte) e.getValue().zeroPoint()}));
        }
        Map<String, List<NodeProto>> consumers = consumers(g);
        for (var in : g.getInputList()) {
            quantize(out, names, in.getName(), plan, consumers);
        }
        Set<String> replaced = new HashSet<>();
        for (NodeProto n : g.getNodeList()) {
            NodeProto.Builder b = n.toBuilder();
            boolean weighted = WEIGHTED.contains(n.getOpType());
            for (int i = 0; i < n.getInputCount(); i++) {
                String in = n.getInput(i);
                if (weighted && i == 1) {
                    if (!weightsDone.add(in)) {
                        throw new IllegalStateException("weight '" + in + "' is read by two nodes");
                    }
                    String x = n.getInput(0);
                    if (!quantized.contains(x)) {
                        throw new IllegalStateException("input '" + x + "' of " + n.getName() + " is not quantized");
                    }
                    float inScale = params.get(source(plan, x)).scale();
                    TensorProto bias = n.getInputCount() > 2 ? inits.get(n.getInput(2)) : null;
                    float[] wScale = quantizeWeight(out, newInits, names, inits.get(in), bias, inScale);
                    b.setInput(1, in + DQ);
                    replaced.add(in);
                    if (bias != null) {
                        quantizeBias(out, newInits, names, bias, inScale, wScale);
                        b.setInput(2, bias.getName() + DQ);
                        replaced.add(bias.getName());
                    }
                    i = n.getInputCount();
                } else if (quantized.contains(in)) {
                    b.setInput(i, dequantized(in, consumers, n));
                }
            }
            out.addNode(b);
            for (String o : n.getOutputList()) {
                if (quantized.contains(o)) {
                    quantize(out, names, o, plan, consumers);
                }
            }
        }
        for (TensorProto t : inits.values()) {
            if (!replaced.contains(t.getName())) {
                out.addInitializer(t);
            }
        }
        return out.addAllInitializer(newInits).build();
    }

    /** The value whose scale and zero point {@code t} uses. */
    static String source(Plan plan, String t) {
        return plan.sharedWith().getOrDefault(t, t);
    }

    /**
     * Adds {@code t -> QuantizeLinear -> t_quantized} and one {@code DequantizeLinear} per consumer
     * of {@code t}: {@code t_dequantized} for the first, {@code t_dequantized_1}... for the others.
     * ONNX Runtime fuses a node with its {@code DequantizeLinear} inputs only when no other node
     * reads them (a shared one left every residual {@code Add} and squeeze-excite in float).
     */
    private static void quantize(GraphProto.Builder out, Set<String> names, String t, Plan plan,
            Map<String, List<NodeProto>> consumers) {
        String src = source(plan, t);
        String s = src + SCALE;
        String z = src + ZERO_POINT;
        String q = claim(names, t + Q);
        out.addNode(NodeProto.newBuilder().setOpType("QuantizeLinear").setName(q).addInput(t).addInput(s)
                .addInput(z).addOutput(q));
        List<NodeProto> readers = consumers.getOrDefault(t, List.of());
        for (int k = 0; k < Math.max(1, readers.size()); k++) {
            String dq = claim(names, t + DQ + (k == 0 ? "" : "_" + k));
            out.addNode(NodeProto.newBuilder().setOpType("DequantizeLinear").setName(dq).addInput(q).addInput(s)
                    .addInput(z).addOutput(dq));
        }
    }

    /** The name of the {@code DequantizeLinear} output that {@code reader} reads {@code t} from. */
    private static String dequantized(String t, Map<String, List<NodeProto>> consumers, NodeProto reader) {
        List<NodeProto> readers = consumers.get(t);
        int k = readers.indexOf(reader);
        if (k < 0) {
            throw new IllegalStateException("node " + reader.getName() + " does not read '" + t + "'");
        }
        return t + DQ + (k == 0 ? "" : "_" + k);
    }

    /**
     * Replaces a float weight by an int8 initializer and its per-channel {@code DequantizeLinear}.
     *
     * @return the per-channel weight scales
     */
    private static float[] quantizeWeight(GraphProto.Builder out, List<TensorProto> inits, Set<String> names,
            TensorProto w, TensorProto bias, float inScale) {
        float[] data = floats(w);
        int channels = (int) w.getDims(0);
        int per = data.length / channels;
        float[] bias32 = bias == null ? null : floats(bias);
        float[] scale = new float[channels];
        byte[] q = new byte[data.length];
        for (int c = 0; c < channels; c++) {
            double max = 0;
            for (int j = 0; j < per; j++) {
                max = Math.max(max, Math.abs(data[c * per + j]));
            }
            double s = max / 127;
            if (bias32 != null) {
                // the bias must fit in BIAS_LIMIT steps of inScale * s
                s = Math.max(s, Math.abs(bias32[c]) / (inScale * BIAS_LIMIT));
            }
            scale[c] = s > 0 ? (float) s : 1f;
            for (int j = 0; j < per; j++) {
                long v = Math.round(data[c * per + j] / (double) scale[c]);
                q[c * per + j] = (byte) Math.max(-127, Math.min(127, v));
            }
        }
        String name = w.getName();
        int[] dims = dims(w);
        inits.add(int8Tensor(claim(names, name + Q), dims, q));
        inits.add(floatTensor(claim(names, name + SCALE), new int[] {channels}, scale));
        inits.add(int8Tensor(claim(names, name + ZERO_POINT), new int[] {channels}, new byte[channels]));
        String dq = claim(names, name + DQ);
        out.addNode(NodeProto.newBuilder().setOpType("DequantizeLinear").setName(dq).addInput(name + Q)
                .addInput(name + SCALE).addInput(name + ZERO_POINT).addOutput(dq).addAttribute(intAttr("axis", 0)));
        return scale;
    }

    /** Replaces a float bias by an int32 initializer with scale {@code inScale * wScale[c]}. */
    private static void quantizeBias(GraphProto.Builder out, List<TensorProto> inits, Set<String> names,
            TensorProto bias, float inScale, float[] wScale) {
        float[] b = floats(bias);
        float[] scale = new float[b.length];
        int[] q = new int[b.length];
        for (int c = 0; c < b.length; c++) {
            scale[c] = inScale * wScale[c];
            double v = Math.rint(b[c] / (double) scale[c]);
            if (!(Math.abs(v) <= Integer.MAX_VALUE)) {
                throw new IllegalStateException("bias '" + bias.getName() + "'[" + c + "] = " + b[c]
                        + " does not fit int32 at scale " + scale[c]);
            }
            q[c] = (int) v;
        }
        String name = bias.getName();
        inits.add(int32Tensor(claim(names, name + Q), new int[] {b.length}, q));
        inits.add(floatTensor(claim(names, name + SCALE), new int[] {b.length}, scale));
        inits.add(int32Tensor(claim(names, name + ZERO_POINT), new int[] {b.length}, new int[b.length]));
        String dq = claim(names, name + DQ);
        out.addNode(NodeProto.newBuilder().setOpType("DequantizeLinear").setName(dq).addInput(name + Q)
                .addInput(name + SCALE).addInput(name + ZERO_POINT).addOutput(dq).addAttribute(intAttr("axis", 0)));
    }

    /** Adds a new value name to those a graph uses; a name used twice is a bug of the rewriter. */
    static String claim(Set<String> names, String name) {
        if (!names.add(name)) {
            throw new IllegalStateException("value name '" + name + "' is used twice");
        }
        return name;
    }

    // ------------------------------------------------------------------ tensors

    static float[] floats(TensorProto t) {
        if (t.getDataType() != OnnxGraph.FLOAT) {
            throw new IllegalStateException("initializer '" + t.getName() + "' is not float32");
        }
        ByteBuffer bb = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] d = new float[bb.remaining() / Float.BYTES];
        bb.asFloatBuffer().get(d);
        return d;
    }

    private static int[] dims(TensorProto t) {
        int[] d = new int[t.getDimsCount()];
        for (int i = 0; i < d.length; i++) {
            d[i] = (int) t.getDims(i);
        }
        return d;
    }

    private static TensorProto.Builder header(String name, int[] dims, int type) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type);
        for (int d : dims) {
            t.addDims(d);
        }
        return t;
    }

    static TensorProto floatTensor(String name, int[] dims, float[] v) {
        ByteBuffer bb = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(v);
        return header(name, dims, OnnxGraph.FLOAT).setRawData(ByteString.copyFrom(bb.array())).build();
    }

    static TensorProto int8Tensor(String name, int[] dims, byte[] v) {
        return header(name, dims, TensorProto.DataType.INT8_VALUE).setRawData(ByteString.copyFrom(v)).build();
    }

    static TensorProto uint8Tensor(String name, int[] dims, byte[] v) {
        return header(name, dims, TensorProto.DataType.UINT8_VALUE).setRawData(ByteString.copyFrom(v)).build();
    }

    static TensorProto int32Tensor(String name, int[] dims, int[] v) {
        ByteBuffer bb = ByteBuffer.allocate(v.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bb.asIntBuffer().put(v);
        return header(name, dims, TensorProto.DataType.INT32_VALUE).setRawData(ByteString.copyFrom(bb.array())).build();
    }
}
