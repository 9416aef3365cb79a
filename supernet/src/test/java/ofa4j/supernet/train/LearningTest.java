package ofa4j.supernet.train;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import ofa4j.models.SearchSpace;
import ofa4j.supernet.data.DataSplits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loop learns: a tiny supernet on 2,000 Fashion-MNIST images beats a floor. */
class LearningTest {

    @TempDir Path tmp;

    private static OneThread threads;

    @BeforeAll
    static void oneThread() {
        threads = OneThread.enter();
    }

    @AfterAll
    static void restoreThreads() {
        threads.close();
    }

    @Test
    void tinySupernetLearnsFashionMnist() throws IOException {
        assumeTrue(TinyRuns.haveFashion(), "Fashion-MNIST not installed at /usr/share/datasets/fashion-mnist");
        SearchSpace space = TinyRuns.tinySpace(List.of(20, 24, 28));
        DataSplits data = TinyRuns.fashion(2000, 1000);
        TrainingPreset preset = new TrainingPreset("learn", 2000, 1000, 32, List.of(4, 1, 1, 1, 1, 1), Phase.OFA_SUBNETS_PER_STEP, 0.1, 0.1, 500, 1000);
        List<Phase> ps = preset.schedule(space);
        TrainingResult r = ProgressiveShrinkingTrainer.builder()
                .setSpace(space).optPreset(preset).optSchedule(List.of(ps.get(0), ps.get(1))).optSeed(5).optQuiet(true)
                .build().train(data, tmp.resolve("learn"), false);
        EpochMetrics last = r.metrics().get(r.metrics().size() - 1);
        System.out.println("learning test metrics: " + r.metrics());
        double max = last.valAccMax();
        double min = last.valAccMin();
        assertTrue(max > 0.60, "max subnet validation accuracy " + max + " <= 0.60");
        assertTrue(min > 0.40, "kernel-3 subnet validation accuracy " + min + " <= 0.40 after the kernel phase");
    }
}
