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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Both predictors on a synthetic ground truth (smooth in MACs, random per-choice effects, noise). */
class AccuracyPredictorsTest {

    private static final SearchSpace SPACE = SearchSpace.fmnist();
    private static List<AccuracySample> fitRows;
    private static List<AccuracySample> heldOut;

    @TempDir Path dir;

    @BeforeAll
    static void data() {
        List<AccuracySample> all = new SyntheticAccuracy(SPACE, 5, 0.003).samples(600, 21);
        List<List<AccuracySample>> parts = PredictorQuality.split(all, 0.2, 1);
        fitRows = parts.get(0);
        heldOut = parts.get(1);
    }

    private static List<ArchConfig> archs(List<AccuracySample> rows) {
        return rows.stream().map(AccuracySample::arch).toList();
    }

    @Test
    void ridgeReachesFloorsOnHeldOut() {
        RidgeAccuracyPredictor p = RidgeAccuracyPredictor.fit(SPACE, fitRows, 3L);
        PredictorQuality q = PredictorQuality.evaluate(p, heldOut);
        System.out.println(q + " lambda " + p.lambda());
        assertEquals(120, q.n());
        assertTrue(q.kendallTau() > 0.6, q.toString());
        assertTrue(q.spearmanRho() > 0.8, q.toString());
        assertTrue(q.rmsePoints() < 1.5, q.toString());
    }

    @Test
    void mlpReachesFloorsOnHeldOut() {
        try (MlpAccuracyPredictor p = MlpAccuracyPredictor.train(SPACE, fitRows,
                MlpAccuracyPredictor.Config.defaults(3).withEpochs(60))) {
            PredictorQuality q = PredictorQuality.evaluate(p, heldOut);
            System.out.println(q);
            assertTrue(q.kendallTau() > 0.5, q.toString());
            assertTrue(q.spearmanRho() > 0.7, q.toString());
            assertTrue(q.rmsePoints() < 2.0, q.toString());
        }
    }

    @Test
    void saveLoadRoundTripsGiveIdenticalPredictions() throws IOException {
        List<ArchConfig> a = archs(heldOut);
        RidgeAccuracyPredictor r = RidgeAccuracyPredictor.fit(SPACE, fitRows, 3L);
        Path rf = dir.resolve("ridge.json");
        r.save(rf);
        assertArrayEquals(r.predict(a), RidgeAccuracyPredictor.load(rf).predict(a), 0.0);
        Path mf = dir.resolve("mlp.bin");
        try (MlpAccuracyPredictor m = MlpAccuracyPredictor.train(SPACE, fitRows,
                MlpAccuracyPredictor.Config.defaults(3).withEpochs(2))) {
            m.save(mf);
            try (MlpAccuracyPredictor back = MlpAccuracyPredictor.load(mf)) {
                assertArrayEquals(m.predict(a), back.predict(a), 0.0);
            }
        }
    }

    @Test
    void corruptFilesAreClearIoErrors() throws IOException {
        Path mf = dir.resolve("mlp.bin");
        try (MlpAccuracyPredictor m = MlpAccuracyPredictor.train(SPACE, fitRows.subList(0, 20),
                new MlpAccuracyPredictor.Config(8, 1, 1, 8, 1e-3f, 0f, 1))) {
            m.save(mf);
        }
        byte[] b = Files.readAllBytes(mf);
        b[b.length / 2] ^= 0x55;
        Files.write(mf, b);
        IOException e = assertThrows(IOException.class, () -> MlpAccuracyPredictor.load(mf));
        assertTrue(e.getMessage().contains(mf.toString()) && e.getMessage().contains("SHA-256"), e.getMessage());
        Files.write(mf, java.util.Arrays.copyOf(b, 10));
        assertThrows(IOException.class, () -> MlpAccuracyPredictor.load(mf));

        Path rf = dir.resolve("ridge.json");
        RidgeAccuracyPredictor.fit(SPACE, fitRows, 1.0).save(rf);
        String text = Files.readString(rf);
        Files.writeString(rf, text.substring(0, text.length() / 2));
        IOException e2 = assertThrows(IOException.class, () -> RidgeAccuracyPredictor.load(rf));
        assertTrue(e2.getMessage().contains(rf.toString()) && e2.getMessage().contains("v2"), e2.getMessage());
        Files.writeString(rf, text.replace("\"version\": 2", "\"version\": 9"));
        IOException e3 = assertThrows(IOException.class, () -> RidgeAccuracyPredictor.load(rf));
        assertTrue(e3.getMessage().contains("version 9"), e3.getMessage());
    }

    @Test
    void ridgeResolutionTermsLearnEffectsThatDependOnResolution() {
        List<AccuracySample> all = new SyntheticAccuracy(SPACE, 9, 0.001, 0.006).samples(600, 23);
        List<List<AccuracySample>> parts = PredictorQuality.split(all, 0.2, 1);
        PredictorQuality plain = PredictorQuality.evaluate(RidgeAccuracyPredictor.fit(SPACE, parts.get(0), 3L, 0), parts.get(1));
        RidgeAccuracyPredictor p = RidgeAccuracyPredictor.fit(SPACE, parts.get(0), 3L);
        PredictorQuality withTerms = PredictorQuality.evaluate(p, parts.get(1));
        System.out.println("plain " + plain + " / with resolution terms " + withTerms);
        assertEquals(99 + 2 * 96 + 2, p.numFeatures());
        assertTrue(withTerms.kendallTau() > plain.kendallTau() + 0.05, withTerms + " vs " + plain);
        assertTrue(withTerms.rmsePoints() < 0.8 * plain.rmsePoints(), withTerms + " vs " + plain);
    }

