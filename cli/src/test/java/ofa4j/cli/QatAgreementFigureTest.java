package ofa4j.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import ofa4j.exporter.Int8Exporter;
import ofa4j.exporter.Verifier;
import ofa4j.models.Subnet;
import ofa4j.predictor.AccuracyTableInfo;
import ofa4j.predictor.SupernetScorer;
import ofa4j.slicer.Specialiser;
import ofa4j.slicer.SupernetBackend;
import ofa4j.supernet.data.Batches;
import ofa4j.supernet.data.ImageSet;
import ofa4j.supernet.fixed.FixedNetwork;
import ofa4j.supernet.ops.FakeQuant;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A figure on trained weights: the fake-quantized DJL forward of a fine-tuned subnet against its
 * INT8 export in ONNX Runtime on the whole validation and test splits (top-1 agreement, logit
 * differences). Needs a run ({@code OFA_QAT_RUN}) and a subnet file of it ({@code OFA_QAT_SUBNET},
 * e.g. {@code <finetune out>/qat/subnet-e2.bin}); min/max calibration as {@code ofa finetune}'s
 * default. Runs in the {@code perf} profile:
 * <pre>
 * OFA_QAT_RUN=/tmp/qat-quick OFA_QAT_SUBNET=/tmp/ft/qat/subnet-e2.bin mvn -Pperf -pl cli test \
 *     -Dtest=QatAgreementFigureTest -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@Tag("perf")
class QatAgreementFigureTest {

    @Test
    void fakeQuantizedForwardAgreesWithTheInt8ExportOnTrainedWeights() throws Exception {
        String runEnv = System.getenv("OFA_QAT_RUN");
        String subnetEnv = System.getenv("OFA_QAT_SUBNET");
        assumeTrue(runEnv != null && subnetEnv != null, "set OFA_QAT_RUN and OFA_QAT_SUBNET");
        Path runDir = Path.of(runEnv);
        Subnet s = Subnet.load(Path.of(subnetEnv));
        try (SupernetRun run = SupernetRun.open(runDir.resolve("supernet"), new DataOptions(), true)) {
            AccuracyTableInfo info = AccuracyTableInfo.read(runDir.resolve("predictor"));
            assumeTrue(info != null && Files.isDirectory(runDir.resolve("predictor")), "no accuracy table info");
            SupernetBackend b = new SupernetBackend(run.net, run.data, info.calibrationImages(),
                    SupernetScorer.DEFAULT_EVAL_BATCH);
            Specialiser.Int8Settings q8 = new Specialiser.Int8Settings(Int8Exporter.Method.MINMAX, Double.NaN,
                    Specialiser.Int8Settings.DEFAULT_IMAGES);
            Int8Exporter.Calibration cal = b.int8Calibration(s, q8, info.calibrationSeed());
            byte[] onnx = Int8Exporter.toBytes(s, cal, Map.of());
            Map<String, FakeQuant.Activation> acts = new LinkedHashMap<>();
            Int8Exporter.activationQuantization(s, cal).forEach((k, v) -> acts.put(k, new FakeQuant.Activation(v.scale(), v.zeroPoint())));
            FakeQuant fq = new FakeQuant(acts);
            for (ImageSet split : new ImageSet[] {run.data.val(), run.data.test()}) {
                int n = split.size();
                int r = s.arch().resolution();
                int agree = 0;
                int exact = 0;
                int correctOrt = 0;
                int correctFake = 0;
                double max = 0;
                try (Verifier v = Verifier.open(onnx, 1); FixedNetwork net = new FixedNetwork(s)) {
                    for (int start = 0; start < n; start += 250) {
                        int m = Math.min(250, n - start);
                        int[] idx = new int[m];
                        for (int i = 0; i < m; i++) {
                            idx[i] = start + i;
                        }
                        try (NDManager scope = NDManager.newBaseManager()) {
                            var x = Batches.images(scope, split, idx, r, run.data.mean(), run.data.std());
                            float[] fake = net.forward(scope, x, false, fq).toFloatArray();
                            float[] ort = v.run(x.toFloatArray(), m, split.channels(), r, r).data();
                            int classes = ort.length / m;
                            for (int i = 0; i < m; i++) {
                                int a = FinetuneCommandTest.argmax(ort, i, classes);
                                int f = FinetuneCommandTest.argmax(fake, i, classes);
                                agree += a == f ? 1 : 0;
                                correctOrt += a == split.labels()[idx[i]] ? 1 : 0;
                                correctFake += f == split.labels()[idx[i]] ? 1 : 0;
                                double row = 0;
                                for (int k = 0; k < classes; k++) {
                                    row = Math.max(row, Math.abs(ort[i * classes + k] - fake[i * classes + k]));
                                }
                                exact += row <= 1e-4 ? 1 : 0;
                                max = Math.max(max, row);
                            }
                        }
                    }
                }
                System.out.printf(Locale.ROOT, "[qat agreement] %s %s: %d images, top-1 agreement %.2f%%, logits within"
                        + " 1e-4 on %.2f%%, max |diff| %.4f; accuracy ONNX Runtime INT8 %.2f%%, fake-quantized DJL %.2f%%%n",
                        s.arch().key(), split.name(), n, 100.0 * agree / n, 100.0 * exact / n, max, 100.0 * correctOrt / n,
                        100.0 * correctFake / n);
                assertTrue(agree >= 0.99 * n);
            }
        }
    }
}
