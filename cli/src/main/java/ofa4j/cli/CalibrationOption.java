package ofa4j.cli;

import ofa4j.predictor.AccuracyTableInfo;
import ofa4j.supernet.Supernet;
import picocli.CommandLine.Option;

/**
 * The {@code --calibration-images} option of the commands that measure subnets of a trained run (a picocli
 * mixin): the run's accuracy table decides when it records its calibration, so that a measurement is
 * comparable with the table's rows; otherwise OFA's 2,000 images.
 */
public final class CalibrationOption {

    @Option(names = "--calibration-images", paramLabel = "N", defaultValue = "" + Supernet.DEFAULT_CALIBRATION_IMAGES,
            description = "BN recalibration images when the run's accuracy table records none (default ${DEFAULT-VALUE},"
                    + " as OFA; otherwise the table's images and seed, so that measurements are comparable with its rows).")
    int images = Supernet.DEFAULT_CALIBRATION_IMAGES;

    /**
     * @return the images the option gives
     * @throws IllegalArgumentException naming the value if it is below 1
     */
    int images() {
        if (images < 1) {
            throw new IllegalArgumentException("--calibration-images must be >= 1, found " + images);
        }
        return images;
    }

    /**
     * @param table the run's accuracy table description, or null when the run has none
     * @return the table's calibration images when it records them, else the option's
     */
    int images(AccuracyTableInfo table) {
        int own = images(); // a bad value is refused even where the table decides
        return table != null ? table.calibrationImages() : own;
    }
}
