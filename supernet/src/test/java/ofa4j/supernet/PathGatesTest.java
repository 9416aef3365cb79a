package ofa4j.supernet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

/** {@link Supernet#forwardGated}: gates of 1 change nothing, their gradients are the loss's slopes, running statistics stay. */
class PathGatesTest {

    private final SearchSpace space = TestSpaces.tinyFmnist();

    private static double loss(Supernet net, NDManager m, NDArray x, ArchConfig a, float blockGate, int gated) {
        try (NDManager s = m.newSubManager()) {
            NDArray g = s.create(new float[] {blockGate});
            NDArray y = net.forwardGated(s, x, a, (index, layer) -> index == gated ? g : null);
            return y.square().mean().getFloat();
        }
    }

    @Test
    void unitGatesChangeNothingAndTheirGradientsAreTheLossSlopes() {
        try (Supernet net = Supernet.create(space, 1); NDManager m = NDManager.newBaseManager()) {
            TestSpaces.randomize(net, 3);
            Map<String, float[]> before = new LinkedHashMap<>();
            net.runningStatistics().forEach((k, v) -> before.put(k, v.toFloatArray()));
            ArchConfig a = space.sample(new SplittableRandom(4), space.kernels(), space.expandRatios(), space.depths(),
                    space.resolutions());
            NDArray x = TestSpaces.images(m, 8, 1, a.resolution(), 5);
            float[] plain = net.forwardGated(m, x, a, null).toFloatArray();
            int blocks = (int) space.layers(a).stream().filter(l -> l.kind() == LayerSpec.Kind.BLOCK).count();
            NDArray[] gates = new NDArray[blocks];
            for (int i = 0; i < blocks; i++) {
                gates[i] = m.create(new float[] {1f});
                gates[i].setRequiresGradient(true);
            }
            NDArray out = m.create(new float[] {1f});
            out.setRequiresGradient(true);
            float[] gated;
            try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = net.forwardGated(s, x, a, new PathGates() {
                    @Override
                    public NDArray block(int index, LayerSpec layer) {
                        return gates[index];
                    }

                    @Override
                    public NDArray logits() {
                        return out;
                    }
                });
                gated = y.toFloatArray();
                gc.backward(y.square().mean());
            }
            assertArrayEquals(plain, gated, 1e-5f);
            // d/dg mean((g y)^2) at g = 1 is 2 mean(y^2)
            double l0 = loss(net, m, x, a, 1f, -1);
            assertEquals(2 * l0, out.getGradient().getFloat(), 1e-3 * l0);
            for (int b : new int[] {0, blocks - 1}) {
                double eps = 1e-3;
                double fd = (loss(net, m, x, a, (float) (1 + eps), b) - loss(net, m, x, a, (float) (1 - eps), b)) / (2 * eps);
                double ad = gates[b].getGradient().getFloat();
                assertEquals(fd, ad, 5e-2 * Math.abs(fd) + 1e-4, "block " + b + ": finite difference " + fd + ", autograd " + ad);
                assertTrue(Math.abs(ad) > 0, "block " + b);
            }
            net.runningStatistics().forEach((k, v) -> assertArrayEquals(before.get(k), v.toFloatArray(), 0f, k));
        }
    }
}
