package ofa4j.supernet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rows of a real run's metrics.jsonl load, and are written back byte for byte. */
class EpochMetricsTest {

    @TempDir Path tmp;

    @Test
    void realRowsLoadWithTheirValues() throws IOException {
        List<EpochMetrics> rows = EpochMetrics.readLog(CheckpointManifestTest.fixture("metrics-quick.jsonl"));
        assertEquals(4, rows.size());
        EpochMetrics first = rows.get(0);
        assertEquals("full", first.phase());
        assertEquals(0, first.epoch());
        assertEquals(156, first.globalStep());
        assertEquals(1.3894888972624755, first.loss(), 0.0);
        assertEquals(0.5719150641025641, first.trainAcc(), 0.0);
        assertEquals(0.09871056426181052, first.lrEnd(), 0.0);
        assertNull(first.evaluation(), "the first epoch was not scored");
        EpochMetrics scored = rows.get(2);
        assertEquals(5, scored.epoch());
        assertEquals(0.88, scored.valAccMax(), 0.0);
        assertEquals(0.854, scored.valAccMin(), 0.0);
        assertEquals(500, scored.evalImages());
        assertEquals("r20-k7e6.k7e6.k7e6.k7e6|k7e6.k7e6.k7e6.k7e6|k7e6.k7e6.k7e6.k7e6|k7e6.k7e6.k7e6.k7e6",
                scored.minArch());
        assertEquals("kernel", rows.get(3).phase());
        assertEquals(1, rows.get(3).phaseIndex());
        assertEquals("phase 1/6 full, epoch 6: loss 0.782, train 86.6%, val max 88.0% min 85.4%, 481 img/s, 241 s",
                scored.describe(6));
    }

    @Test
    void rowsAreWrittenBackByteForByte() throws IOException {
        Path fixture = CheckpointManifestTest.fixture("metrics-quick.jsonl");
        Path f = tmp.resolve("metrics.jsonl");
        EpochMetrics.writeLog(f, EpochMetrics.readLog(fixture));
        assertEquals(Files.readString(fixture), Files.readString(f));
        assertEquals(EpochMetrics.readLog(fixture), EpochMetrics.readLog(f));
    }

    @Test
    void badRowsAreRefusedNamingTheLineAndKey() throws IOException {
        List<String> lines = Files.readAllLines(CheckpointManifestTest.fixture("metrics-quick.jsonl"));
        Path f = tmp.resolve("bad.jsonl");
        Files.writeString(f, lines.get(0) + "\n" + lines.get(2).replace("\"val_acc_min\":0.854,", "") + "\n");
        IOException e = assertThrows(IOException.class, () -> EpochMetrics.readLog(f));
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("come together"), e.getMessage());
        Files.writeString(f, lines.get(0).replace("\"train_acc\":0.5719150641025641", "\"train_acc\":57.2") + "\n");
        e = assertThrows(IOException.class, () -> EpochMetrics.readLog(f));
        assertTrue(e.getMessage().contains("train_acc must be a fraction in [0, 1], found 57.2"), e.getMessage());
    }
}
