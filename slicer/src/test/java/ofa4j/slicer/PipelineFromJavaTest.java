package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.PredictorStage;
import ofa4j.predictor.ProfileStage;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.DataSplits;
import ofa4j.supernet.data.FashionMnist;
import ofa4j.supernet.train.Checkpoint;
import ofa4j.supernet.train.ProgressiveShrinkingTrainer;
import ofa4j.supernet.train.TrainingPreset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole pipeline from Java, stage by stage, as the README shows it (smoke preset: not about accuracy). */
class PipelineFromJavaTest {

    @TempDir Path dir;

    @Test
    void trainProfileTableFitSliceFromJava() throws Exception {
        assumeTrue(Files.isDirectory(FashionMnist.SYSTEM_DIR), "Fashion-MNIST is not installed at " + FashionMnist.SYSTEM_DIR);
        // --- the README's example, line for line ---
        DataSplits data = DataSplits.fashionMnist(FashionMnist.load(null, true), 256, 500);
        SearchSpace space = SearchSpace.fmnist();
        ProgressiveShrinkingTrainer.builder().setSpace(space).optPreset(TrainingPreset.smoke()).optQuiet(true).build()
                .train(data, dir.resolve("supernet"), false);
        try (Supernet net = Checkpoint.loadSupernet(dir.resolve("supernet"))) {
            DeviceProfile cpu = ProfileStage.profile(space, dir.resolve("devices/cpu.json"), 1, 5, 1, true, false);
            Path pd = dir.resolve("predictor");
            PredictorStage.accuracyTable(net, data, pd.resolve(PredictorStage.ACCURACY_FILE), 20, 100, 1, true);
            try (PredictorStage.Predictors p = PredictorStage.fitPredictors(space, pd, 1, false, 0)) {
                SliceStage.Slices s = SliceStage.slice(net, data, p.best(), cpu, SliceStage.defaultTargets(space, cpu),
                        dir.resolve("slices"), new SliceStage.LoopSettings(2, 1, 100, 0), pd, 1);
                // --- end of the example ---
                assertEquals(4, s.reports().size());
                for (Specialiser.Report r : s.reports()) {
                    assertTrue(Files.size(r.onnxFile()) > 10_000, r.onnxFile().toString());
                    assertTrue(r.onnxMaxAbsDiff() <= 1e-4, r.target() + ": " + r.onnxMaxAbsDiff());
                    // 10 classes: chance 0.1 (+-0.013 on 500 images); a minute of smoke training learns something
                    assertTrue(r.valAccuracy() > 0.13, r.target() + " val " + r.valAccuracy());
                    for (Constraint.LatencyBound b : r.outcome().target().constraint().latencyBounds()) {
                        assertTrue(r.outcome().delivered().measuredLatencyMs(cpu.name()) <= b.maxMs(), r.target());
                    }
                }
                // each delivered slice is reported by the refined predictor refitted without its own row
                java.util.List<ofa4j.predictor.AccuracySample> all = PredictorStage.tableAndMeasured(space, pd);
                for (Specialiser.Report r : s.reports()) {
                    SliceJson.Report json = SliceJson.Report.read(r.reportFile());
                    assertEquals(ClosedLoop.Prediction.OUT_OF_SAMPLE, json.predicted().accuracyBasis(), r.target());
                    assertEquals(r.outcome().delivered().candidate().predictedAccuracy(),
                            json.predicted().searchAccuracy(), 1e-12, r.target());
                    String key = r.candidate().arch().key();
                    java.util.List<ofa4j.predictor.AccuracySample> others =
                            all.stream().filter(x -> !x.key().equals(key)).toList();
                    // a row unless it was measured in a tightening round after the last refit
                    assertTrue(others.size() == all.size() - 1 || r.outcome().delivered().round() > 1,
                            r.target() + " delivered from round " + r.outcome().delivered().round() + " is no row");
                    double expected;
                    if ("ridge".equals(p.best().name())) {
                        expected = ofa4j.predictor.RidgeAccuracyPredictor.fit(space, others, 1).predict(r.candidate().arch());
                    } else {
                        try (ofa4j.predictor.MlpAccuracyPredictor mlp = ofa4j.predictor.MlpAccuracyPredictor.train(space,
                                others, ofa4j.predictor.MlpAccuracyPredictor.Config.defaults(1))) {
                            expected = mlp.predict(r.candidate().arch());
                        }
                    }
                    double lo = others.stream().mapToDouble(ofa4j.predictor.AccuracySample::accuracy).min().orElseThrow();
                    double hi = others.stream().mapToDouble(ofa4j.predictor.AccuracySample::accuracy).max().orElseThrow();
                    assertEquals(Math.max(lo, Math.min(hi, expected)), json.predicted().accuracy(), 1e-6, r.target());
                    assertEquals(expected < lo || expected > hi, json.predicted().outsideTableRange(), r.target());
                }
                assertEquals(20, p.rows());
                assertTrue(Files.isRegularFile(pd.resolve(PredictorStage.QUALITY_FILE)));
            }
        }
    }
}
