package ofa4j.exporter;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import ofa4j.exporter.onnx.AttributeProto;
import ofa4j.exporter.onnx.GraphProto;
import ofa4j.exporter.onnx.NodeProto;
import ofa4j.exporter.onnx.TensorProto;

/**
 * Rewrites an INT8 graph of {@link QdqRewriter} (QDQ form) into ONNX's QOperator form, the form
 * OpenCV's DNN module (4.6, Debian's {@code python3-opencv}) imports and runs in int8: the same
 * int8 weights, int32 biases, scales and zero points, so the same integer arithmetic.
 *
 * <ul>
 *   <li>A {@code Conv} reading {@code DequantizeLinear}s of a quantized activation, an int8 weight
 *       and an int32 bias becomes a {@code QLinearConv} that reads the quantized activation and the
 *       integer initializers and writes the quantized value its output's {@code QuantizeLinear}
 *       wrote. A {@code Conv} whose only reader is a {@code Relu} writes the {@code Relu}'s
 *       quantized output (zero point 0: the saturation to 0 is the ReLU, as ONNX Runtime fuses it).
 *   <li>A {@code Gemm} (transB = 1) without bias whose output is quantized becomes a {@code
 *       QLinearMatMul} (weight transposed to [K, N], scale per column). The classifier's {@code
 *       Gemm}, whose logits stay float, stays a float {@code Gemm} over the dequantized input with
 *       its weight and bias dequantized ahead of time (in float32, as {@code DequantizeLinear}
 *       computes them): the value ONNX Runtime's fused kernel computes for the QDQ form.
 *   <li>Every other operator ({@code HardSwish}, {@code Add}, {@code GlobalAveragePool}, the SE gate,
 *       {@code Flatten}) stays float between the {@code DequantizeLinear} and {@code
 *       QuantizeLinear} of the QDQ form, which quantizes every value at the same points.
 * </ul>
 *
 * <p>OpenCV 4.6 decides which values are int8 by their names (the convention of ONNX Runtime's
 * quantization tool): a node output whose name ends in {@code quantized} is int8, and its scale and
 * zero point are the initializers named {@code <base>scale} and {@code <base>zero_point}. So every
 * quantized activation {@code t_quantized} gets {@code t_scale} and {@code t_zero_point} (copies of
 * its source's for a value that shares its source's quantization), and the float outputs of {@code
 * DequantizeLinear} are renamed from {@code t_dequantized} to {@code t_dq}: with their QDQ names
 * OpenCV took them for int8 and fed int8 data to float layers.
 */
final class QOperatorRewriter {

    /** Suffix of a float value read back from a quantized one (must not end in {@code quantized}). */
    static final String FLOAT = "_dq";

    /** Suffix of a transposed QLinearMatMul weight. */
    static final String TRANSPOSED = "_kn";

    /** Suffix of a weight or bias dequantized ahead of time. */
    static final String DEQUANTIZED_CONSTANT = "_float";

    private QOperatorRewriter() {}

