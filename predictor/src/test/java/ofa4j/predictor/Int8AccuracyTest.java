package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The INT8 accuracy offset: rows appended and read back, the mean difference, the moved predictor. */
class Int8AccuracyTest {

    static Int8Accuracy.Row row(String key, double fp32, double int8) {
        return new Int8Accuracy.Row(Int8Accuracy.FORMAT_VERSION, key, fp32, int8, "minmax on 500 images");
    }

    @Test
    void rowsAppendReadBackAndTheLastRowOfASubnetCounts(@TempDir Path dir) throws IOException {
        Path f = dir.resolve(Int8Accuracy.ROWS_FILE);
        assertEquals(List.of(), Int8Accuracy.read(f));
        assertEquals(new Int8Accuracy.Offset(0, 0), Int8Accuracy.fit(dir));
        Int8Accuracy.append(f, List.of(row("a", 0.90, 0.89), row("b", 0.80, 0.78)));
        Int8Accuracy.append(f, List.of(row("a", 0.90, 0.88)));
        assertEquals(3, Files.readAllLines(f).size());
        assertTrue(Files.readAllLines(f).get(0).startsWith("{\"format_version\":1,\"key\":\"a\",\"fp32_val_accuracy\":0.9,"),
                Files.readAllLines(f).get(0));
        List<Int8Accuracy.Row> rows = Int8Accuracy.read(f);
        assertEquals(List.of(row("a", 0.90, 0.88), row("b", 0.80, 0.78)), rows);
        Int8Accuracy.Offset o = Int8Accuracy.fit(dir);
        assertEquals(2, o.rows());
        assertEquals(-0.02, o.offset(), 1e-12);
        assertEquals("INT8 offset -2.00 points from 2 measured rows", o.describe());
        assertEquals("INT8 offset 0 (no INT8 rows measured yet)", new Int8Accuracy.Offset(0, 0).describe());
    }

    @Test
    void theInt8PredictorIsTheFp32OneMovedByTheOffset() {
        SearchSpace space = SearchSpace.fmnist();
        AccuracyPredictor fp32 = new AccuracyPredictor() {
            @Override
            public double[] predict(List<ArchConfig> archs) {
                return archs.stream().mapToDouble(a -> a.resolution() / 100.0).toArray();
            }

            @Override
            public String name() {
                return "ridge";
            }
        };
        AccuracyPredictor q = Int8Accuracy.predictor(fp32, new Int8Accuracy.Offset(-0.01, 4));
        assertEquals("ridge+int8", q.name());
        assertArrayEquals(new double[] {0.19, 0.27}, q.predict(List.of(space.min(), space.max())), 1e-12);
        assertArrayEquals(new double[] {0.20, 0.28}, fp32.predict(List.of(space.min(), space.max())), 1e-12);
    }

    @Test
    void badRowsAreRefusedNamingFileLineAndValue(@TempDir Path dir) throws IOException {
        Path f = dir.resolve(Int8Accuracy.ROWS_FILE);
        Files.writeString(f, "{\"format_version\":1,\"key\":\"a\",\"fp32_val_accuracy\":0.9,\"int8_val_accuracy\":1.5}\n");
        IOException e = assertThrows(IOException.class, () -> Int8Accuracy.read(f));
        assertTrue(e.getMessage().contains(f + " line 1") && e.getMessage().contains("1.5"), e.getMessage());
        Files.writeString(f, "{\"format_version\":3,\"key\":\"a\",\"fp32_val_accuracy\":0.9,\"int8_val_accuracy\":0.8}\n");
        e = assertThrows(IOException.class, () -> Int8Accuracy.read(f));
        assertTrue(e.getMessage().contains("format_version 3"), e.getMessage());
    }
}
