package ofa4j.supernet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

class SupernetMemoryTest {

    static int count(NDManager m) {
        return ((BaseNDManager) m).getManagedArrays().size();
    }

    /** Slices made in the parameters' manager would pile up there (DJL notes, pitfall 6). */
    @Test
    void stepsLeaveNoArraysBehindInTheParameterManager() {
        SearchSpace space = TestSpaces.tinyFmnist();
        SplittableRandom rng = new SplittableRandom(1);
        try (Supernet net = Supernet.create(space, 1)) {
            int start = count(net.manager());
            for (int step = 0; step < 12; step++) {
                ArchConfig arch = step % 3 == 0 ? space.min() : space.sample(rng);
                try (NDManager scope = net.manager().newSubManager();
                        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray x = TestSpaces.images(scope, 2, 1, arch.resolution(), step);
                    gc.backward(net.forward(scope, x, arch, true).sum());
                    for (String n : net.usedParameters(arch)) {
                        Parameter p = net.trainableParameters().get(n);
                        p.getArray().getGradient().close();
                    }
                }
                try (NDManager scope = net.manager().newSubManager()) {
                    net.forward(scope, TestSpaces.images(scope, 2, 1, arch.resolution(), step), arch, false);
                }
                net.extract(arch);
            }
            net.extractCalibrated(space.max(), TestSpaces.randomSet(8, 1, 16, 10, 2), 8, new float[] {0.5f},
                    new float[] {0.3f}, 1);
            assertEquals(start, count(net.manager()), "arrays left in the parameter manager");
        }
    }

    /** A forward in a child scope must not leave arrays in the manager that owns the input batch. */
    @Test
    void forwardInAChildScopeLeavesNothingInTheBatchManager() {
        SearchSpace space = TestSpaces.tinyFmnist();
        try (Supernet net = Supernet.create(space, 1);
                NDManager step = net.manager().newSubManager()) {
            NDArray x = TestSpaces.images(step, 2, 1, 16, 1);
            int before = count(step);
            for (boolean training : new boolean[] {true, false}) {
                for (boolean cl : new boolean[] {true, false}) {
                    try (NDManager sub = step.newSubManager()) {
                        net.forward(sub, x, space.max(), training, cl);
                    }
                    assertEquals(before, count(step), "training=" + training + " channelsLast=" + cl);
                }
            }
        }
    }
}
