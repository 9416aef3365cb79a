package ofa4j.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import ofa4j.exporter.onnx.ModelProto;
import ofa4j.exporter.onnx.NodeProto;
import ofa4j.exporter.onnx.TensorProto;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.models.testing.RandomSubnets;
import org.junit.jupiter.api.Test;

/**
 * The QOperator form of an INT8 model: one integer operator per conv and weighted linear layer with
 * the QDQ model's very integer weights, the names OpenCV DNN 4.6 reads int8 values by, the
 * metadata, and one clear refusal of a model that is not an INT8 QDQ model.
 */
class QOperatorRewriterTest {

    @Test
    void everyConvBecomesAQLinearConvWithTheQdqModelsIntegerWeights() throws Exception {
        SearchSpace space = OnnxExporterTest.smallOfa(); // squeeze-excite, h-swish, residuals
        ArchConfig a = space.max();
        Subnet s = RandomSubnets.create(space, a, 9);
        byte[] qdq = Int8Exporter.toBytes(s, Int8ExporterTest.calibration(space, a, Int8Exporter.Method.MINMAX, 2),
                Map.of("predicted.accuracy", "0.5"));
        ModelProto q = ModelProto.parseFrom(qdq);
        ModelProto o = ModelProto.parseFrom(Int8Exporter.toQOperator(qdq));

        Map<String, Integer> before = count(q);
        Map<String, Integer> after = count(o);
        assertEquals(before.get("Conv"), after.get("QLinearConv"));
        assertEquals(null, after.get("Conv"));
        assertEquals(1, after.get("QLinearMatMul")); // feature mix
        assertEquals(1, after.get("Gemm")); // the classifier, float logits
        assertEquals(before.get("HardSwish"), after.get("HardSwish"));
        assertEquals(before.get("Add"), after.get("Add"));
        // a Relu after a conv is the saturation of the conv's uint8 output (zero point 0)
        assertEquals(null, after.get("Relu"));
        assertTrue(before.get("Relu") > 0);

        Map<String, TensorProto> qInits = initializers(q);
        Map<String, TensorProto> oInits = initializers(o);
        Set<String> outputs = new HashSet<>();
        for (NodeProto n : o.getGraph().getNodeList()) {
            String out = n.getOutput(0);
            outputs.add(out);
            if (out.endsWith("quantized")) {
                // OpenCV 4.6: an output named *quantized is int8, its scale and zero point are <base>scale, <base>zero_point
                assertTrue(Set.of("QuantizeLinear", "QLinearConv", "QLinearMatMul").contains(n.getOpType()), out);
                String base = out.substring(0, out.length() - "quantized".length());
                assertEquals(TensorProto.DataType.FLOAT_VALUE, oInits.get(base + "scale").getDataType(), out);
                assertEquals(TensorProto.DataType.UINT8_VALUE, oInits.get(base + "zero_point").getDataType(), out);
                assertEquals(oInits.get(base + "scale"), oInits.get(n.getInput(n.getOpType().equals("QuantizeLinear") ? 1 : 6))
                        .toBuilder().setName(base + "scale").build(), out);
            }
            if (n.getOpType().equals("DequantizeLinear")) {
                assertFalse(oInits.containsKey(n.getInput(0)), "weights are read by the QLinear nodes: " + n.getName());
            }
            if (n.getOpType().equals("QLinearConv")) {
                // the int8 weight and int32 bias are the QDQ model's own
                assertEquals(qInits.get(n.getInput(3)), oInits.get(n.getInput(3)));
                assertEquals(qInits.get(n.getInput(4)), oInits.get(n.getInput(4)));
                assertEquals(qInits.get(n.getInput(8)), oInits.get(n.getInput(8)));
                assertEquals(TensorProto.DataType.INT8_VALUE, oInits.get(n.getInput(3)).getDataType());
                assertEquals(TensorProto.DataType.INT32_VALUE, oInits.get(n.getInput(8)).getDataType());
            }
            if (n.getOpType().equals("QLinearMatMul")) {
                TensorProto w = oInits.get(n.getInput(3));
                TensorProto src = qInits.get(n.getInput(3).substring(0, n.getInput(3).length() - QOperatorRewriter.TRANSPOSED.length()));
                assertEquals(src.getDims(0), w.getDims(1)); // [N, K] -> [K, N]
                assertEquals(src.getDims(1), w.getDims(0));
                int k = (int) src.getDims(1);
                assertEquals(src.getRawData().byteAt(1 * k + 2), w.getRawData().byteAt(2 * (int) src.getDims(0) + 1));
            }
        }
        assertEquals(outputs.size(), o.getGraph().getNodeCount()); // one output per node, SSA
        assertTrue(o.getGraph().getInitializerList().stream().allMatch(t -> used(o, t.getName())), "unused initializers");

        Map<String, String> meta = OnnxExporter.readMetadata(o.toByteArray());
        assertEquals(Int8Exporter.FORM_QOPERATOR, meta.get(Int8Exporter.META_FORM));
        assertEquals(Int8Exporter.QOPERATOR_SCHEME, meta.get(Int8Exporter.META_SCHEME));
        assertEquals("int8", meta.get(Int8Exporter.META_PRECISION));
        assertEquals("0.5", meta.get("predicted.accuracy"));
        assertEquals(Int8Exporter.FORM_QDQ, OnnxExporter.readMetadata(qdq).get(Int8Exporter.META_FORM));
        assertTrue(o.getDocString().contains(Int8Exporter.QOPERATOR_SCHEME), o.getDocString());
        // 25-30% of the FP32 size, as the QDQ model (the classifier's float weights are small)
        double ratio = (double) o.getSerializedSize() / q.getSerializedSize();
        assertTrue(ratio > 0.95 && ratio < 1.1, "QOperator / QDQ bytes " + ratio);
    }