    @Test
    void version1RidgeFilesStillLoadAndPredictAsBefore() throws IOException {
        RidgeAccuracyPredictor plain = RidgeAccuracyPredictor.fit(SPACE, fitRows, 3L, 0);
        Path rf = dir.resolve("ridge-v2.json");
        plain.save(rf);
        com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(Files.readString(rf)).getAsJsonObject();
        assertEquals(2, o.get("version").getAsInt());
        o.addProperty("version", 1);
        o.remove("resolution_terms");
        o.remove("resolution_stats");
        Path v1 = dir.resolve("ridge-v1.json");
        Files.writeString(v1, o.toString());
        List<ArchConfig> a = archs(heldOut);
        assertArrayEquals(plain.predict(a), RidgeAccuracyPredictor.load(v1).predict(a), 0.0);
        assertEquals(101, RidgeAccuracyPredictor.load(v1).numFeatures());
    }

    @Test
    void foldsHoldOutEveryRowExactlyOnceAndCrossValidationReportsEachFold() {
        List<AccuracySample> rows = fitRows.subList(0, 103);
        List<List<List<AccuracySample>>> folds = PredictorQuality.folds(rows, 5, 7);
        assertEquals(5, folds.size());
        java.util.Map<String, Integer> heldCount = new java.util.HashMap<>();
        for (List<List<AccuracySample>> f : folds) {
            assertEquals(103, f.get(0).size() + f.get(1).size());
            assertTrue(f.get(1).size() == 20 || f.get(1).size() == 21, "fold size " + f.get(1).size());
            for (AccuracySample s : f.get(1)) {
                heldCount.merge(s.key(), 1, Integer::sum);
                assertTrue(!f.get(0).contains(s), "row both fitted and held out: " + s.key());
            }
        }
        assertEquals(103, heldCount.size());
        assertTrue(heldCount.values().stream().allMatch(c -> c == 1));
        assertThrows(IllegalArgumentException.class, () -> PredictorQuality.folds(rows, 1, 7));

        List<CrossValidation> cv = CrossValidation.run(SPACE, fitRows, 4,
                MlpAccuracyPredictor.Config.defaults(3).withEpochs(20), 3);
        assertEquals(List.of("mlp", "ridge"), cv.stream().map(CrossValidation::predictor).toList());
        CrossValidation ridge = cv.get(1);
        System.out.println(cv);
        assertEquals(4, ridge.perFold().size());
        assertEquals(480, ridge.perFold().stream().mapToInt(PredictorQuality::n).sum());
        assertTrue(ridge.tauMean() > 0.6 && ridge.tauMin() <= ridge.tauMean() && ridge.tauSd() >= 0, ridge.toString());
        double meanByHand = ridge.perFold().stream().mapToDouble(PredictorQuality::kendallTau).sum() / 4;
        assertEquals(meanByHand, ridge.tauMean(), 1e-12);
    }

    @Test
    void qualityFiguresMatchHandComputation() {
        PredictorQuality q = PredictorQuality.of("x", new double[] {0.5, 0.6, 0.7}, new double[] {0.5, 0.7, 0.6});
        assertEquals(Math.sqrt((0 + 1e-2 * 1e4 + 1e-2 * 1e4) / 3.0) , q.rmsePoints(), 1e-9);
        // pairs: (1,2) concordant, (1,3) concordant, (2,3) discordant -> tau = 1/3
        assertEquals(1.0 / 3, q.kendallTau(), 1e-12);
        assertEquals(0.5, q.spearmanRho(), 1e-12);
    }

    @Test
    void theFittingStageSavesBothWithTheirQualityAndRefusesAnEmptyTable() throws IOException {
        Path pd = dir.resolve("predictor");
        Files.createDirectories(pd);
        try (AccuracyDataset d = AccuracyDataset.openForAppend(pd.resolve(PredictorStage.ACCURACY_FILE))) {
            for (AccuracySample s : fitRows.subList(0, 100)) {
                d.append(s);
            }
        }
        try (PredictorStage.Predictors p = PredictorStage.fitPredictors(SPACE, pd, 4, false, 0)) {
            assertEquals(100, p.rows());
            assertEquals(20, p.mlpQuality().n());
            assertTrue(Files.exists(pd.resolve(PredictorStage.MLP_FILE)) && Files.exists(pd.resolve(PredictorStage.RIDGE_FILE)));
            assertTrue(p.ridgeQuality().kendallTau() > 0.3, p.ridgeQuality().toString());
            assertEquals(80, p.quality().fitRows());
            // the rule and the file agree
            QualityReport back = QualityReport.read(pd.resolve(PredictorStage.QUALITY_FILE));
            assertEquals(p.quality(), back);
            assertEquals(p.choice(), PredictorStage.choose(back));
        }
        Path empty = dir.resolve("empty");
        Files.createDirectories(empty);
        Files.createFile(empty.resolve(PredictorStage.ACCURACY_FILE));
        IOException e = assertThrows(IOException.class, () -> PredictorStage.fitPredictors(SPACE, empty, 4, false, 0));
        assertTrue(e.getMessage().contains(empty.resolve(PredictorStage.ACCURACY_FILE).toString())
                && e.getMessage().contains("empty"), e.getMessage());
    }
}
