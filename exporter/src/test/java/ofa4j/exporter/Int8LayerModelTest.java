package ofa4j.exporter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import ofa4j.exporter.onnx.ModelProto;
import ofa4j.exporter.onnx.TensorProto;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.models.testing.RandomSubnets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The INT8 timing model of a layer: it reads and writes the values a layer reads and writes inside
 * a whole INT8 model (uint8 between layers, float image in and float logits out) and ONNX Runtime
 * runs the same integer kernels for it as for that layer inside the whole model.
 */
class Int8LayerModelTest {

    private static boolean linear(LayerSpec l) {
        return l.kind() == LayerSpec.Kind.FEATURE_MIX || l.kind() == LayerSpec.Kind.CLASSIFIER;
    }

    @Test
    void layerModelsReadAndWriteUint8BetweenLayersAndRunInOrt() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (LayerSpec l : LayerModelTest.allLayers()) {
            ModelProto m = ModelProto.parseFrom(Int8Exporter.layerModel(l, 7));
            int in = m.getGraph().getInput(0).getType().getTensorType().getElemType();
            int out = m.getGraph().getOutput(0).getType().getTensorType().getElemType();
            assertEquals(l.kind() == LayerSpec.Kind.STEM ? TensorProto.DataType.FLOAT_VALUE : TensorProto.DataType.UINT8_VALUE,
                    in, l.key());
            assertEquals(l.kind() == LayerSpec.Kind.CLASSIFIER ? TensorProto.DataType.FLOAT_VALUE
                    : TensorProto.DataType.UINT8_VALUE, out, l.key());
            long[] shape = linear(l) ? new long[] {2, l.inChannels()}
                    : new long[] {2, l.inChannels(), l.inResolution(), l.inResolution()};
            long[] want = linear(l) ? new long[] {2, l.outChannels()}
                    : new long[] {2, l.outChannels(), l.outResolution(), l.outResolution()};
            int n = 1;
            for (long d : shape) {
                n *= (int) d;
            }
            try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                    OrtSession s = env.createSession(m.toByteArray(), o);
                    OnnxTensor x = in == TensorProto.DataType.FLOAT_VALUE
                            ? OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[n]), shape)
                            : OnnxTensor.createTensor(env, ByteBuffer.wrap(new byte[n]), shape, OnnxJavaType.UINT8);
                    OrtSession.Result r = s.run(Map.of(s.getInputNames().iterator().next(), x))) {
                TensorInfo info = (TensorInfo) r.get(0).getInfo();
                assertArrayEquals(want, info.getShape(), l.key());
                assertEquals(out == TensorProto.DataType.FLOAT_VALUE ? OnnxJavaType.FLOAT : OnnxJavaType.UINT8, info.type,
                        l.key());
            }
        }
    }

    @Test
    void onnxRuntimeRunsTheLayersIntegerKernelsAsInTheWholeModel(@TempDir Path dir) throws Exception {
        SearchSpace space = SearchSpace.fmnist();
        for (var a : List.of(space.max(), space.min())) {
            Subnet s = RandomSubnets.create(space, a, 9);
            byte[] whole = Int8Exporter.toBytes(s, Int8ExporterTest.calibration(space, a, Int8Exporter.Method.MINMAX, 1),
                    Map.of());
            Map<String, Integer> wholeOps = Int8ExporterTest.optimizedOps(whole, dir);
            Map<String, Integer> layerOps = new TreeMap<>();
            for (LayerSpec l : space.layers(a)) {
                Map<String, Integer> ops = Int8ExporterTest.optimizedOps(Int8Exporter.layerModel(l, 3), dir);
                for (String floatOp : List.of("Conv", "Gemm", "Add", "Relu", "GlobalAveragePool")) {
                    assertNull(ops.get(floatOp), floatOp + " left in float in " + l.key() + ": " + ops);
                }
                ops.forEach((k, v) -> layerOps.merge(k, v, Integer::sum));
            }
            String why = a.key() + ": whole model runs " + wholeOps + ", its layers " + layerOps;
            // the same kernels, node for node: only the whole model's pooling before the feature mix belongs to no layer
            for (String op : List.of("QuantizeLinear", "DequantizeLinear", "HardSigmoid", "Mul", "Resize", "QLinearConv", "com.microsoft:QGemm", "com.microsoft:QLinearAdd",
                    "com.microsoft:QLinearMul", "com.microsoft:QLinearSigmoid", "com.microsoft:QLinearGlobalAveragePool")) {
                int wanted = wholeOps.getOrDefault(op, 0)
                        - (op.equals("com.microsoft:QLinearGlobalAveragePool") ? 1 : 0);
                assertEquals(wanted, layerOps.getOrDefault(op, 0), op + " — " + why);
            }
            assertTrue(wholeOps.getOrDefault("QLinearConv", 0) > 5, why);
            System.out.println(why);
        }
    }
}
