package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccuracyDatasetTest {

    private final SearchSpace space = SearchSpace.fmnist();

    @TempDir Path dir;

    private AccuracyDatasetBuilder builder(Path file, int n, SubnetScorer scorer) {
        return AccuracyDatasetBuilder.builder().setSpace(space).setScorer(scorer).setFile(file).optSamples(n)
                .optSeed(7).optQuiet(true).build();
    }

    @Test
    void builderWritesRowsAndResumesWithoutRecomputing() throws IOException {
        Path f = dir.resolve("acc.jsonl");
        SyntheticAccuracy truth = new SyntheticAccuracy(space, 3, 0);
        AtomicInteger calls = new AtomicInteger();
        SubnetScorer scorer = (a, seed) -> {
            calls.incrementAndGet();
            return truth.truth(a);
        };
        AccuracyDatasetBuilder.Result r1 = builder(f, 20, scorer).build();
        assertEquals(20, r1.newRows());
        assertEquals(20, calls.get());
        List<AccuracySample> rows = AccuracyDataset.load(f, space, 1);
        assertEquals(20, rows.size());
        for (AccuracySample s : rows) {
            assertEquals(truth.truth(s.arch()), s.accuracy(), 1e-12);
            assertEquals(s.key(), s.arch().key());
            assertTrue(s.macs() > 0);
        }
        // same seed, more samples: the first 20 are the same list and are skipped
        AccuracyDatasetBuilder.Result r2 = builder(f, 30, scorer).build();
        assertEquals(10, r2.newRows());
        assertEquals(20, r2.skipped());
        assertEquals(30, calls.get());
        assertEquals(30, AccuracyDataset.load(f, space, 1).size());
    }

    @Test
    void truncatedLastLineIsIgnoredAndCutBeforeAppending() throws IOException {
        Path f = dir.resolve("acc.jsonl");
        SyntheticAccuracy truth = new SyntheticAccuracy(space, 3, 0);
        builder(f, 5, (a, s) -> truth.truth(a)).build();
        String full = Files.readString(f);
        String[] lines = full.split("\n");
        // simulate a kill in the middle of writing row 5
        String cut = String.join("\n", java.util.Arrays.copyOf(lines, 4)) + "\n" + lines[4].substring(0, 30);
        Files.writeString(f, cut);
        assertEquals(4, AccuracyDataset.read(f, space).size());
        AtomicInteger calls = new AtomicInteger();
        builder(f, 5, (a, s) -> {
            calls.incrementAndGet();
            return truth.truth(a);
        }).build();
        assertEquals(1, calls.get());
        List<AccuracySample> rows = AccuracyDataset.load(f, space, 5);
        assertEquals(5, rows.size());
        assertTrue(Files.readString(f).endsWith("\n"));
        assertEquals(5, Files.readString(f).split("\n").length);
    }

    @Test
    void emptyDatasetIsAClearError() throws IOException {
        Path f = dir.resolve("empty.jsonl");
        Files.createFile(f);
        IOException e = assertThrows(IOException.class, () -> AccuracyDataset.load(f, space, 1));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        Path missing = dir.resolve("missing.jsonl");
        IOException e2 = assertThrows(IOException.class, () -> AccuracyDataset.load(missing, space, 1));
        assertTrue(e2.getMessage().contains("does not exist"), e2.getMessage());
    }

    @Test
    void corruptLineNamesFileAndLine() throws IOException {
        Path f = dir.resolve("acc.jsonl");
        SyntheticAccuracy truth = new SyntheticAccuracy(space, 3, 0);
        builder(f, 3, (a, s) -> truth.truth(a)).build();
        List<String> lines = new ArrayList<>(Files.readAllLines(f));
        lines.set(1, "{\"key\": \"x\", \"accuracy\": 0.5}");
        Files.write(f, lines);
        IOException e = assertThrows(IOException.class, () -> AccuracyDataset.read(f, space));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("line 2"), e.getMessage());
        assertTrue(e.getMessage().contains("arch"), e.getMessage());
        // an accuracy outside [0, 1] names the value
        String row = Files.readAllLines(f).get(0).replaceAll("\"accuracy\":[0-9.eE-]+", "\"accuracy\":1.5");
        Files.writeString(f, row + "\n", StandardCharsets.UTF_8);
        IOException e3 = assertThrows(IOException.class, () -> AccuracyDataset.read(f, space));
        assertTrue(e3.getMessage().contains("line 1") && e3.getMessage().contains("1.5"), e3.getMessage());
        // a builder refuses to resume on a corrupt file too
        Files.writeString(f, "not json\n{}\n", StandardOpenOption.TRUNCATE_EXISTING);
        IOException e4 = assertThrows(IOException.class, () -> builder(f, 3, (a, s) -> 0.5).build());
        assertTrue(e4.getMessage().contains("line 1"), e4.getMessage());
        // a byte that is not UTF-8 is named where it is, not replaced by U+FFFD and misread
        String good = lines.get(0);
        Files.write(f, (good + "\n{\"k\u00e9y\": 1}\n").getBytes(StandardCharsets.ISO_8859_1));
        IOException e5 = assertThrows(IOException.class, () -> AccuracyDataset.read(f, space));
        assertEquals("accuracy dataset " + f + " line 2 is not UTF-8 text: byte 0xe9 at offset " + (good.length() + 4),
                e5.getMessage());
    }

    @Test
    void aTableStartsWithTheExtremesSoPredictionsInterpolate() {
        List<ArchConfig> t = AccuracyDatasetBuilder.tableSubnets(space, 20, 11);
        assertEquals(20, t.size());
        assertEquals(space.max().canonical().key(), t.get(0).key());
        assertEquals(space.min().canonical().key(), t.get(1).key());
        assertEquals(20, t.stream().map(ArchConfig::key).distinct().count());
        assertEquals(t, AccuracyDatasetBuilder.tableSubnets(space, 20, 11));
    }

    @Test
    void sampleDistinctIsSeededAndDistinct() {
        List<ArchConfig> a = AccuracyDatasetBuilder.sampleDistinct(space, 200, 11);
        List<ArchConfig> b = AccuracyDatasetBuilder.sampleDistinct(space, 200, 11);
        assertEquals(a, b);
        assertEquals(200, a.stream().map(ArchConfig::key).distinct().count());
        assertTrue(a.stream().map(ArchConfig::resolution).distinct().count() == 3, "all resolutions sampled");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AccuracyDatasetBuilder.builder().setSpace(space).setFile(dir.resolve("x")).build());
        assertTrue(e.getMessage().contains("scorer"), e.getMessage());
    }
}
