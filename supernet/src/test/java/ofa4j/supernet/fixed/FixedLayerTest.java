package ofa4j.supernet.fixed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.models.Tensor;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.TestSpaces;
import org.junit.jupiter.api.Test;

/** A subnet's layers run one by one as {@link FixedLayer}s compute the {@link FixedNetwork}'s logits. */
class FixedLayerTest {

    @Test
    void chainedLayersEqualTheNetwork() {
        for (SearchSpace space : new SearchSpace[] {TestSpaces.tinyFmnist(), TestSpaces.smallOfa()}) {
            try (Supernet net = Supernet.create(space, 3)) {
                TestSpaces.randomize(net, 4);
                SplittableRandom rng = new SplittableRandom(5);
                List<ArchConfig> archs = new ArrayList<>(List.of(space.max(), space.min()));
                for (int i = 0; i < 4; i++) {
                    archs.add(space.sample(rng));
                }
                for (ArchConfig arch : archs) {
                    Subnet sub = net.extract(arch);
                    try (FixedNetwork f = new FixedNetwork(sub); NDManager m = NDManager.newBaseManager()) {
                        NDArray x = TestSpaces.images(m, 2, space.inChannels(), arch.resolution(), 9);
                        float[] want = f.forward(m, x).toFloatArray();
                        NDArray y = x;
                        for (LayerSpec l : sub.layers()) {
                            try (FixedLayer layer = new FixedLayer(l, sub.tensors())) {
                                assertEquals(layer.inputShape(2), y.getShape(), l.describe());
                                y = layer.forward(m, y);
                            }
                        }
                        float[] got = y.toFloatArray();
                        assertTrue(TestSpaces.maxAbs(want) > 0.5, "logits must not vanish");
                        assertTrue(TestSpaces.maxAbsDiff(want, got) <= 1e-5,
                                "layer chain differs from the network by " + TestSpaces.maxAbsDiff(want, got)
                                        + " for " + arch.key());
                    }
                }
            }
        }
    }

    @Test
    void missingOrMisshapedTensorsAndWrongInputsAreRefused() {
        SearchSpace space = TestSpaces.tinyFmnist();
        try (Supernet net = Supernet.create(space, 3)) {
            Subnet sub = net.extract(space.max());
            LayerSpec block = sub.layers().get(2);
            Map<String, Tensor> t = new HashMap<>(sub.tensors());
            String dw = "blocks." + block.blockIndex() + ".dw.weight";
            t.put(dw, new Tensor(new int[] {1, 1, 3, 3}, new float[9]));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new FixedLayer(block, t));
            assertTrue(e.getMessage().contains(dw) && e.getMessage().contains("[1, 1, 3, 3]"), e.getMessage());
            t.remove(dw);
            e = assertThrows(IllegalArgumentException.class, () -> new FixedLayer(block, t));
            assertTrue(e.getMessage().contains(dw) && e.getMessage().contains("none"), e.getMessage());
            try (FixedLayer l = new FixedLayer(block, sub.tensors()); NDManager m = NDManager.newBaseManager()) {
                NDArray bad = m.zeros(new ai.djl.ndarray.types.Shape(1, block.inChannels() + 1, 4, 4));
                e = assertThrows(IllegalArgumentException.class, () -> l.forward(m, bad));
                assertTrue(e.getMessage().contains("(1, " + (block.inChannels() + 1) + ", 4, 4)"), e.getMessage());
            }
        }
    }
}
