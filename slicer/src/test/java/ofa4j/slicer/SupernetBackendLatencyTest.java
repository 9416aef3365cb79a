package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import ofa4j.exporter.OnnxExporter;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.TestSpaces;
import ofa4j.supernet.data.DataSplits;
import org.junit.jupiter.api.Test;

/** A specialised subnet is timed in the engine of its device profile: ONNX Runtime or PyTorch. */
class SupernetBackendLatencyTest {

    @Test
    void timesInTheProfilesEngineAndBatch() throws Exception {
        SearchSpace space = TestSpaces.tinyFmnist();
        try (Supernet net = Supernet.create(space, 1)) {
            DataSplits data = new DataSplits(
                    TestSpaces.randomSet(40, 1, 28, 10, 1), TestSpaces.randomSet(20, 1, 28, 10, 2),
                    TestSpaces.randomSet(20, 1, 28, 10, 3), new float[] {0.3f}, new float[] {0.3f});
            SupernetBackend backend = new SupernetBackend(net, data, 20, 10);
            Subnet sub = net.extract(space.max());
            byte[] onnx = OnnxExporter.toBytes(sub, Map.of());
            double ort1 = backend.latencyMs(onnx, sub, new Specialiser.LocalTiming("here", 1, 1));
            double pt1 = backend.latencyMs(onnx, sub, new Specialiser.LocalTiming("here-pt", "pytorch", 1, 1));
            double pt256 = backend.latencyMs(onnx, sub, new Specialiser.LocalTiming("here-pt-b256", "pytorch", 1, 256));
            System.out.printf("tiny max subnet: ORT b1 %.3f ms, PyTorch b1 %.3f ms, PyTorch b256 %.3f ms%n", ort1, pt1, pt256);
            assertTrue(ort1 > 0 && pt1 > 0);
            // the batch is honoured: 256 images take longer than one (a tiny net's batch-1 time is
            // mostly per-call overhead, so a small batch would not show it)
            assertTrue(pt256 > pt1, pt1 + " vs " + pt256);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Specialiser.LocalTiming("x", "tvm", 1, 1));
        assertTrue(e.getMessage().contains("'tvm'") && e.getMessage().contains("pytorch"), e.getMessage());
        assertEquals("onnxruntime", new Specialiser.LocalTiming("x", 1, 1).engine());
    }
}
