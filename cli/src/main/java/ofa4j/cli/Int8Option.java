package ofa4j.cli;

import ofa4j.exporter.Int8Exporter;
import ofa4j.slicer.Specialiser;
import picocli.CommandLine.Option;

/**
 * How INT8 models are calibrated (a picocli mixin of the commands that write them): the calibration
 * method, its percentile and the number of training images.
 */
public final class Int8Option {

    @Option(names = "--int8-calibration", defaultValue = "minmax", paramLabel = "METHOD",
            description = "INT8 activation ranges from the calibration images: minmax or percentile (default ${DEFAULT-VALUE}).")
    String method = "minmax";

    @Option(names = "--int8-percentile", defaultValue = "99.99", paramLabel = "P",
            description = "Percentile of --int8-calibration percentile: each tail clips 100 - P %% of the values (default ${DEFAULT-VALUE}).")
    double percentile = Int8Exporter.DEFAULT_PERCENTILE;

    @Option(names = "--int8-images", defaultValue = "500", paramLabel = "N",
            description = "Training images run through the FP32 model to calibrate INT8 (default ${DEFAULT-VALUE}).")
    int images = Specialiser.Int8Settings.DEFAULT_IMAGES;

    /**
     * The settings.
     *
     * @return the INT8 settings
     * @throws IllegalArgumentException naming the option and the value when one is bad
     */
    Specialiser.Int8Settings settings() {
        Int8Exporter.Method m;
        try {
            m = Int8Exporter.Method.parse(method);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--int8-calibration must be one of minmax, percentile; found '" + method + "'");
        }
        if (!(percentile > 50 && percentile <= 100)) { // checked with minmax too: a bad value is a typo either way
            throw new IllegalArgumentException("--int8-percentile must be in (50, 100], found " + percentile);
        }
        if (images < 1) {
            throw new IllegalArgumentException("--int8-images must be >= 1, found " + images);
        }
        return new Specialiser.Int8Settings(m, percentile, images);
    }
}
