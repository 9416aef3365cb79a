package ofa4j.predictor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import ofa4j.models.JsonFiles;

/**
 * How the rows of an accuracy table were measured ({@code accuracy.info.json} beside {@code
 * accuracy.jsonl}): the split, the number of BN calibration images and their seed. A closed loop
 * appends measured candidates to the table only when it measures them the same way.
 *
 * @param formatVersion {@link #FORMAT_VERSION}
 * @param split the split the accuracies are measured on (always {@code val})
 * @param calibrationImages BN recalibration images per subnet
 * @param calibrationSeed seed of the calibration images' order
 * @param valImages images of the validation split
 */
public record AccuracyTableInfo(
        int formatVersion, String split, int calibrationImages, long calibrationSeed, int valImages) {

    /** Version of the file layout. */
    public static final int FORMAT_VERSION = 1;

    /** File name beside the table. */
    public static final String FILE = "accuracy.info.json";

    /** Checks the version, the split and the number of calibration images. */
    public AccuracyTableInfo {
        JsonFiles.checkVersion(FILE, formatVersion, FORMAT_VERSION, FORMAT_VERSION);
        if (!"val".equals(split)) {
            throw new IllegalArgumentException("'split' must be 'val', found " + (split == null ? "nothing" : "'" + split + "'"));
        }
        if (calibrationImages < 1) {
            throw new IllegalArgumentException("'calibration_images' must be >= 1, found " + calibrationImages);
        }
    }

    /**
     * The info of a table built with {@code seed} on the validation split.
     *
     * @param calibrationImages BN recalibration images
     * @param tableSeed the table's seed ({@link AccuracyDatasetBuilder#calibrationSeed})
     * @param valImages validation images
     * @return the info
     */
    public static AccuracyTableInfo of(int calibrationImages, long tableSeed, int valImages) {
        return new AccuracyTableInfo(FORMAT_VERSION, "val", calibrationImages,
                AccuracyDatasetBuilder.calibrationSeed(tableSeed), valImages);
    }

    /**
     * Writes the info atomically.
     *
     * @param dir the predictor directory
     * @throws IOException if writing fails
     */
    public void save(Path dir) throws IOException {
        JsonFiles.write(dir.resolve(FILE), this);
    }

    /**
     * Reads the info of a table, or null when the file does not exist (tables of older versions).
     *
     * @param dir the predictor directory
     * @return the info or null
     * @throws IOException if the file is unreadable or malformed, naming it
     */
    public static AccuracyTableInfo read(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            return JsonFiles.read(f, AccuracyTableInfo.class);
        } catch (IOException e) {
            throw new IOException("accuracy table info " + e.getMessage(), e);
        }
    }
}
