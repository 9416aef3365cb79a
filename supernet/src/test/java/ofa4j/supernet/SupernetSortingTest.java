package ofa4j.supernet;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.nn.Parameter;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

class SupernetSortingTest {

    static double[] importance(float[] project, int out, int hidden) {
        double[] imp = new double[hidden];
        for (int o = 0; o < out; o++) {
            for (int h = 0; h < hidden; h++) {
                imp[h] += Math.abs(project[o * hidden + h]);
            }
        }
        return imp;
    }

    void check(SearchSpace space) {
        try (Supernet net = Supernet.create(space, 21)) {
            TestSpaces.randomize(net, 22);
            ArchConfig max = space.max();
            ArchConfig small = space.uniform(5, space.expandRatios().get(0), space.maxDepth(), space.maxResolution());
            float[] before = SupernetExtractionTest.supernetLogits(net, max, 1);
            float[] smallBefore = SupernetExtractionTest.supernetLogits(net, small, 1);
            Map<String, Parameter> ps = net.trainableParameters();
            float[] dwBefore = ps.get("blocks.1.dw.weight").getArray().toFloatArray();
            net.sortChannels();
            float[] after = SupernetExtractionTest.supernetLogits(net, max, 1);
            float[] smallAfter = SupernetExtractionTest.supernetLogits(net, small, 1);
            double d = TestSpaces.maxAbsDiff(before, after);
            assertTrue(d <= 1e-5, "max subnet changed by " + d + " after sorting");
            assertTrue(TestSpaces.maxAbsDiff(dwBefore, ps.get("blocks.1.dw.weight").getArray().toFloatArray()) > 0,
                    "sorting must reorder the dw channels");
            assertTrue(TestSpaces.maxAbsDiff(smallBefore, smallAfter) > 1e-4,
                    "a narrow subnet must see other channels after sorting");
            // importance is descending in every elastic block; SE units too
            for (int slot = 1; slot < net.network().blocks().size(); slot++) {
                long[] s = ps.get("blocks." + slot + ".project.weight").getArray().getShape().getShape();
                double[] imp = importance(
                        ps.get("blocks." + slot + ".project.weight").getArray().toFloatArray(), (int) s[0], (int) s[1]);
                for (int i = 1; i < imp.length; i++) {
                    assertTrue(imp[i - 1] >= imp[i], "block " + slot + " channel " + i + " not sorted");
                }
                Parameter se = ps.get("blocks." + slot + ".se.expand.weight");
                if (se != null) {
                    long[] es = se.getArray().getShape().getShape();
                    float[] w = se.getArray().toFloatArray();
                    double[] u = new double[(int) es[1]];
                    for (int h = 0; h < es[0]; h++) {
                        for (int r = 0; r < es[1]; r++) {
                            u[r] += Math.abs(w[(int) (h * es[1] + r)]);
                        }
                    }
                    for (int i = 1; i < u.length; i++) {
                        assertTrue(u[i - 1] >= u[i], "SE unit " + i + " of block " + slot + " not sorted");
                    }
                }
            }
        }
    }

    @Test
    void sortingKeepsTheMaxSubnetAndReordersChannelsTinyFmnist() {
        check(TestSpaces.tinyFmnist());
    }

    @Test
    void sortingKeepsTheMaxSubnetAndReordersChannelsSmallOfa() {
        check(TestSpaces.smallOfa());
    }
}
