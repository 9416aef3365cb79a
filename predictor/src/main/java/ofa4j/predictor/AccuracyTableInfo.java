package ofa4j.predictor;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.annotations.SerializedName;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import ofa4j.models.AtomicFiles;

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
        @SerializedName("format_version") int formatVersion,
        @SerializedName("split") String split,
        @SerializedName("calibration_images") int calibrationImages,
        @SerializedName("calibration_seed") long calibrationSeed,
        @SerializedName("val_images") int valImages) {

    /** Version of the file layout. */
    public static final int FORMAT_VERSION = 1;

    /** File name beside the table. */
    public static final String FILE = "accuracy.info.json";

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

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
        AtomicFiles.writeString(dir.resolve(FILE), GSON.toJson(this) + "\n");
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
            AccuracyTableInfo i = GSON.fromJson(Files.readString(f), AccuracyTableInfo.class);
            if (i == null || i.formatVersion() != FORMAT_VERSION || !"val".equals(i.split()) || i.calibrationImages() < 1) {
                throw new IOException("accuracy table info " + f + " is not format " + FORMAT_VERSION
                        + " with split val and calibration_images >= 1");
            }
            return i;
        } catch (CharacterCodingException e) {
            throw new IOException("accuracy table info " + f + " is not UTF-8 text", e);
        } catch (JsonParseException | NumberFormatException e) {
            throw new IOException("accuracy table info " + f + " is malformed: " + e.getMessage(), e);
        }
    }
}
