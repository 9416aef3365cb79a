package ofa4j.predictor;

import java.util.Arrays;
import ofa4j.exporter.OnnxExporter;
import ofa4j.exporter.Verifier;
import ofa4j.models.Subnet;
import ofa4j.supernet.Evaluator;
import ofa4j.supernet.data.Batches;
import ofa4j.supernet.data.ImageSet;

/**
 * Top-1 accuracy of a subnet measured on its exported ONNX model in ONNX Runtime: the model that
 * is delivered is the model that is scored. The images are prepared exactly as {@link
 * Evaluator#top1} prepares them (the same {@link Batches#pixels}), and ties of the arg-max go to
 * the lowest class as there; the logits agree with DJL's to about 1e-6, so both give the same
 * top-1 except on exact near-ties. ONNX Runtime is used because it runs these small networks 1.5-4x
 * faster than libtorch on this CPU (a closed loop scores every candidate it measures).
 */
public final class OnnxAccuracy {

    private OnnxAccuracy() {}

    /**
     * Exports {@code subnet} and measures its top-1 accuracy in ONNX Runtime with one intra-op
     * thread per available processor.
     *
     * @param subnet the subnet
     * @param set the images
     * @param mean per-channel input mean
     * @param std per-channel input standard deviation
     * @param batchSize images per run (e.g. 500)
     * @return the fraction of images whose highest logit is the label, in [0, 1]
     * @throws IllegalArgumentException on channel/class mismatch, an empty set or batchSize < 1
     */
    public static double top1(Subnet subnet, ImageSet set, float[] mean, float[] std, int batchSize) {
        return top1(OnnxExporter.toBytes(subnet, java.util.Map.of()), subnet, set, mean, std, batchSize);
    }

    /**
     * Measures the top-1 accuracy of an ONNX model exported from {@code subnet}.
     *
     * @param onnx the model bytes (exported from {@code subnet})
     * @param subnet the subnet (its space and resolution say how to prepare the images)
     * @param set the images
     * @param mean per-channel input mean
     * @param std per-channel input standard deviation
     * @param batchSize images per run
     * @return the fraction of images whose highest logit is the label, in [0, 1]
     * @throws IllegalArgumentException on channel/class mismatch, an empty set or batchSize < 1
     */
    public static double top1(byte[] onnx, Subnet subnet, ImageSet set, float[] mean, float[] std, int batchSize) {
        return top1(onnx, subnet, set, mean, std, batchSize, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Measures the top-1 accuracy of an ONNX model exported from {@code subnet} with a fixed number
     * of ONNX Runtime intra-op threads (a worker running several such measurements side by side
     * gives each its share of the cores).
     *
     * @param onnx the model bytes (exported from {@code subnet})
     * @param subnet the subnet (its space and resolution say how to prepare the images)
     * @param set the images
     * @param mean per-channel input mean
     * @param std per-channel input standard deviation
     * @param batchSize images per run
     * @param threads ONNX Runtime intra-op threads, at least 1
     * @return the fraction of images whose highest logit is the label, in [0, 1]
     * @throws IllegalArgumentException on channel/class mismatch, an empty set, batchSize < 1 or
     *     threads < 1
     */
    public static double top1(byte[] onnx, Subnet subnet, ImageSet set, float[] mean, float[] std, int batchSize,
            int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("ONNX Runtime threads must be >= 1, found " + threads);
        }
        Evaluator.checkTop1(subnet, set, mean, std, batchSize);
        int classes = subnet.space().numClasses();
        int r = subnet.arch().resolution();
        long correct = 0;
        try (Verifier ort = Verifier.open(onnx, threads)) {
            for (int start = 0; start < set.size(); start += batchSize) {
                int end = Math.min(set.size(), start + batchSize);
                int[] idx = new int[end - start];
                for (int i = 0; i < idx.length; i++) {
                    idx[i] = start + i;
                }
                float[] x = Batches.pixels(set, idx, r, mean, std);
                Verifier.Output y = ort.run(x, idx.length, set.channels(), r, r);
                correct += Evaluator.countCorrect(y.data(), classes, Arrays.copyOfRange(set.labels(), start, end));
            }
        }
        return (double) correct / set.size();
    }
}