    /**
     * Rewrites a QDQ graph into QOperator form.
     *
     * @param g a graph of {@link QdqRewriter#rewrite}
     * @param docString the new graph's doc string
     * @return the QOperator graph
     * @throws IllegalStateException if the graph is not of the form {@link QdqRewriter} writes
     */
    static GraphProto rewrite(GraphProto g, String docString) {
        Map<String, TensorProto> inits = new LinkedHashMap<>();
        g.getInitializerList().forEach(t -> inits.put(t.getName(), t));
        Map<String, NodeProto> producer = new HashMap<>();
        Map<String, List<NodeProto>> readers = QdqRewriter.consumers(g);
        Set<String> names = new HashSet<>(inits.keySet());
        g.getInputList().forEach(v -> names.add(v.getName()));
        for (NodeProto n : g.getNodeList()) {
            for (String o : n.getOutputList()) {
                producer.put(o, n);
                names.add(o);
            }
        }
        Set<String> graphOutputs = new HashSet<>();
        g.getOutputList().forEach(v -> graphOutputs.add(v.getName()));

        List<NodeProto> out = new ArrayList<>();
        List<TensorProto> newInits = new ArrayList<>();
        Set<NodeProto> dropped = new HashSet<>(); // Q and Relu nodes folded into a QLinear operator
        Map<String, String> renamed = new HashMap<>(); // DequantizeLinear output -> its new name
        for (NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("DequantizeLinear") && !inits.containsKey(n.getInput(0))) {
                String o = n.getOutput(0);
                int at = o.lastIndexOf(QdqRewriter.DQ);
                if (at < 0) {
                    throw new IllegalStateException("DequantizeLinear output '" + o + "' is not named *" + QdqRewriter.DQ);
                }
                renamed.put(o, QdqRewriter.claim(names, o.substring(0, at) + FLOAT + o.substring(at + QdqRewriter.DQ.length())));
            }
        }
        for (NodeProto n : g.getNodeList()) {
            if (dropped.contains(n)) {
                continue;
            }
            switch (n.getOpType()) {
                case "QuantizeLinear" -> out.add(quantize(n, inits, names, newInits));
                case "DequantizeLinear" -> {
                    if (!inits.containsKey(n.getInput(0))) { // weights and biases are read by the QLinear node
                        out.add(n.toBuilder().setOutput(0, renamed.get(n.getOutput(0))).build());
                    }
                }
                case "Conv" -> {
                    NodeProto q = quantize(quantizedOutput(n, readers, graphOutputs, inits, dropped), inits, names,
                            newInits);
                    out.add(qLinearConv(n, q, producer, inits));
                }
                case "Gemm" -> {
                    if (graphOutputs.contains(n.getOutput(0))) {
                        out.add(floatGemm(n, producer, inits, renamed, names, newInits));
                    } else {
                        NodeProto q = quantize(quantizedOutput(n, readers, graphOutputs, inits, dropped), inits,
                                names, newInits);
                        out.add(qLinearMatMul(n, q, producer, inits, names, newInits));
                    }
                }
                default -> {
                    NodeProto.Builder b = n.toBuilder();
                    for (int i = 0; i < n.getInputCount(); i++) {
                        String r = renamed.get(n.getInput(i));
                        if (r != null) {
                            b.setInput(i, r);
                        }
                    }
                    out.add(b.build());
                }
            }
        }
        // drop the DequantizeLinear nodes the QLinear operators made unused, then unused initializers
        Set<String> used = new HashSet<>();
        g.getOutputList().forEach(v -> used.add(v.getName()));
        List<NodeProto> kept = new ArrayList<>();
        for (int i = out.size() - 1; i >= 0; i--) {
            NodeProto n = out.get(i);
            if (n.getOpType().equals("DequantizeLinear") && !used.contains(n.getOutput(0))) {
                continue;
            }
            kept.add(0, n);
            used.addAll(n.getInputList());
        }
        GraphProto.Builder b = GraphProto.newBuilder().setName(g.getName()).setDocString(docString)
                .addAllInput(g.getInputList()).addAllOutput(g.getOutputList()).addAllNode(kept);
        for (TensorProto t : inits.values()) {
            if (used.contains(t.getName())) {
                b.addInitializer(t);
            }
        }
        for (TensorProto t : newInits) {
            if (used.contains(t.getName())) {
                b.addInitializer(t);
            }
        }
        return b.build();
    }

    /**
     * A {@code QuantizeLinear} whose scale and zero point are found under the names OpenCV derives
     * from its output ({@code t_quantized -> t_scale, t_zero_point}): copied there when the value
     * shares another's.
     */
    private static NodeProto quantize(NodeProto n, Map<String, TensorProto> inits, Set<String> names,
            List<TensorProto> newInits) {
        String o = n.getOutput(0);
        if (!o.endsWith(QdqRewriter.Q)) {
            throw new IllegalStateException("QuantizeLinear output '" + o + "' is not named *" + QdqRewriter.Q);
        }
        String base = o.substring(0, o.length() - QdqRewriter.Q.length());
        String s = base + QdqRewriter.SCALE;
        String z = base + QdqRewriter.ZERO_POINT;
        if (n.getInput(1).equals(s) && n.getInput(2).equals(z)) {
            return n;
        }
        newInits.add(inits.get(n.getInput(1)).toBuilder().setName(QdqRewriter.claim(names, s)).build());
        newInits.add(inits.get(n.getInput(2)).toBuilder().setName(QdqRewriter.claim(names, z)).build());
        return n.toBuilder().setInput(1, s).setInput(2, z).build();
    }

    /**
     * The {@code QuantizeLinear} that quantizes a weighted node's output: its only reader, or the
     * only reader of the {@code Relu} that is its only reader (that {@code Relu} and the {@code
     * QuantizeLinear} are added to {@code dropped}).
     */
    private static NodeProto quantizedOutput(NodeProto n, Map<String, List<NodeProto>> readers,
            Set<String> graphOutputs, Map<String, TensorProto> inits, Set<NodeProto> dropped) {
        List<NodeProto> r = readers.getOrDefault(n.getOutput(0), List.of());
        NodeProto relu = null;
        if (r.size() == 1 && r.get(0).getOpType().equals("Relu")) {
            relu = r.get(0);
            r = readers.getOrDefault(relu.getOutput(0), List.of());
        }
        if (r.size() != 1 || !r.get(0).getOpType().equals("QuantizeLinear")
                || graphOutputs.contains(n.getOutput(0))) {
            throw new IllegalStateException("output of " + n.getOpType() + " " + n.getName()
                    + " is not quantized by one QuantizeLinear (readers: " + r.stream().map(NodeProto::getOpType).toList()
                    + ")");
        }
        NodeProto q = r.get(0);
        if (relu != null) {
            TensorProto z = inits.get(q.getInput(2));
            if (z == null || z.getDataType() != TensorProto.DataType.UINT8_VALUE || z.getRawData().byteAt(0) != 0) {
                throw new IllegalStateException("ReLU output of " + n.getName()
                        + " does not have the uint8 zero point 0 that lets the saturation be the ReLU");
            }
            dropped.add(relu);
        }
        dropped.add(q);
        return q;
    }

    /** The {@code QuantizeLinear} behind a {@code DequantizeLinear} output read by {@code n}. */
    private static NodeProto quantizedInput(NodeProto n, int i, Map<String, NodeProto> producer) {
        NodeProto dq = producer.get(n.getInput(i));
        if (dq == null || !dq.getOpType().equals("DequantizeLinear")) {
            throw new IllegalStateException("input " + i + " of " + n.getName() + " is not dequantized");
        }
        return dq;
    }

    private static NodeProto qLinearConv(NodeProto n, NodeProto q, Map<String, NodeProto> producer,
            Map<String, TensorProto> inits) {
        NodeProto x = quantizedInput(n, 0, producer);
        NodeProto w = quantizedInput(n, 1, producer);
        NodeProto.Builder b = NodeProto.newBuilder().setOpType("QLinearConv").setName(n.getName())
                .addAllInput(x.getInputList()).addAllInput(w.getInputList()).addInput(q.getInput(1))
                .addInput(q.getInput(2)).addOutput(q.getOutput(0)).addAllAttribute(n.getAttributeList());
        if (n.getInputCount() > 2) {
            NodeProto bias = quantizedInput(n, 2, producer);
            TensorProto bq = inits.get(bias.getInput(0));
            if (bq == null || bq.getDataType() != TensorProto.DataType.INT32_VALUE) {
                throw new IllegalStateException("bias of " + n.getName() + " is not an int32 initializer");
            }
            b.addInput(bias.getInput(0));
        }
        return b.build();
    }

    private static NodeProto qLinearMatMul(NodeProto n, NodeProto q, Map<String, NodeProto> producer,
            Map<String, TensorProto> inits, Set<String> names, List<TensorProto> newInits) {
        requireTransB(n);
        if (n.getInputCount() > 2) {
            throw new IllegalStateException("Gemm " + n.getName() + " has a bias and a quantized output:"
                    + " QLinearMatMul takes no bias");
        }
        NodeProto x = quantizedInput(n, 0, producer);
        NodeProto w = quantizedInput(n, 1, producer);
        TensorProto wq = inits.get(w.getInput(0));
        int rows = (int) wq.getDims(0);
        int cols = (int) wq.getDims(1);
        byte[] src = wq.getRawData().toByteArray();
        byte[] t = new byte[src.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = src[r * cols + c];
            }
        }
        String name = QdqRewriter.claim(names, w.getInput(0) + TRANSPOSED);
        newInits.add(QdqRewriter.int8Tensor(name, new int[] {cols, rows}, t));
        return NodeProto.newBuilder().setOpType("QLinearMatMul").setName(n.getName()).addAllInput(x.getInputList())
                .addInput(name).addInput(w.getInput(1)).addInput(w.getInput(2)).addInput(q.getInput(1))
                .addInput(q.getInput(2)).addOutput(q.getOutput(0)).build();
    }

    private static NodeProto floatGemm(NodeProto n, Map<String, NodeProto> producer, Map<String, TensorProto> inits,
            Map<String, String> renamed, Set<String> names, List<TensorProto> newInits) {
        requireTransB(n);
        NodeProto.Builder b = n.toBuilder().setInput(0, renamed.get(quantizedInput(n, 0, producer).getOutput(0)));
        for (int i = 1; i < n.getInputCount(); i++) {
            NodeProto dq = quantizedInput(n, i, producer);
            TensorProto v = inits.get(dq.getInput(0));
            float[] s = QdqRewriter.floats(inits.get(dq.getInput(1)));
            float[] d = dequantize(v, s);
            int[] dims = new int[v.getDimsCount()];
            for (int k = 0; k < dims.length; k++) {
                dims[k] = (int) v.getDims(k);
            }
            String name = QdqRewriter.claim(names, dq.getInput(0) + DEQUANTIZED_CONSTANT);
            newInits.add(QdqRewriter.floatTensor(name, dims, d));
            b.setInput(i, name);
        }
        return b.build();
    }

    /** {@code q * scale[row]} in float32, as {@code DequantizeLinear} (axis 0, zero point 0) computes it. */
    static float[] dequantize(TensorProto q, float[] scale) {
        ByteBuffer raw = q.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        boolean int32 = q.getDataType() == TensorProto.DataType.INT32_VALUE;
        if (!int32 && q.getDataType() != TensorProto.DataType.INT8_VALUE) {
            throw new IllegalStateException("initializer '" + q.getName() + "' is neither int8 nor int32");
        }
        int n = raw.remaining() / (int32 ? Integer.BYTES : 1);
        int per = n / scale.length;
        float[] d = new float[n];
        for (int j = 0; j < n; j++) {
            int v = int32 ? raw.getInt(j * Integer.BYTES) : raw.get(j);
            d[j] = (float) v * scale[j / per];
        }
        return d;
    }

    private static void requireTransB(NodeProto n) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals("transB") && a.getI() == 1) {
                return;
            }
        }
        throw new IllegalStateException("Gemm " + n.getName() + " is not transB = 1");
    }
}
