package ofa4j.predictor;

import static ofa4j.predictor.DeviceProfileFileTest.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.TensorFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The accuracy table, its info, the quality report and the ridge and MLP predictors as files: files of the
 * quick run (an earlier build) load with their figures, and writing them back gives the same text.
 */
class PredictorFilesTest {

    private static final SearchSpace SPACE = SearchSpace.fmnist();

    @TempDir Path dir;

    @Test
    void accuracyTableRowsOfTheQuickRunLoadAndWriteBackAsTheSameLines() throws IOException {
        List<AccuracySample> rows = AccuracyDataset.read(fixture("accuracy.jsonl"), SPACE);
        assertEquals(5, rows.size());
        AccuracySample first = rows.get(0);
        assertEquals("r24-k7e3.k3e3.k7e6.k7e6|k3e3.k3e3.k7e6|k3e6.k5e4.k5e3|k7e3.k7e4", first.key());
        assertEquals(0.8435, first.accuracy());
        assertEquals(3381776, first.macs());
        assertEquals(24, first.resolution());
        assertEquals(List.of(4, 3, 3, 2), first.arch().depths());
        assertEquals(0.806, rows.get(1).accuracy());
        List<String> lines = Files.readAllLines(fixture("accuracy.jsonl"));
        for (int i = 0; i < lines.size(); i++) {
            assertEquals(lines.get(i), rows.get(i).toLine());
        }
        // appending the rows gives the file again
        Path copy = dir.resolve("accuracy.jsonl");
        try (AccuracyDataset d = AccuracyDataset.openForAppend(copy)) {
            for (AccuracySample r : rows) {
                d.append(r);
            }
        }
        assertEquals(Files.readString(fixture("accuracy.jsonl")), Files.readString(copy));
    }

    @Test
    void measuredRowsOfTheQuickRunLoad() throws IOException {
        List<AccuracySample> rows = AccuracyDataset.read(fixture("measured.jsonl"), SPACE);
        assertEquals(3, rows.size());
        assertEquals("r28-k7e6.k7e6.k5e6|k7e6.k3e4|k7e4.k3e4.k3e4|k7e4.k7e3", rows.get(1).key());
        assertEquals(0.8685, rows.get(1).accuracy());
        assertEquals(3947520, rows.get(1).macs());
        assertEquals(0.868, rows.get(2).accuracy());
    }

