package ofa4j.supernet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import ofa4j.models.ArchConfig;
import ofa4j.models.BlockChoice;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

class SupernetGradientTest {

    /** Gradient of every parameter as a float array (zeros when none arrived), arrays closed. */
    static float[] grad(Parameter p) {
        try (NDArray g = p.getArray().getGradient()) {
            return g.toFloatArray();
        }
    }

    static void backward(Supernet net, ArchConfig arch, long seed) {
        try (NDManager scope = net.manager().newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray x = TestSpaces.images(scope, 4, net.space().inChannels(), arch.resolution(), seed);
            NDArray logits = net.forward(scope, x, arch, true);
            NDArray target = scope.randomNormal(logits.getShape());
            gc.backward(logits.mul(target).sum());
        }
    }

    /** Arch of the tiny space: stage 0 depth 2 with slot 1 = K3E3, slot 2 = K7E6; stage 1 depth 4. */
    static ArchConfig arch(SearchSpace space) {
        List<BlockChoice> b = new ArrayList<>(space.max().blocks());
        b.set(0, new BlockChoice(3, 3));
        b.set(1, new BlockChoice(7, 6));
        b.set(4, new BlockChoice(5, 4));
        return space.validate(new ArchConfig(b, List.of(2, 4), 16));
    }

    @Test
    void gradientsLandOnlyInTheUsedSlices() {
        SearchSpace space = TestSpaces.tinyFmnist();
        try (Supernet net = Supernet.create(space, 3)) {
            TestSpaces.randomize(net, 4);
            ArchConfig arch = arch(space);
            backward(net, arch, 5);
            Map<String, Parameter> ps = net.trainableParameters();
            Set<String> used = net.usedParameters(arch);
            // slot 1 = stage 0 block 0 at K3 E3: in 8 channels -> hidden 24 of max 48
            int hidden = SearchSpace.hiddenWidth(space.firstBlockWidth(), 3);
            int maxHidden = SearchSpace.hiddenWidth(space.firstBlockWidth(), 6);
            assertTrue(hidden < maxHidden);
            float[] g = grad(ps.get("blocks.1.dw.weight"));
            int k = 7;
            double inside = 0;
            for (int c = 0; c < maxHidden; c++) {
                for (int y = 0; y < k; y++) {
                    for (int x = 0; x < k; x++) {
                        float v = g[(c * k + y) * k + x];
                        boolean inBox = c < hidden && y >= 1 && y <= 5 && x >= 1 && x <= 5;
                        if (inBox) {
                            inside += Math.abs(v);
                        } else {
                            assertEquals(0f, v, "dw grad outside the used box at c=" + c + " y=" + y + " x=" + x);
                        }
                    }
                }
            }
            assertTrue(inside > 0, "dw weight of the used channels must get a gradient");
            // kernel 3 uses both transforms, kernel 7 none
            assertTrue(TestSpaces.maxAbs(grad(ps.get("blocks.1.dw.ktrans.7to5"))) > 0);
            assertTrue(TestSpaces.maxAbs(grad(ps.get("blocks.1.dw.ktrans.5to3"))) > 0);
            assertEquals(0.0, TestSpaces.maxAbs(grad(ps.get("blocks.2.dw.ktrans.7to5"))));
            // slot 5 = stage 1 block 0 at K5: 7to5 only
            assertTrue(TestSpaces.maxAbs(grad(ps.get("blocks.5.dw.ktrans.7to5"))) > 0);
            assertEquals(0.0, TestSpaces.maxAbs(grad(ps.get("blocks.5.dw.ktrans.5to3"))));
            // expand conv: rows >= hidden get nothing; project: columns >= hidden get nothing
            float[] ge = grad(ps.get("blocks.1.expand.weight"));
            int in = space.firstBlockWidth();
            for (int i = hidden * in; i < maxHidden * in; i++) {
                assertEquals(0f, ge[i], "expand grad outside the used rows");
            }
            assertTrue(TestSpaces.maxAbs(java.util.Arrays.copyOf(ge, hidden * in)) > 0);
            // skipped blocks of stage 0 (slots 3, 4) get nothing
            for (String n : ps.keySet()) {
                float[] gn = grad(ps.get(n));
                if (n.startsWith("blocks.3.") || n.startsWith("blocks.4.")) {
                    assertFalse(used.contains(n), n);
                }
                if (!used.contains(n)) {
                    assertEquals(0.0, TestSpaces.maxAbs(gn), "unused parameter " + n + " got a gradient");
                } else {
                    assertTrue(TestSpaces.maxAbs(gn) > 0, "used parameter " + n + " got no gradient");
                }
            }
        }
    }
}
