package ofa4j.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.models.testing.RandomSubnets;
import org.junit.jupiter.api.Test;

class VerifierTest {

    private static byte[] minModel() {
        SearchSpace space = SearchSpace.fmnist();
        Subnet s = RandomSubnets.create(space, space.min(), 4);
        return OnnxExporter.toBytes(s, Map.of());
    }

    @Test
    void badInputShapesAreRefusedWithTheShapes() {
        try (Verifier v = Verifier.open(minModel())) {
            assertEquals("input", v.inputName());
            assertEquals(1, v.threads());
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> v.run(new float[400], 1, 1, 24, 24));
            assertTrue(e.getMessage().contains("[-1, 1, 20, 20]") && e.getMessage().contains("[1, 1, 24, 24]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> v.run(new float[399], 1, 1, 20, 20));
            assertTrue(e.getMessage().contains("needs 400 values, found 399"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> v.run(new float[400], 1, 20, 20));
            assertTrue(e.getMessage().contains("rank 4"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> v.medianLatencyMs(1, 0, 0));
            assertTrue(e.getMessage().contains("repeats >= 1"), e.getMessage());
        }
    }

    @Test
    void garbageBytesAndBadThreadsAreRefused() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Verifier.open(new byte[] {1, 2, 3, 4}));
        assertTrue(e.getMessage().startsWith("ONNX Runtime refused the model"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Verifier.open(minModel(), 0));
        assertTrue(e.getMessage().contains("intraOpThreads must be >= 1, found 0"), e.getMessage());
    }

    @Test
    void comparisonReportsTheWorstValue() {
        Verifier.Comparison c = Verifier.compareArrays(new float[] {1f, 2f, 3f}, new float[] {1f, 2.5f, 3f}, 1e-4);
        assertFalse(c.passed());
        assertEquals(0.5, c.maxAbsDiff(), 1e-9);
        assertEquals(1, c.worstIndex());
        assertTrue(c.report().startsWith("FAIL: max |ORT - reference| = 5.000e-01 > 1.0e-04 over 3 values"), c.report());
        Verifier.Comparison ok = Verifier.compareArrays(new float[] {1f}, new float[] {1.00001f}, 1e-4);
        assertTrue(ok.passed(), ok.report());
        assertFalse(Verifier.compareArrays(new float[] {Float.NaN}, new float[] {1f}, 1e-4).passed());
        assertFalse(Verifier.compareArrays(new float[] {1f}, new float[] {1f, 2f}, 1e-4).passed());
    }

    @Test
    void runIsDeterministicAndBatchRowsAreIndependent() {
        byte[] model = minModel();
        float[] x = RandomSubnets.input(3, 1, 20, 8);
        try (Verifier v = Verifier.open(model, 2)) {
            float[] a = v.run(x, 3, 1, 20, 20).data();
            float[] b = v.run(x, 3, 1, 20, 20).data();
            assertEquals(30, a.length);
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 0);
            }
            float[] second = java.util.Arrays.copyOfRange(x, 400, 800);
            float[] row = v.run(second, 1, 1, 20, 20).data();
            for (int k = 0; k < 10; k++) {
                assertEquals(a[10 + k], row[k], 1e-5);
            }
        }
    }
}
