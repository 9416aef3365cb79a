package ofa4j.predictor;

import ofa4j.exporter.OnnxExporter;
import ofa4j.models.ArchConfig;
import ofa4j.models.Subnet;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.DataSplits;
import ofa4j.supernet.data.ImageSet;

/**
 * Scores subnets of a (trained) supernet as OFA does for its accuracy dataset: extract the subnet,
 * recalibrate its batch norm on {@code calibrationImages} training images (a random subset chosen
 * by the row's seed), then measure top-1 accuracy on the VALIDATION split, on the exported ONNX
 * model in ONNX Runtime ({@link OnnxAccuracy}, as the closed loop measures its candidates). The test
 * split is never touched here.
 */
public final class SupernetScorer implements SubnetScorer {

    /** Default images for BN recalibration (OFA: 2000). */
    public static final int DEFAULT_CALIBRATION_IMAGES = Supernet.DEFAULT_CALIBRATION_IMAGES;

    /** Default evaluation batch size. */
    public static final int DEFAULT_EVAL_BATCH = 500;

    private final Supernet supernet;
    private final ImageSet train;
    private final ImageSet val;
    private final float[] mean;
    private final float[] std;
    private final int calibrationImages;
    private final int evalBatch;
    private final int onnxThreads;

    /**
     * Creates a scorer.
     *
     * @param supernet the supernet (not closed here)
     * @param train training split, source of the BN calibration images
     * @param val validation split, on which accuracy is measured
     * @param mean per-channel input mean
     * @param std per-channel input standard deviation
     * @param calibrationImages images used for BN recalibration
     * @param evalBatch evaluation batch size
     */
    public SupernetScorer(
            Supernet supernet, ImageSet train, ImageSet val, float[] mean, float[] std, int calibrationImages,
            int evalBatch) {
        this(supernet, train, val, mean, std, calibrationImages, evalBatch, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Creates a scorer whose ONNX Runtime sessions use a fixed number of threads.
     *
     * @param supernet the supernet (not closed here)
     * @param train training split, source of the BN calibration images (or the subset {@link
     *     Supernet#calibrationSubset} picks for the seed the rows are scored with)
     * @param val validation split, on which accuracy is measured
     * @param mean per-channel input mean
     * @param std per-channel input standard deviation
     * @param calibrationImages images used for BN recalibration
     * @param evalBatch evaluation batch size
     * @param onnxThreads ONNX Runtime intra-op threads (default: one per available processor)
     */
    public SupernetScorer(
            Supernet supernet, ImageSet train, ImageSet val, float[] mean, float[] std, int calibrationImages,
            int evalBatch, int onnxThreads) {
        if (calibrationImages < 1 || evalBatch < 1 || onnxThreads < 1) {
            throw new IllegalArgumentException(
                    "calibration images, eval batch and ONNX threads must be >= 1, found " + calibrationImages + ", "
                            + evalBatch + " and " + onnxThreads);
        }
        this.supernet = supernet;
        this.train = train;
        this.val = val;
        this.mean = mean.clone();
        this.std = std.clone();
        this.calibrationImages = calibrationImages;
        this.evalBatch = evalBatch;
        this.onnxThreads = onnxThreads;
    }

    /**
     * Creates the standard scorer of a run: calibration on the train split, accuracy on the
     * validation split, with the splits' normalisation, {@link #DEFAULT_CALIBRATION_IMAGES} images
     * and batch {@link #DEFAULT_EVAL_BATCH}.
     *
     * @param supernet the supernet (e.g. {@code Checkpoint.loadSupernet(runDir)}; not closed here)
     * @param splits the run's data splits; the test split is not used
     * @return the scorer
     */
    public static SupernetScorer of(Supernet supernet, DataSplits splits) {
        return new SupernetScorer(
                supernet, splits.train(), splits.val(), splits.mean(), splits.std(), DEFAULT_CALIBRATION_IMAGES,
                DEFAULT_EVAL_BATCH);
    }

    /** {@inheritDoc} */
    @Override
    public double accuracy(ArchConfig arch, long seed) {
        Subnet s = supernet.extractCalibrated(arch, train, calibrationImages, mean, std, seed);
        return OnnxAccuracy.top1(OnnxExporter.toBytes(s, java.util.Map.of()), s, val, mean, std, evalBatch, onnxThreads);
    }
}
