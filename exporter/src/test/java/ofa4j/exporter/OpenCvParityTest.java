package ofa4j.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.models.testing.RandomSubnets;
import org.junit.jupiter.api.Test;

/**
 * Exported models compute the same logits in OpenCV's DNN module (Debian's python3-opencv, which
 * {@code .ci/run} installs) as in ONNX Runtime: max, min and sampled subnets of two spaces, every
 * resolution, on random inputs. A squeeze-excite {@code Mul} that broadcasts the gate gave
 * near-constant logits in OpenCV 4.6.
 */
class OpenCvParityTest {

    @Test
    void openCvComputesTheLogitsOnnxRuntimeComputes() throws Exception {
        assertNull(OpenCvDnn.unavailable(), "OpenCV DNN is needed (apt-get install python3-opencv)");
        List<SearchSpace> spaces = List.of(SearchSpace.fmnist(), OnnxExporterTest.smallOfa());
        SplittableRandom rng = new SplittableRandom(7);
        int checked = 0;
        for (SearchSpace space : spaces) {
            List<ArchConfig> archs = new ArrayList<>(List.of(space.max(), space.min()));
            for (int r : space.resolutions()) {
                archs.add(space.uniform(pick(space.kernels(), rng), pick(space.expandRatios(), rng),
                        pick(space.depths(), rng), r));
            }
            for (int i = 0; i < archs.size(); i++) {
                ArchConfig a = archs.get(i);
                Subnet s = RandomSubnets.create(space, a, 31 + i);
                byte[] onnx = OnnxExporter.toBytes(s, Map.of());
                int n = 16;
                int c = space.inChannels();
                int res = a.resolution();
                float[] x = new float[n * c * res * res];
                for (int j = 0; j < x.length; j++) {
                    x[j] = (float) (rng.nextDouble() * 4 - 2);
                }
                float[] ort;
                try (Verifier v = Verifier.open(onnx, 1)) {
                    ort = v.run(x, n, c, res, res).data();
                }
                OpenCvDnn.Output cv = OpenCvDnn.run(onnx, x, n, c, res, res);
                assertEquals(space.numClasses(), cv.classes(), a.key());
                double maxDiff = 0;
                double spread = 0;
                for (int j = 0; j < ort.length; j++) {
                    maxDiff = Math.max(maxDiff, Math.abs(ort[j] - cv.logits()[j]));
                    spread = Math.max(spread, Math.abs(ort[j] - ort[j % space.numClasses()]));
                }
                assertTrue(maxDiff <= 1e-4, space.name() + " " + a.key() + ": max |OpenCV - ORT| " + maxDiff);
                // the inputs differ, so must the logits (a near-constant output is the failure seen)
                assertTrue(spread > 1e-3, a.key() + ": logits barely depend on the input, spread " + spread);
                assertEquals(top1(ort, space.numClasses()), top1(cv.logits(), space.numClasses()), a.key());
                checked++;
            }
        }
        assertTrue(checked >= 6, "models checked: " + checked);
    }

