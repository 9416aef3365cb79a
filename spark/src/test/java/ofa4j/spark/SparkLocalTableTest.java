package ofa4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import ofa4j.predictor.AccuracyDataset;
import ofa4j.predictor.AccuracyDatasetBuilder;
import ofa4j.predictor.AccuracySample;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The accuracy table on an embedded Spark ({@code local[2]}) against the in-process builder. */
class SparkLocalTableTest {

    static JavaSparkContext sc;

    @TempDir Path dir;

    @BeforeAll
    static void start() {
        sc = SparkContexts.start("local[2]", "SparkLocalTableTest", 1, Map.of("spark.driver.host", "127.0.0.1"));
    }

    @AfterAll
    static void stop() {
        if (sc != null) {
            sc.stop();
        }
    }

    @Test
    void fortySubnetTableEqualsTheInProcessOneByteForByteAndResumes() throws IOException {
        TinyTable t = new TinyTable(dir);
        Path ref = dir.resolve("in-process/accuracy.jsonl");
        AccuracyDatasetBuilder.Result want = t.inProcess(ref, 40);
        assertEquals(40, want.newRows());
        List<AccuracySample> rows = AccuracyDataset.read(ref, t.space);
        // the rows differ by architecture: equality below is not equality of 40 copies of one figure
        assertTrue(rows.stream().map(AccuracySample::accuracy).distinct().count() >= 5,
                "accuracies " + rows.stream().map(AccuracySample::accuracy).toList());

        Path table = dir.resolve("spark/accuracy.jsonl");
        SparkAccuracyTable.Result got = t.onSpark(sc, table, 40).build().run();
        assertEquals(40, got.table().newRows());
        assertEquals(40, got.table().totalRows());
        assertEquals(8, got.partitions()); // 4 tasks per core of local[2]
        assertEquals(8, got.tasks().size());
        assertEquals(40, got.tasks().stream().mapToInt(r -> r.rows().size()).sum());
        assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(table));
        assertEquals(Files.readString(ref.resolveSibling("accuracy.info.json")),
                Files.readString(table.resolveSibling("accuracy.info.json")));

        // a build killed after 25 rows, mid-way through the 26th: the rerun measures only the other 15
        byte[] all = Files.readAllBytes(table);
        String text = new String(all, StandardCharsets.UTF_8);
        int cut = 0;
        for (int i = 0; i < 25; i++) {
            cut = text.indexOf('\n', cut) + 1;
        }
        Files.write(table, text.substring(0, cut + 30).getBytes(StandardCharsets.UTF_8));
        SparkAccuracyTable.Result resumed = t.onSpark(sc, table, 40).optSubnetsPerTask(4).build().run();
        assertEquals(25, resumed.table().skipped());
        assertEquals(15, resumed.table().newRows());
        assertEquals(4, resumed.partitions()); // 15 rows, 4 per task
        assertArrayEquals(all, Files.readAllBytes(table));

        // nothing left: no job at all
        SparkAccuracyTable.Result again = t.onSpark(sc, table, 40).build().run();
        assertEquals(0, again.partitions());
        assertEquals(40, again.table().skipped());
    }

    @Test
    void aCheckpointThatDiffersFromTheDriversIsRefusedByTheExecutor() throws IOException {
        TinyTable t = new TinyTable(dir);
        SupernetFile wrong = new SupernetFile(t.file.params(), "0".repeat(64), t.file.spaceJson(), t.file.seed());
        Path table = dir.resolve("accuracy.jsonl");
        IOException e = assertThrows(IOException.class,
                () -> t.onSpark(sc, table, 4).setSupernet(wrong).build().run());
        assertTrue(e.getMessage().contains("supernet parameter file " + t.file.params() + " on executor driver"),
                e.getMessage());
        assertTrue(e.getMessage().contains("has SHA-256 " + t.file.sha256() + ", the driver's has " + "0".repeat(64)),
                e.getMessage());
        assertEquals(0, AccuracyDataset.read(table, t.space).size());
    }

    @Test
    void badSettingsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SparkContexts.checkMaster("yarn"));
        assertEquals("--spark must be " + SparkContexts.MASTERS + ", found 'yarn'", e.getMessage());
        assertEquals("spark://10.0.0.1:7077", SparkContexts.checkMaster("spark://10.0.0.1:7077"));
        assertEquals("local[2]", SparkContexts.checkMaster("local[2]"));
        e = assertThrows(IllegalArgumentException.class,
                () -> SparkAccuracyTable.builder().setContext(sc).optThreadsPerTask(0).build());
        assertEquals("Spark accuracy table needs context, supernet, data and file; missing supernet", e.getMessage());
    }
}
