package ofa4j.exporter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import ofa4j.exporter.onnx.ModelProto;
import ofa4j.models.Activation;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import ofa4j.models.testing.RandomSubnets;
import org.junit.jupiter.api.Test;

class LayerModelTest {

    /** Layers of the fmnist max and min nets: every kind, SE and plain, residual and strided blocks. */
    static List<LayerSpec> allLayers() {
        SearchSpace space = SearchSpace.fmnist();
        List<LayerSpec> out = new ArrayList<>(space.layers(space.max()));
        out.addAll(space.layers(space.min()));
        return out;
    }

    private static boolean linear(LayerSpec l) {
        return l.kind() == LayerSpec.Kind.FEATURE_MIX || l.kind() == LayerSpec.Kind.CLASSIFIER;
    }

    @Test
    void layerModelRunsInOrtWithTheRightOutputShapeForEveryLayer() {
        Set<LayerSpec.Kind> kinds = EnumSet.noneOf(LayerSpec.Kind.class);
        boolean sawSe = false;
        boolean sawResidual = false;
        boolean sawStrided = false;
        boolean sawNoExpand = false;
        for (LayerSpec l : allLayers()) {
            byte[] model = OnnxExporter.layerModel(l, 7);
            // the batch is dynamic (-1 in the model), run here with batch 2
            long[] inShape =
                    linear(l)
                            ? new long[] {2, l.inChannels()}
                            : new long[] {2, l.inChannels(), l.inResolution(), l.inResolution()};
            long[] want =
                    linear(l)
                            ? new long[] {2, l.outChannels()}
                            : new long[] {2, l.outChannels(), l.outResolution(), l.outResolution()};
            int n = 1;
            for (long d : inShape) {
                n *= (int) d;
            }
            try (Verifier v = Verifier.open(model)) {
                long[] declared = inShape.clone();
                declared[0] = -1;
                assertArrayEquals(declared, v.inputShape(), l.key());
                Verifier.Output out = v.run(RandomSubnets.input(1, n, 1, 3), inShape);
                assertArrayEquals(want, out.shape(), l.key());
                double max = 0;
                for (float f : out.data()) {
                    assertTrue(Float.isFinite(f), l.key());
                    max = Math.max(max, Math.abs(f));
                }
                assertTrue(max > 0, l.key() + " output is all zero");
                assertTrue(v.medianLatencyMs(1, 1, 3) > 0, l.key());
                assertTrue(v.medianLatencyMs(4, 1, 3) > 0, l.key());
            }
            kinds.add(l.kind());
            sawSe |= l.se();
            sawResidual |= l.residual();
            sawStrided |= l.kind() == LayerSpec.Kind.BLOCK && l.stride() == 2;
            sawNoExpand |= l.kind() == LayerSpec.Kind.BLOCK && l.expand() == 1;
        }
        assertEquals(EnumSet.allOf(LayerSpec.Kind.class), kinds);
        assertTrue(sawSe && sawResidual && sawStrided && sawNoExpand);
    }

    @Test
    void layerModelUsesTheWholeModelNodes() throws Exception {
        LayerSpec se =
                allLayers().stream().filter(LayerSpec::se).findFirst().orElseThrow();
        ModelProto m = ModelProto.parseFrom(OnnxExporter.layerModel(se, 1));
        List<String> ops = m.getGraph().getNodeList().stream().map(n -> n.getOpType()).toList();
        String act = se.activation() == Activation.RELU ? "Relu" : "HardSwish";
        List<String> want = new ArrayList<>(List.of("Conv", act, "Conv", act, "GlobalAveragePool", "Conv", "Relu", "Conv",
                "HardSigmoid", "Resize", "Mul", "Conv"));
        if (se.residual()) {
            want.add("Add");
        }
        assertEquals(want, ops);
        assertEquals(OnnxExporter.IR_VERSION, m.getIrVersion());
        assertEquals(OnnxExporter.OPSET, m.getOpsetImport(0).getVersion());
        assertEquals(se.key(), m.getMetadataProps(0).getValue());
        // the same seed gives the same model, another seed other weights
        assertArrayEquals(OnnxExporter.layerModel(se, 1), OnnxExporter.layerModel(se, 1));
        assertFalse(java.util.Arrays.equals(OnnxExporter.layerModel(se, 1), OnnxExporter.layerModel(se, 2)));
    }

    @Test
    void layerModelRejectsInconsistentLayers() {
        LayerSpec block = allLayers().stream().filter(l -> l.kind() == LayerSpec.Kind.BLOCK && l.residual()).findFirst().orElseThrow();
        LayerSpec evenKernel =
                new LayerSpec(block.kind(), block.blockIndex(), block.inResolution(), block.inChannels(),
                        block.hiddenChannels(), block.outChannels(), 4, 1, block.activation(), block.se(),
                        block.seChannels(), block.expand(), block.residual(), false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.layerModel(evenKernel, 1));
        assertTrue(e.getMessage().contains("kernel") && e.getMessage().contains("found 4"), e.getMessage());

        LayerSpec zero =
                new LayerSpec(block.kind(), block.blockIndex(), 0, block.inChannels(), block.hiddenChannels(),
                        block.outChannels(), 3, 1, block.activation(), false, 0, block.expand(), block.residual(), false);
        e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.layerModel(zero, 1));
        assertTrue(e.getMessage().contains("inResolution") && e.getMessage().contains("found 0"), e.getMessage());

        LayerSpec stridedResidual =
                new LayerSpec(block.kind(), block.blockIndex(), 8, block.inChannels(), block.hiddenChannels(),
                        block.outChannels(), 3, 2, block.activation(), false, 0, block.expand(), true, false);
        e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.layerModel(stridedResidual, 1));
        assertTrue(e.getMessage().contains("residual") && e.getMessage().contains("stride 2"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.layerModel(null, 1));
        assertTrue(e.getMessage().contains("null"), e.getMessage());
    }
}