    @Test
    void aBadRowNamesFileLineAndKey() throws IOException {
        String line = Files.readAllLines(fixture("accuracy.jsonl")).get(0);
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, line + "\n" + line.replace(",\"macs\":3381776", "").replace("r24-", "r24x-") + "\n");
        IOException e = assertThrows(IOException.class, () -> AccuracyDataset.read(f, SPACE));
        assertTrue(e.getMessage().contains(f + " line 2") && e.getMessage().contains("'macs' is missing"), e.getMessage());
        Files.writeString(f, line.replace("},\"resolution\":24", "},\"resolution\":28") + "\n");
        e = assertThrows(IOException.class, () -> AccuracyDataset.read(f, SPACE));
        assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("'resolution' 28"), e.getMessage());
        Files.writeString(f, line.replace("\"kernel_sizes\":[7,", "\"kernel_sizes\":[9,") + "\n");
        e = assertThrows(IOException.class, () -> AccuracyDataset.read(f, SPACE));
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
    }

    @Test
    void tableInfoOfTheQuickRunLoadsAndWritesTheSameText() throws IOException {
        Path d = fixture("accuracy.info.json").getParent();
        AccuracyTableInfo info = AccuracyTableInfo.read(d);
        assertEquals(1, info.formatVersion());
        assertEquals("val", info.split());
        assertEquals(500, info.calibrationImages());
        assertEquals(8517906338853313488L, info.calibrationSeed());
        assertEquals(2000, info.valImages());
        info.save(dir);
        assertEquals(Files.readString(fixture("accuracy.info.json")), Files.readString(dir.resolve(AccuracyTableInfo.FILE)));
        assertEquals(info, AccuracyTableInfo.read(dir));
        assertNull(AccuracyTableInfo.read(dir.resolve("nothing-here")));
        Files.writeString(dir.resolve(AccuracyTableInfo.FILE),
                Files.readString(fixture("accuracy.info.json")).replace("\"format_version\": 1", "\"format_version\": 2"));
        IOException e = assertThrows(IOException.class, () -> AccuracyTableInfo.read(dir));
        assertTrue(e.getMessage().contains(dir.resolve(AccuracyTableInfo.FILE).toString())
                && e.getMessage().contains("format_version 2"), e.getMessage());
    }

    @Test
    void qualityReportsWithoutAVersionLoadAsVersion1WithTheirFigures() throws IOException {
        QualityReport q = QualityReport.read(fixture("quality.json"));
        assertEquals(1, q.formatVersion());
        assertEquals(120, q.rows());
        assertEquals(96, q.fitRows());
        assertEquals(24, q.heldOutRows());
        assertEquals(0.5662377020241564, q.mlp().kendallTau());
        assertEquals(0.7601032125109705, q.ridge().rmsePt());
        QualityReport.CrossValidated cv = q.crossValidation();
        assertEquals(5, cv.folds());
        assertEquals(42, cv.seed());
        assertNull(cv.measuredSha256());
        assertEquals("Config[hidden=400, layers=3, epochs=300, batchSize=128, learningRate=0.001, weightDecay=1.0E-5,"
                + " seed=42]", cv.mlpConfig());
        assertEquals(0.6473848142827598, cv.ridge().kendallTauMean());
        assertEquals(0.49909670489460384, cv.mlp().perFold().get(4).kendallTau());
        assertEquals(0.592633582023, cv.ridge().perFold().get(0).maePt());
        assertEquals(new PredictorStage.Choice("ridge", "cross-validation Kendall tau mlp 0.599, ridge 0.647"),
                PredictorStage.choose(q));

        QualityReport r = QualityReport.read(fixture("refined-quality.json"));
        assertEquals(179, r.rows());
        assertEquals("b6550842e766006b914a1157a2ba2f2c69b2567db9813ae6a1694a5615e57183",
                r.crossValidation().measuredSha256());
        assertEquals(36, r.crossValidation().ridge().perFold().get(2).n());
        assertEquals("ridge", PredictorStage.choose(r).pick());
    }

    @Test
    void aQualityReportRoundTripsWithItsVersionAndItsCrossValidationIsReusedForTheSameKeyOnly() throws IOException {
        QualityReport r = QualityReport.read(fixture("refined-quality.json"));
        Path f = dir.resolve("quality.json");
        r.write(f);
        String text = Files.readString(f);
        assertTrue(text.startsWith("{\n  \"format_version\": 1,\n  \"rows\": 179,"), text.substring(0, 60));
        assertTrue(text.contains("weightDecay=1.0E-5"), "no HTML escapes");
        assertEquals(r, QualityReport.read(f));

        QualityReport.CrossValidationKey key = r.crossValidation().key();
        List<CrossValidation> cv = PredictorStage.reusableCrossValidation(f, key);
        assertEquals(List.of("mlp", "ridge"), cv.stream().map(CrossValidation::predictor).toList());
        assertEquals(0.7732146864376496, cv.get(1).tauMean(), 1e-12);
        assertEquals(0.539625571360212, cv.get(1).perFold().get(2).maePoints());
        QualityReport.CrossValidationKey unrefined = new QualityReport.CrossValidationKey(key.folds(), key.seed(),
                key.tableSha256(), null, key.mlpConfig());
        assertTrue(PredictorStage.reusableCrossValidation(f, unrefined).isEmpty());
        assertTrue(PredictorStage.reusableCrossValidation(dir.resolve("absent.json"), key).isEmpty());

        Files.writeString(f, text.replace("\"format_version\": 1", "\"format_version\": 3"));
        IOException e = assertThrows(IOException.class, () -> QualityReport.read(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("format_version 3"), e.getMessage());
        assertTrue(PredictorStage.reusableCrossValidation(f, key).isEmpty());
    }

    @Test
    void anUndefinedRankCorrelationIsNullInTheFileAndLosesTheChoice() throws IOException {
        PredictorQuality constant = PredictorQuality.of("ridge", new double[] {0.5, 0.5, 0.5}, new double[] {0.5, 0.7, 0.6});
        assertTrue(Double.isNaN(constant.kendallTau()));
        PredictorQuality mlp = PredictorQuality.of("mlp", new double[] {0.5, 0.6, 0.7}, new double[] {0.5, 0.7, 0.6});
        QualityReport q = new QualityReport(1, 3, 2, 1, QualityReport.Figures.of(mlp), QualityReport.Figures.of(constant), null);
        Path f = dir.resolve("quality.json");
        q.write(f);
        assertTrue(Files.readString(f).contains("\"kendall_tau\": null"), Files.readString(f));
        QualityReport back = QualityReport.read(f);
        assertTrue(Double.isNaN(back.ridge().kendallTau()));
        assertEquals(1.0 / 3, back.mlp().kendallTau(), 1e-12);
        assertEquals("mlp", PredictorStage.choose(back).pick());
        Files.writeString(f, Files.readString(f).replace("\"kendall_tau\": null,", ""));
        IOException e = assertThrows(IOException.class, () -> QualityReport.read(f));
        assertTrue(e.getMessage().contains("'kendall_tau' is missing"), e.getMessage());
    }

    @Test
    void theRidgePredictorOfTheQuickRunLoadsPredictsAndWritesTheSameText() throws IOException {
        RidgeAccuracyPredictor r = RidgeAccuracyPredictor.load(fixture("ridge.predictor"));
        assertEquals(30.0, r.lambda());
        assertEquals(293, r.numFeatures());
        assertEquals(SPACE, r.space());
        ArchConfig first = AccuracyDataset.read(fixture("accuracy.jsonl"), SPACE).get(0).arch();
        assertEquals(RIDGE_FIRST_ROW, r.predict(List.of(first))[0], 1e-12);
        Path f = dir.resolve("ridge.predictor");
        r.save(f);
        assertEquals(Files.readString(fixture("ridge.predictor")), Files.readString(f));
    }

    /** The quick run's ridge model's prediction for the first row of its table (measured 0.8435). */
    private static final double RIDGE_FIRST_ROW = 0.837954649074281;

    @Test
    void aBadRidgeFileNamesTheKey() throws IOException {
        String text = Files.readString(fixture("ridge.predictor"));
        Path f = dir.resolve("ridge.predictor");
        Files.writeString(f, text.replace("\"resolution_terms\": 2", "\"resolution_terms\": 7"));
        IOException e = assertThrows(IOException.class, () -> RidgeAccuracyPredictor.load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("'resolution_terms'")
                && e.getMessage().contains("found 7"), e.getMessage());
        Files.writeString(f, text.replace("ofa4j-ridge-accuracy-predictor", "ofa4j-device-profile"));
        e = assertThrows(IOException.class, () -> RidgeAccuracyPredictor.load(f));
        assertTrue(e.getMessage().contains("'format' must be 'ofa4j-ridge-accuracy-predictor'"), e.getMessage());
        Files.writeString(f, text.replace("\"weights\": [\n    -0.0019404188977794209,", "\"weights\": ["));
        e = assertThrows(IOException.class, () -> RidgeAccuracyPredictor.load(f));
        assertTrue(e.getMessage().contains("292 weights") || e.getMessage().contains("293"), e.getMessage());
    }

    /** Predictions of the fixture MLP for the 5 fixture rows, the smallest and the largest subnet, by the build that wrote it. */
    private static final double[] MLP_V1_PREDICTIONS = {0.8368170857429504, 0.8438172936439514, 0.8308224678039551,
        0.8443602323532104, 0.8323602080345154, 0.8568497896194458, 0.8499140739440918};

    private static List<ArchConfig> mlpProbes() throws IOException {
        List<ArchConfig> a = new ArrayList<>();
        AccuracyDataset.read(fixture("accuracy.jsonl"), SPACE).forEach(r -> a.add(r.arch()));
        a.add(SPACE.min());
        a.add(SPACE.max());
        return a;
    }

    @Test
    void anMlpFileOfTheFirstLayoutLoadsAndPredictsAsItDid() throws IOException {
        try (MlpAccuracyPredictor m = MlpAccuracyPredictor.load(fixture("mlp-v1.predictor"))) {
            assertEquals(SPACE, m.space());
            assertArrayEquals(MLP_V1_PREDICTIONS, m.predict(mlpProbes()), 0.0);
        }
        byte[] b = Files.readAllBytes(fixture("mlp-v1.predictor"));
        b[b.length / 2] ^= 0x55;
        Path f = dir.resolve("mlp.predictor");
        Files.write(f, b);
        IOException e = assertThrows(IOException.class, () -> MlpAccuracyPredictor.load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("v1")
                && e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void anMlpIsWrittenAsATensorFileAndReadBackExactly() throws IOException {
        Path f = dir.resolve("mlp.predictor");
        try (MlpAccuracyPredictor m = MlpAccuracyPredictor.load(fixture("mlp-v1.predictor"))) {
            m.save(f);
        }
        byte[] b = Files.readAllBytes(f);
        assertEquals("OFA4JMLP", new String(b, 0, 8, StandardCharsets.US_ASCII));
        assertEquals(MlpAccuracyPredictor.FORMAT_VERSION,
                ByteBuffer.wrap(b, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt());
        TensorFiles.Contents c = TensorFiles.read(f, "OFA4JMLP".getBytes(
                StandardCharsets.US_ASCII), "MLP", 2, 2, "tensors");
        assertEquals(List.of("hidden0.weight", "hidden0.bias", "hidden1.weight", "hidden1.bias", "out.weight", "out.bias"),
                List.copyOf(c.tensors().keySet()));
        assertEquals(4, c.header().get("hidden").getAsInt());
        assertEquals(2, c.header().get("layers").getAsInt());
        int input = c.header().get("input").getAsInt();
        assertArrayEquals(new int[] {input, 4}, c.tensors().get("hidden0.weight").shape());
        assertArrayEquals(new int[] {1, 1}, c.tensors().get("out.bias").shape());
        try (MlpAccuracyPredictor back = MlpAccuracyPredictor.load(f)) {
            assertArrayEquals(MLP_V1_PREDICTIONS, back.predict(mlpProbes()), 0.0);
        }
        b[b.length / 3] ^= 0x10;
        Files.write(f, b);
        IOException e = assertThrows(IOException.class, () -> MlpAccuracyPredictor.load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("SHA-256"), e.getMessage());
    }
}
