package ofa4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import ofa4j.exporter.OnnxExporter;
import ofa4j.supernet.data.DataSplits;
import ofa4j.supernet.data.ImageSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ofa run --data <image folder>} on a tiny synthetic folder (3 colour classes x 40 images of
 * 28x28 PNG), then the later stages on the run it leaves: they must use the folder's 3 channels and
 * 3 classes, with or without {@code --data}, and refuse data that does not fit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageFolderRunTest {

    /** Class folders; sorted by name they are the labels 0, 1, 2. */
    private static final List<String> CLASSES = List.of("blue", "green", "red");

    private static final int PER_CLASS = 40;

    @TempDir static Path dir;
    private Path images;
    private Path run;

    @BeforeAll
    void runTheMainJobOnAFolder() throws IOException {
        images = dir.resolve("my_images");
        writeFolder(images, CLASSES, PER_CLASS, 28);
        run = dir.resolve("pets");
        CliRunner.Result r = CliRunner.run("run", "--preset", "smoke", "--data", images.toString(), "--out", run.toString(),
                "--samples", "20", "--calibration-images", "50", "--profile-subnets", "5", "--candidates", "3", "--rounds", "1",
                "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("image folder " + images.toAbsolutePath()), r.out());
    }

    /**
     * Writes a folder of RGB PNGs: class {@code c} is tinted towards one colour channel and striped
     * with period {@code c + 2}, plus seeded noise, so classes differ in colour and texture.
     */
    static void writeFolder(Path root, List<String> classes, int perClass, int size) throws IOException {
        Random rnd = new Random(7);
        for (int c = 0; c < classes.size(); c++) {
            Path d = root.resolve(classes.get(c));
            Files.createDirectories(d);
            for (int i = 0; i < perClass; i++) {
                BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        int stripe = (x + y) / (c + 2) % 2 == 0 ? 90 : 0;
                        int[] rgb = new int[3];
                        for (int ch = 0; ch < 3; ch++) {
                            int v = 40 + rnd.nextInt(40) + (ch == 2 - c ? 100 : 0) + stripe;
                            rgb[ch] = Math.min(255, v);
                        }
                        img.setRGB(x, y, rgb[0] << 16 | rgb[1] << 8 | rgb[2]);
                    }
                }
                ImageIO.write(img, "png", d.resolve(String.format("%03d.png", i)).toFile());
            }
        }
    }

    private static JsonObject json(Path f) throws IOException {
        return JsonParser.parseString(Files.readString(f)).getAsJsonObject();
    }

    @Test
    void runUsesTheFoldersChannelsAndClassesInEveryStage() throws Exception {
        JsonObject r = json(run.resolve("report.json"));
        JsonObject space = r.getAsJsonObject("search_space");
        assertEquals(3, space.get("in_channels").getAsInt()); // colour PNGs: 3 channels detected
        assertEquals(3, space.get("num_classes").getAsInt());
        JsonObject data = r.getAsJsonObject("data");
        assertEquals("image-folder", data.get("kind").getAsString());
        assertEquals("[\"blue\",\"green\",\"red\"]", data.get("class_names").toString());
        // 120 images: 10% test, 10% validation, the rest train
        assertEquals(96, data.get("train_images").getAsInt());
        assertEquals(12, data.get("val_images").getAsInt());
        assertEquals(12, data.get("test_images").getAsInt());
        // the device profile, the predictor and the slices are all of the run's space
        JsonObject profile = json(run.resolve("devices").resolve("cpu-ort-1t.json"));
        assertEquals(3, profile.getAsJsonObject("space").get("in_channels").getAsInt());
        assertEquals(3, profile.getAsJsonObject("space").get("num_classes").getAsInt());
        JsonArray slices = r.getAsJsonArray("slices");
        assertEquals(4, slices.size());
        for (JsonElement e : slices) {
            JsonObject s = e.getAsJsonObject();
            Path onnx = Path.of(s.get("onnx").getAsString());
            assertTrue(Files.size(onnx) > 10_000, onnx.toString());
            JsonObject onnxSpace = JsonParser.parseString(OnnxExporter.readMetadata(onnx).get(OnnxExporter.META_SPACE_JSON))
                    .getAsJsonObject();
            assertEquals(3, onnxSpace.get("in_channels").getAsInt());
            assertEquals(3, onnxSpace.get("num_classes").getAsInt());
            JsonObject rep = json(Path.of(s.get("report").getAsString()));
            assertTrue(rep.getAsJsonObject("measured").get("onnx_max_abs_diff").getAsDouble() <= 1e-4, rep.toString());
            double acc = s.get("test_accuracy").getAsDouble();
            assertTrue(acc >= 0 && acc <= 1, "test accuracy " + acc);
        }
        assertTrue(Files.readString(run.resolve("summary.md")).contains("Data: image folder"));
        JsonObject rec = json(run.resolve("supernet").resolve(DataOptions.RECORD_FILE));
        assertEquals(3, rec.get("channels").getAsInt());
        assertEquals(28, rec.get("image_size").getAsInt());
        assertEquals(images.toAbsolutePath().toString(), rec.get("dir").getAsString());
    }

    @Test
    void laterStagesReloadTheSameFolderWithOrWithoutData() throws Exception {
        String sup = run.resolve("supernet").toString();
        CliRunner.Result recorded = CliRunner.run("eval", "--supernet", sup, "--arch", "max", "--split", "test",
                "--calibration-images", "50", "--quiet");
        assertEquals(0, recorded.code(), recorded.err());
        assertTrue(recorded.out().contains("test    top-1") && recorded.out().contains("r28-"), recorded.out());
        CliRunner.Result given = CliRunner.run("eval", "--supernet", sup, "--arch", "max", "--split", "test",
                "--calibration-images", "50", "--quiet", "--data", images.toString());
        assertEquals(0, given.code(), given.err());
        assertEquals(recorded.out(), given.out()); // same splits, same recalibration, same accuracy
        Path onnx = dir.resolve("max.onnx");
        CliRunner.Result x = CliRunner.run("export", "--supernet", sup, "--arch", "max", "--out", onnx.toString(),
                "--verify", "--calibration-images", "50", "--quiet", "--data", images.toString());
        assertEquals(0, x.code(), x.err());
        assertTrue(x.out().contains("PASS"), x.out());
        Map<String, String> meta = OnnxExporter.readMetadata(onnx);
        assertEquals("[\"blue\",\"green\",\"red\"]", meta.get("ofa4j.class_names"));
    }

    @Test
    void dataThatDoesNotFitTheSupernetIsRefused() {
        String sup = run.resolve("supernet").toString();
        // grey images of the same folder: the supernet takes 3 channels
        CliRunner.Result r = CliRunner.run("eval", "--supernet", sup, "--arch", "max", "--channels", "1", "--quiet");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("takes 3-channel images of 3 classes") && r.err().contains("3 classes, 1x28x28"), r.err());
        // another size: the shapes fit, but these are not the images it was trained on
        r = CliRunner.run("eval", "--supernet", sup, "--arch", "max", "--image-size", "24", "--quiet");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("3 classes, 3x28x28 (fingerprint") && r.err().contains("not on image folder")
                && r.err().contains("3x24x24"), r.err());
    }

    @Test
    void badChannelsSizeOrFolderIsOneLineNamingTheValue() throws IOException {
        Path out = dir.resolve("never");
        CliRunner.Result r = CliRunner.run("train", "--preset", "smoke", "--data", images.toString(), "--channels", "2",
                "--out", out.toString(), "--quiet");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--channels must be 1 (grey) or 3 (RGB), found 2"), r.err());
        r = CliRunner.run("train", "--preset", "smoke", "--data", images.toString(), "--image-size", "0",
                "--out", out.toString(), "--quiet");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--image-size must be in [1, 512] px, found 0"), r.err());
        Path one = dir.resolve("one-class");
        writeFolder(one, List.of("only"), 3, 8);
        r = CliRunner.run("train", "--preset", "smoke", "--data", one.toString(), "--out", out.toString(), "--quiet");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains(one.toString()) && r.err().contains("at least 2 class sub-folders, found 1"), r.err());
        Path empty = dir.resolve("empty");
        Files.createDirectories(empty);
        r = CliRunner.run("train", "--preset", "smoke", "--data", empty.toString(), "--out", out.toString(), "--quiet");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains(empty.toString()) && r.err().contains("nor class sub-folders"), r.err());
        assertTrue(r.err().lines().count() == 1, r.err());
        assertTrue(!Files.exists(out.resolve("latest")));
    }

    @Test
    void foldersAreSplitTenPercentEachWithAtLeastOneImage() {
        ImageSet nine = new ImageSet("nine", 1, 2, 2, new float[9 * 4], new int[] {0, 0, 0, 0, 0, 1, 1, 1, 1}, 2);
        DataSplits d = DataOptions.carveFolder(nine, 0, 0, 0);
        assertEquals(List.of(7, 1, 1), List.of(d.train().size(), d.val().size(), d.test().size()));
        DataSplits sub = DataOptions.carveFolder(nine, 3, 0, 0);
        assertEquals(3, sub.train().size());
        ImageSet two = nine.head(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataOptions.carveFolder(two, 0, 0, 0));
        assertTrue(e.getMessage().contains("of 2 images"), e.getMessage());
    }
}