    @Test
    void refusesAModelThatIsNotInt8Qdq() {
        SearchSpace space = SearchSpace.fmnist();
        byte[] fp32 = OnnxExporter.toBytes(RandomSubnets.create(space, space.min(), 1), Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Int8Exporter.toQOperator(fp32));
        assertEquals("toQOperator needs an INT8 model in QDQ form (ofa4j.int8.form = qdq, or no form and the QDQ scheme,"
                + " with ofa4j.precision = int8), found ofa4j.precision = null, ofa4j.int8.form = null", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Int8Exporter.toQOperator(new byte[] {1, 2, 3}));
        assertTrue(e.getMessage().startsWith("not an ONNX model: "), e.getMessage());
    }

    /** INT8 files written before the form was recorded (no {@code ofa4j.int8.form}) are recognised by their scheme. */
    @Test
    void rewritesAnInt8FileWrittenBeforeTheFormWasRecorded() throws Exception {
        SearchSpace space = SearchSpace.fmnist();
        ArchConfig a = space.min();
        byte[] qdq = Int8Exporter.toBytes(RandomSubnets.create(space, a, 4),
                Int8ExporterTest.calibration(space, a, Int8Exporter.Method.MINMAX, 3), Map.of());
        ModelProto.Builder old = ModelProto.parseFrom(qdq).toBuilder();
        for (int i = old.getMetadataPropsCount() - 1; i >= 0; i--) {
            if (old.getMetadataProps(i).getKey().equals(Int8Exporter.META_FORM)) {
                old.removeMetadataProps(i);
            }
        }
        byte[] earlier = old.build().toByteArray();
        assertEquals(null, OnnxExporter.readMetadata(earlier).get(Int8Exporter.META_FORM));
        byte[] qop = Int8Exporter.toQOperator(earlier);
        assertEquals(ModelProto.parseFrom(Int8Exporter.toQOperator(qdq)).getGraph(), ModelProto.parseFrom(qop).getGraph());
        assertEquals(Int8Exporter.FORM_QOPERATOR, OnnxExporter.readMetadata(qop).get(Int8Exporter.META_FORM));
        assertEquals(Int8Exporter.QOPERATOR_SCHEME, OnnxExporter.readMetadata(qop).get(Int8Exporter.META_SCHEME));
    }

    private static boolean used(ModelProto m, String name) {
        return m.getGraph().getNodeList().stream().anyMatch(n -> n.getInputList().contains(name));
    }

    private static Map<String, Integer> count(ModelProto m) {
        Map<String, Integer> c = new HashMap<>();
        m.getGraph().getNodeList().forEach(n -> c.merge(n.getOpType(), 1, Integer::sum));
        return c;
    }

    private static Map<String, TensorProto> initializers(ModelProto m) {
        Map<String, TensorProto> out = new HashMap<>();
        m.getGraph().getInitializerList().forEach(t -> out.put(t.getName(), t));
        return out;
    }
}