    /**
     * OpenCV 4.6 cannot import the INT8 QDQ models: its ONNX importer refuses a per-channel {@code
     * DequantizeLinear} (the first weight). The other QDQ forms fail too (per-tensor weights: a
     * {@code DequantizeLinear} of a constant fails an assertion; float weights with quantized
     * activations: the {@code Conv} then receives int8 data). When this test fails, OpenCV reads
     * them: compare its top-1 with ONNX Runtime's as for FP32.
     */
    @Test
    void openCv46RefusesInt8QdqModelsAtThePerChannelWeight() throws Exception {
        assertNull(OpenCvDnn.unavailable(), "OpenCV DNN is needed (apt-get install python3-opencv)");
        SearchSpace space = SearchSpace.fmnist();
        ArchConfig a = space.min();
        Subnet s = RandomSubnets.create(space, a, 3);
        byte[] q = Int8Exporter.toBytes(s, Int8ExporterTest.calibration(space, a, Int8Exporter.Method.MINMAX, 1), Map.of());
        int r = a.resolution();
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> OpenCvDnn.run(q, RandomSubnets.input(2, 1, r, 2), 2, 1, r, r));
        assertTrue(e.getMessage().contains("Per-channel scales/zeropoints are not supported"), e.getMessage());
    }

    /**
     * The QOperator form of the INT8 models ({@link Int8Exporter#toQOperator}) runs in OpenCV 4.6 with
     * the logits ONNX Runtime computes for it, and for the QDQ model it is rewritten from: max, min
     * and one sampled subnet of two spaces (squeeze-excite, residuals, ReLU and h-swish, feature mix),
     * calibrated and run on random inputs.
     */
    @Test
    void openCvRunsTheQOperatorFormOfInt8ModelsAsOnnxRuntimeRunsTheQdqForm() throws Exception {
        assertNull(OpenCvDnn.unavailable(), "OpenCV DNN is needed (apt-get install python3-opencv)");
        List<SearchSpace> spaces = List.of(SearchSpace.fmnist(), OnnxExporterTest.smallOfa());
        SplittableRandom rng = new SplittableRandom(11);
        int checked = 0;
        for (SearchSpace space : spaces) {
            List<Integer> rs = space.resolutions();
            List<ArchConfig> archs = List.of(space.max(), space.min(), space.uniform(pick(space.kernels(), rng),
                    pick(space.expandRatios(), rng), pick(space.depths(), rng), rs.get(rs.size() / 2)));
            for (int i = 0; i < archs.size(); i++) {
                ArchConfig a = archs.get(i);
                Subnet s = RandomSubnets.create(space, a, 41 + i);
                byte[] qdq = Int8Exporter.toBytes(s, Int8ExporterTest.calibration(space, a,
                        Int8Exporter.Method.MINMAX, 5 + i), Map.of());
                byte[] qop = Int8Exporter.toQOperator(qdq);
                assertEquals(Int8Exporter.FORM_QOPERATOR, OnnxExporter.readMetadata(qop).get(Int8Exporter.META_FORM));
                int n = 32;
                int c = space.inChannels();
                int res = a.resolution();
                float[] x = RandomSubnets.input(n, c, res, 100 + i);
                float[] ortQdq;
                float[] ortQop;
                try (Verifier v = Verifier.open(qdq, 1)) {
                    ortQdq = v.run(x, n, c, res, res).data();
                }
                try (Verifier v = Verifier.open(qop, 1)) {
                    ortQop = v.run(x, n, c, res, res).data();
                }
                OpenCvDnn.Output cv = OpenCvDnn.run(qop, x, n, c, res, res);
                assertEquals(space.numClasses(), cv.classes(), a.key());
                double cvVsOrt = 0;
                double qopVsQdq = 0;
                double spread = 0;
                for (int j = 0; j < ortQop.length; j++) {
                    cvVsOrt = Math.max(cvVsOrt, Math.abs(ortQop[j] - cv.logits()[j]));
                    qopVsQdq = Math.max(qopVsQdq, Math.abs(ortQop[j] - ortQdq[j]));
                    spread = Math.max(spread, Math.abs(ortQop[j] - ortQop[j % space.numClasses()]));
                }
                System.out.printf("%s %s: max |OpenCV - ORT| %.3g, max |QOperator - QDQ| (ORT) %.3g, spread %.3g%n",
                        space.name(), a.key(), cvVsOrt, qopVsQdq, spread);
                assertTrue(spread > 1e-3, a.key() + ": logits barely depend on the input, spread " + spread);
                assertEquals(top1(ortQop, space.numClasses()), top1(cv.logits(), space.numClasses()), a.key());
                assertEquals(top1(ortQdq, space.numClasses()), top1(ortQop, space.numClasses()), a.key());
                checked++;
            }
        }
        assertEquals(6, checked);
    }

    private static int pick(List<Integer> choices, SplittableRandom rng) {
        return choices.get(rng.nextInt(choices.size()));
    }

    private static List<Integer> top1(float[] logits, int classes) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < logits.length / classes; i++) {
            int best = 0;
            for (int k = 1; k < classes; k++) {
                if (logits[i * classes + k] > logits[i * classes + best]) {
                    best = k;
                }
            }
            out.add(best);
        }
        return out;
    }
}
