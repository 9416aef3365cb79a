package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import ofa4j.models.SearchSpace;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.DataSplits;
import ofa4j.supernet.data.FashionMnist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cost of one accuracy-dataset row at full size (fmnist space, 2000 calibration images, the 5000
 * validation images): sizes the quick and full presets. Slow (Fashion-MNIST load plus a few rows);
 * run with {@code -Dofa4j.slow=true}. The supernet is untrained: the cost is the same.
 */
class DatasetRowCostTest {

    @TempDir Path dir;

    @Test
    @EnabledIfSystemProperty(named = "ofa4j.slow", matches = "true")
    void rowCostOnFashionMnist() throws IOException {
        SearchSpace space = SearchSpace.fmnist();
        DataSplits splits = DataSplits.fashionMnist(FashionMnist.load(null, true), 0, 0);
        try (Supernet net = Supernet.create(space, 1)) {
            Path f = dir.resolve("acc.jsonl");
            AccuracyDatasetBuilder.Result r = AccuracyDatasetBuilder.builder().setSpace(space)
                    .setScorer(SupernetScorer.of(net, splits)).setFile(f).optSamples(4).optSeed(1).optQuiet(true)
                    .build().build();
            assertEquals(4, r.newRows());
            System.out.printf(Locale.ROOT, "accuracy dataset: %.2f s per row (2000 calibration, %d validation images)%n",
                    r.seconds() / r.newRows(), splits.val().size());
            for (AccuracySample s : AccuracyDataset.load(f, space, 4)) {
                assertTrue(s.accuracy() >= 0 && s.accuracy() <= 1);
            }
        }
    }
}
