package ofa4j.supernet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.DataSplits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fine-tuning a subnet: it trains, and an interrupted fine-tune resumed ends where an uninterrupted one does. */
class FineTunerTest {

    private static double maxDiff(Subnet a, Subnet b) {
        double d = 0;
        for (var e : a.tensors().entrySet()) {
            float[] x = e.getValue().data();
            float[] y = b.tensors().get(e.getKey()).data();
            for (int i = 0; i < x.length; i++) {
                d = Math.max(d, Math.abs(x[i] - y[i]));
            }
        }
        return d;
    }

    @Test
    void anInterruptedFineTuneResumedEndsWhereAnUninterruptedOneDoes(@TempDir Path dir) throws Exception {
        SearchSpace space = TinyRuns.tinySpace(List.of(20));
        DataSplits data = TinyRuns.noiseSplits(48, 1);
        FineTuner.Settings s = new FineTuner.Settings(2, 16, 0.05, 1.0, 0.1, 3e-5, 3);
        try (Supernet net = Supernet.create(space, 5)) {
            ArchConfig a = space.min();
            Subnet start = net.extractCalibrated(a, data.train(), 32, data.mean(), data.std(), 1);
            Subnet teacher = net.extractCalibrated(space.max(), data.train(), 32, data.mean(), data.std(), 1);
            FineTuner.Result whole = FineTuner.run(teacher, start, data, s, dir.resolve("whole"), false, null);
            assertEquals(2, whole.state().epochsDone());
            assertEquals(2, whole.state().history().size());
            assertEquals(0, whole.resumedFrom());
            assertTrue(maxDiff(start, whole.subnet()) > 1e-4, "fine-tuning changed no weight");
            // only the last epoch's files stay
            assertEquals(List.of("finetune-state.json", "optimizer-e2.bin", "subnet-e2.bin"),
                    Files.list(dir.resolve("whole")).map(p -> p.getFileName().toString()).sorted().toList());

            FineTuner.Result first = FineTuner.run(teacher, start, data, s, dir.resolve("cut"), false, null, 1);
            assertEquals(1, first.state().epochsDone());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> FineTuner.run(teacher, start, data, s, dir.resolve("cut"), false, null));
            assertTrue(e.getMessage().contains("already holds a fine-tune; use --resume"), e.getMessage());
            FineTuner.Settings other = new FineTuner.Settings(3, 16, 0.05, 1.0, 0.1, 3e-5, 3);
            e = assertThrows(IllegalArgumentException.class,
                    () -> FineTuner.run(teacher, start, data, other, dir.resolve("cut"), true, null));
            assertTrue(e.getMessage().contains("is of subnet " + a.key()), e.getMessage());
            FineTuner.Result resumed = FineTuner.run(teacher, start, data, s, dir.resolve("cut"), true, null);
            assertEquals(1, resumed.resumedFrom());
            assertEquals(2, resumed.state().epochsDone());
            double d = maxDiff(whole.subnet(), resumed.subnet());
            assertTrue(d < 1e-5, "resumed fine-tune differs by " + d);
            assertEquals(whole.state().history().get(1).trainLoss(), resumed.state().history().get(1).trainLoss(), 1e-5);
        }
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> new FineTuner.Settings(0, 16, 0.05, 1.0, 0.1, 0, 1));
        assertEquals("--epochs must be in [1, 1000], found 0", bad.getMessage());
    }
}
