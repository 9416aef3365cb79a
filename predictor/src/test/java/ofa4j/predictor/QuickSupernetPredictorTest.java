package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Both predictors on a real accuracy table: 300 subnets of a {@code quick} supernet, each
 * BN-recalibrated on the same 500 training images and scored on the 2,000-image validation split
 * (written by {@code ofa predictor fit --run <quick run> --samples 300 --calibration-images 500}
 * on 2026-11-28; accuracies span 75.6-82.0%). Held out: 20%, as {@code ofa predictor fit} does.
 * Measured: ridge tau 0.536, MLP tau 0.557 (RMSE 0.79 / 0.76 pt against a 1.11 pt spread). The
 * floors sit below them and above what a constant or a MACs-only ranking reach (checked below),
 * so a broken encoding, fit or split fails them.
 */
class QuickSupernetPredictorTest {

    private static final SearchSpace SPACE = SearchSpace.fmnist();
    private static List<AccuracySample> fitRows;
    private static List<AccuracySample> heldOut;

    @BeforeAll
    static void data() throws Exception {
        List<AccuracySample> all = AccuracyDataset.load(table(), SPACE, PredictorStage.MIN_ROWS);
        assertEquals(300, all.size());
        List<List<AccuracySample>> parts = PredictorQuality.split(all, 0.2, 1);
        fitRows = parts.get(0);
        heldOut = parts.get(1);
    }

    private static Path table() throws URISyntaxException {
        return Path.of(QuickSupernetPredictorTest.class.getResource("quick-supernet-accuracy.jsonl").toURI());
    }

    /** Standard deviation of the held-out accuracies in points: the RMSE of predicting their mean. */
    private static double spreadPoints() {
        double mean = heldOut.stream().mapToDouble(AccuracySample::accuracy).average().orElseThrow();
        double ss = heldOut.stream().mapToDouble(s -> (s.accuracy() - mean) * (s.accuracy() - mean)).sum();
        return 100 * Math.sqrt(ss / heldOut.size());
    }

    @Test
    void ridgeRanksRealSubnets() {
        RidgeAccuracyPredictor p = RidgeAccuracyPredictor.fit(SPACE, fitRows, 1L);
        PredictorQuality q = PredictorQuality.evaluate(p, heldOut);
        System.out.printf("quick supernet, ridge: %s; spread of held-out accuracies %.3f pt%n", q, spreadPoints());
        assertEquals(60, q.n());
        assertTrue(q.kendallTau() > 0.4, q.toString());
        assertTrue(q.spearmanRho() > 0.55, q.toString());
        assertTrue(q.rmsePoints() < 0.85 * spreadPoints(), q + " vs spread " + spreadPoints());
    }

    @Test
    void mlpRanksRealSubnets() {
        try (MlpAccuracyPredictor p = MlpAccuracyPredictor.train(SPACE, fitRows, MlpAccuracyPredictor.Config.defaults(1))) {
            PredictorQuality q = PredictorQuality.evaluate(p, heldOut);
            System.out.printf("quick supernet, MLP: %s%n", q);
            assertTrue(q.kendallTau() > 0.4, q.toString());
            assertTrue(q.spearmanRho() > 0.55, q.toString());
            assertTrue(q.rmsePoints() < 0.85 * spreadPoints(), q + " vs spread " + spreadPoints());
        }
    }

    @Test
    void macsAloneRankWorseThanThePredictors() {
        double[] macs = heldOut.stream().mapToDouble(s -> (double) s.macs()).toArray();
        double[] acc = heldOut.stream().mapToDouble(AccuracySample::accuracy).toArray();
        PredictorQuality q = PredictorQuality.of("macs", macs, acc);
        System.out.printf("quick supernet, MACs as the score: Kendall tau %.3f%n", q.kendallTau());
        RidgeAccuracyPredictor p = RidgeAccuracyPredictor.fit(SPACE, fitRows, 1L);
        assertTrue(PredictorQuality.evaluate(p, heldOut).kendallTau() > q.kendallTau() + 0.05,
                "the ridge model must rank better than MACs alone (tau " + q.kendallTau() + ")");
    }
}
