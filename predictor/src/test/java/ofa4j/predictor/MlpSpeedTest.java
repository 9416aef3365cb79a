package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

/** Batch prediction throughput of the MLP (a timed loop; the JMH benches are in the jmh module). */
@org.junit.jupiter.api.Tag("perf") // wall-clock assertion: mvn -Pperf verify
class MlpSpeedTest {

    @Test
    void batchPredictionIsFast() {
        SearchSpace space = SearchSpace.fmnist();
        List<AccuracySample> rows = new SyntheticAccuracy(space, 5, 0.003).samples(50, 2);
        List<ArchConfig> archs = AccuracyDatasetBuilder.sampleDistinct(space, 20_000, 9);
        try (MlpAccuracyPredictor p = MlpAccuracyPredictor.train(space, rows, MlpAccuracyPredictor.Config.defaults(1).withEpochs(1))) {
            double[] warm = p.predict(archs);
            assertEquals(archs.size(), warm.length);
            int rounds = 5;
            long t0 = System.nanoTime();
            for (int r = 0; r < rounds; r++) {
                p.predict(archs);
            }
            double perSec = rounds * archs.size() / ((System.nanoTime() - t0) / 1e9);
            float[] enc = new float[archs.size() * p.encoding().length()];
            for (int i = 0; i < archs.size(); i++) {
                p.encoding().encodeInto(archs.get(i), enc, i * p.encoding().length());
            }
            long t1 = System.nanoTime();
            for (int r = 0; r < rounds; r++) {
                p.predictEncoded(enc, archs.size());
            }
            double encodedPerSec = rounds * archs.size() / ((System.nanoTime() - t1) / 1e9);
            long t2 = System.nanoTime();
            for (int i = 0; i < 200; i++) {
                p.predict(archs.subList(i, i + 1));
            }
            double singleMs = (System.nanoTime() - t2) / 1e6 / 200;
            System.out.printf(Locale.ROOT,
                    "MLP batch prediction: %.0f archs/s with encoding, %.0f archs/s pre-encoded, single arch %.3f ms%n",
                    perSec, encodedPerSec, singleMs);
            assertTrue(perSec > 10_000, "archs/s " + perSec);
        }
    }
}
