package ofa4j.predictor;

import static ofa4j.predictor.DeviceProfileFileTest.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

/**
 * Seeded draws are part of a run's identity: the held-out split, the cross-validation folds and the
 * MLP's mini-batch order give what the build before {@code ofa4j.models.Shuffle} gave (figures
 * recorded with that build on the 8 fixture rows).
 */
class SeededDrawsTest {

    private static final SearchSpace SPACE = SearchSpace.fmnist();

    private static List<AccuracySample> rows() throws IOException {
        List<AccuracySample> rows = new ArrayList<>(AccuracyDataset.read(fixture("accuracy.jsonl"), SPACE));
        rows.addAll(AccuracyDataset.read(fixture("measured.jsonl"), SPACE));
        return rows;
    }

    private static List<Integer> indices(List<AccuracySample> all, List<AccuracySample> part) {
        return part.stream().map(all::indexOf).toList();
    }

    @Test
    void splitAndFoldsDrawAsBefore() throws IOException {
        List<AccuracySample> rows = rows();
        assertEquals(List.of(1, 0), indices(rows, PredictorQuality.split(rows, 0.25, 42).get(1)));
        List<List<List<AccuracySample>>> folds = PredictorQuality.folds(rows, 3, 7);
        assertEquals(List.of(2, 3, 1), indices(rows, folds.get(0).get(1)));
        assertEquals(List.of(7, 5, 0), indices(rows, folds.get(1).get(1)));
        assertEquals(List.of(4, 6), indices(rows, folds.get(2).get(1)));
    }

    @Test
    void mlpTrainingShufflesAsBefore() throws IOException {
        List<AccuracySample> rows = rows();
        // batch 2 of 8 rows: the order of the rows decides the 4 Adam steps of each epoch
        try (MlpAccuracyPredictor m = MlpAccuracyPredictor.train(SPACE, rows,
                new MlpAccuracyPredictor.Config(4, 2, 6, 2, 1e-2f, 0f, 11))) {
            List<ArchConfig> a = rows.subList(0, 6).stream().map(AccuracySample::arch).toList();
            assertArrayEquals(new double[] {0.8404444456100464, 0.8411858677864075, 0.8322966694831848,
                0.8513914942741394, 0.8564643263816833, 0.8634132146835327}, m.predict(a), 1e-7);
        }
    }
}
