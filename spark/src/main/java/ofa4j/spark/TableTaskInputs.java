package ofa4j.spark;

import java.io.Serializable;
import ofa4j.supernet.data.ImageSet;

/**
 * What every task of an accuracy-table job needs besides its subnets, broadcast once to each
 * executor: the supernet file, the BN calibration images (only the subset the table's calibration
 * seed reads, arranged by {@link ofa4j.supernet.Supernet#calibrationSubset}), the validation split
 * and the measuring settings.
 *
 * @param supernet the parameter file every worker reads
 * @param calibration the calibration subset
 * @param val the validation images
 * @param mean per-channel input mean
 * @param std per-channel input standard deviation
 * @param calibrationImages BN recalibration images per subnet
 * @param calibrationSeed the table's calibration seed
 * @param evalBatch images per ONNX Runtime run
 * @param onnxThreads ONNX Runtime threads of one task
 * @param torchThreads PyTorch threads of the BN recalibration
 */
record TableTaskInputs(SupernetFile supernet, Images calibration, Images val, float[] mean, float[] std,
        int calibrationImages, long calibrationSeed, int evalBatch, int onnxThreads, int torchThreads)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /**
     * An {@link ImageSet} in serialisable form.
     *
     * @param name name
     * @param channels channels
     * @param height height, px
     * @param width width, px
     * @param pixels pixels
     * @param labels labels
     * @param numClasses classes
     */
    record Images(String name, int channels, int height, int width, float[] pixels, int[] labels, int numClasses)
            implements Serializable {

        private static final long serialVersionUID = 1L;

        static Images of(ImageSet s) {
            return new Images(s.name(), s.channels(), s.height(), s.width(), s.pixels(), s.labels(), s.numClasses());
        }

        ImageSet toImageSet() {
            return new ImageSet(name, channels, height, width, pixels, labels, numClasses);
        }
    }
}
