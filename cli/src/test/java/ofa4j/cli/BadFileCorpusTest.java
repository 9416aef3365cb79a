package ofa4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import ofa4j.exporter.OnnxExporter;
import ofa4j.models.Hashing;
import ofa4j.models.Subnet;
import ofa4j.predictor.MlpAccuracyPredictor;
import ofa4j.supernet.data.FashionMnist;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The corpus of bad files: every format ofa4j reads (docs/file-formats.md), damaged in the ways a
 * disk, a kill, a copy or a person damages files, each run through the real command that reads it.
 * For every case the command exits 1, prints exactly one line naming the bad file and what is wrong
 * with it (no stack trace), and changes no file: the case's folder, which holds the inputs and the
 * outputs the command would write, has the same files with the same bytes and modification times
 * before and after.
 *
 * <p>The bad files are made from good ones: the fixtures of the modules (earlier builds' files),
 * small synthetic IDX files and images, and one smoke-preset training run (on Fashion-MNIST, made
 * once, for the cases whose command opens a trained supernet; skipped when the data is not
 * installed).
 */
class BadFileCorpusTest {

    @TempDir static Path root;

    private static Path trained;

    /**
     * One bad file and the command that reads it.
     *
     * @param badFile the damaged file
     * @param what a fragment of the message saying what is wrong
     * @param args the command line
     */
    record Invocation(Path badFile, String what, List<String> args) {}

    /** Builds a case's folder (inputs, previous outputs, the damaged file) and says how to run it. */
    @FunctionalInterface
    interface Setup {
        Invocation make(Path dir) throws Exception;
    }

    static Stream<Arguments> corpus() {
        List<Arguments> c = new ArrayList<>();
        // ---- IDX (ofa train --data DIR): synthetic Fashion-MNIST files of 20 + 10 images
        c.add(idx("idx-images-truncated", "train-images-idx3-ubyte", f -> cut(f, 16 + 100), "is truncated at byte 116"));
        c.add(idx("idx-header-overflow", "train-images-idx3-ubyte",
                f -> write(f, idxHeader(3, 1 << 22, 1 << 21, 1 << 21)), "declares sizes [4194304, 2097152]"));
        c.add(idx("idx-labels-claim-2e9", "t10k-labels-idx1-ubyte",
                f -> write(f, concat(idxHeader(1, 2_000_000_000), new byte[8])), "is truncated at byte 16"));
        c.add(idx("idx-wrong-magic", "train-labels-idx1-ubyte", f -> patch(f, 3, 3), "bad magic 0x00000803"));
        c.add(idx("idx-label-count-mismatch", "train-labels-idx1-ubyte",
                f -> write(f, concat(idxHeader(1, 19), new byte[19])), "holds 20 images but"));
        c.add(idx("idx-label-out-of-range", "train-labels-idx1-ubyte", f -> patch(f, 8 + 3, 10),
                "has label 10 at item 3"));
        c.add(idx("idx-trailing-bytes", "t10k-images-idx3-ubyte", f -> write(f, concat(Files.readAllBytes(f), new byte[5])),
                "trailing data"));
        c.add(idx("idx-gzip-truncated", "train-images-idx3-ubyte.gz", f -> {
            Path plain = f.resolveSibling("train-images-idx3-ubyte");
            byte[] gz = gzip(Files.readAllBytes(plain));
            Files.delete(plain);
            write(f, Arrays.copyOf(gz, gz.length / 2));
        }, "gzip stream ended early"));
        // ---- image folders (ofa train --data DIR): class folders a/ and b/ of 8x8 PNGs, plus one bad file
        c.add(images("png-truncated", "a/bad.png", f -> write(f, Arrays.copyOf(png(16, 16, 1), 60)),
                "cannot decode image"));
        c.add(images("png-declares-46000x46000", "a/huge.png", f -> write(f, hugePng(46_000, 46_000)),
                "declares 46000 x 46000 pixels"));
        c.add(images("png-not-an-image", "b/notes.png", f -> Files.writeString(f, "shopping list: milk, eggs\n"),
                "not a readable PNG or JPEG"));
        c.add(images("jpg-zero-bytes", "b/empty.jpg", f -> write(f, new byte[0]), "not a readable PNG or JPEG"));
        c.add(images("jpg-truncated", "a/cut.jpg", f -> {
            byte[] j = jpeg(32, 32, 2);
            write(f, Arrays.copyOf(j, j.length * 2 / 3));
        }, "damaged image data"));
        // ---- device profile (ofa slice reads the run's devices/ first)
        c.add(device("device-not-json", f -> Files.writeString(f, "cpu-ort-1t: fast\n"), "malformed JSON at line 1 column 1"));
        c.add(device("device-wrong-version", f -> editJson(f, o -> o.addProperty("version", 3)), "version 3"));
        c.add(device("device-bad-precision", f -> editJson(f, o -> o.addProperty("precision", "int4")),
                "precision must be one of [fp32, int8], found 'int4'"));
        c.add(device("device-missing-lut", f -> editJson(f, o -> o.remove("lut_ms")), "'lut_ms' is missing"));
        c.add(device("device-bad-scale", f -> editJson(f, o -> o.getAsJsonObject("overhead").addProperty("scale", -1)),
                "a positive scale, found 0.0 and -1.0"));
        c.add(device("device-not-utf8", BadFileCorpusTest::nonUtf8, "is not UTF-8 text: byte 0xc3 at offset 2"));
        c.add(device("device-space-missing-stages", f -> editJson(f, o -> o.getAsJsonObject("space").remove("stages")),
                "'stages' is missing"));
        // ---- predictor files (ofa pareto reads quality.json, then the MLP or ridge model)
        c.add(predictor("quality-not-json", "quality.json", "best", f -> Files.writeString(f, "{\"rows\": 120,"),
                "the JSON ends early at line 1 column 14"));
        c.add(predictor("quality-wrong-version", "quality.json", "best", f -> editJson(f, o -> o.addProperty("format_version", 2)),
                "format_version 2"));
        c.add(predictor("quality-missing-mlp", "quality.json", "best", f -> editJson(f, o -> o.remove("mlp")),
                "'mlp' is missing"));
        c.add(predictor("ridge-wrong-version", "ridge.predictor", "ridge", f -> editJson(f, o -> o.addProperty("version", 3)),
                "version 3"));
        c.add(predictor("ridge-weights-too-few", "ridge.predictor", "ridge",
                f -> editJson(f, o -> o.add("weights", new JsonArray())), "needs 293 weights, found 0"));
        c.add(predictor("ridge-not-utf8", "ridge.predictor", "ridge", BadFileCorpusTest::nonUtf8, "is not UTF-8 text"));
        c.add(predictor("mlp-truncated", "mlp.predictor", "mlp", f -> cut(f, (int) Files.size(f) / 2),
                "checksum mismatch (file corrupt or truncated)"));
        c.add(predictor("mlp-wrong-magic", "mlp.predictor", "mlp", f -> patch(f, 0, 'X'), "magic OFA4JMLP missing"));
        c.add(predictor("mlp-v2-flipped-byte", "mlp.predictor", "mlp", f -> {
            try (MlpAccuracyPredictor m = MlpAccuracyPredictor.load(f)) {
                Files.delete(f);
                m.save(f); // the current format, version 2, with its SHA-256
            }
            patch(f, (int) Files.size(f) - 100, 0x55);
        }, "SHA-256 check failed"));
        // ---- accuracy table (ofa predictor fit reads predictor/accuracy.jsonl and accuracy.info.json)
        c.add(table("accuracy-jsonl-not-json", "accuracy.jsonl", f -> replaceLine(f, 1, "{\"key\": oops}"), "line 2: malformed JSON"));
        c.add(table("accuracy-jsonl-not-utf8", "accuracy.jsonl", BadFileCorpusTest::nonUtf8,
                "line 1 is not UTF-8 text: byte 0xc3 at offset 2"));
        c.add(table("accuracy-jsonl-accuracy-1.5", "accuracy.jsonl",
                f -> editLine(f, 2, o -> o.addProperty("accuracy", 1.5)), "must be a fraction in [0, 1], found 1.5"));
        c.add(table("accuracy-jsonl-missing-arch", "accuracy.jsonl", f -> editLine(f, 0, o -> o.remove("arch")),
                "line 1: 'arch' is missing"));
        c.add(table("accuracy-info-wrong-version", "accuracy.info.json",
                f -> editJson(f, o -> o.addProperty("format_version", 2)), "format_version 2"));
        c.add(table("accuracy-info-not-json", "accuracy.info.json", f -> Files.writeString(f, "[1, 2"),
                "expected a JSON object, found an array"));
        // ---- checkpoint files (ofa export opens the run's newest checkpoint)
        c.add(checkpoint("manifest-not-json", "manifest.json", f -> Files.writeString(f, "{ \"format_version\": 1, "),
                "the JSON ends early"));
        c.add(checkpoint("manifest-wrong-version", "manifest.json", f -> editJson(f, o -> o.addProperty("format_version", 2)),
                "format_version 2"));
        c.add(checkpoint("manifest-missing-space", "manifest.json", f -> editJson(f, o -> o.remove("space")), "'space' is missing"));
        c.add(checkpoint("manifest-phase-index-99", "manifest.json", f -> editJson(f, o -> o.addProperty("phase_index", 99)),
                "phase_index 99"));
        c.add(checkpoint("manifest-not-utf8", "manifest.json", BadFileCorpusTest::nonUtf8, "is not UTF-8 text"));
        c.add(checkpoint("params-truncated", "params.bin", f -> cut(f, (int) Files.size(f) - 1000), "checksum mismatch"));
        c.add(checkpoint("params-bad-sha256-in-manifest", "params.bin", f -> editJson(f.resolveSibling("manifest.json"),
                o -> o.getAsJsonObject("files").getAsJsonObject("params.bin").addProperty("sha256", "0".repeat(64))),
                "checksum mismatch"));
        c.add(checkpoint("params-wrong-magic", "params.bin", f -> {
            patch(f, 0, 'X');
            rehash(f);
        }, "magic OFA4JNET missing"));
        c.add(checkpoint("teacher-truncated", "teacher.bin", f -> cut(f, 100), "checksum mismatch"));
        c.add(checkpoint("latest-not-utf8", "latest", f -> write(f, new byte[] {'c', 'k', (byte) 0xff, '\n'}),
                "is not UTF-8 text"));
        c.add(checkpoint("latest-points-outside", "latest", f -> Files.writeString(f, "../../elsewhere\n"),
                "names '../../elsewhere', not a checkpoint directory of this run"));
        c.add(checkpoint("data-json-not-json", "data.json", f -> Files.writeString(f, "kind: fashion-mnist\n"),
                "malformed JSON at line 1 column 1"));
        c.add(checkpoint("data-json-wrong-version", "data.json", f -> editJson(f, o -> o.addProperty("format_version", 9)),
                "format_version 9"));
        c.add(checkpoint("data-json-channels-2", "data.json", f -> editJson(f, o -> o.addProperty("channels", 2)),
                "'channels' must be 1 or 3, found 2"));
        c.add(arch("arch-file-not-utf8", f -> {
            Files.writeString(f, "{\"resolution\": 28}");
            nonUtf8(f);
        }, "is not UTF-8 text"));
        c.add(arch("arch-file-missing-depths", f -> Files.writeString(f, "{\"resolution\": 28, \"kernel_sizes\": [3],"
                + " \"expand_ratios\": [3]}"), "'depths' is missing"));
        c.add(arch("arch-file-kernel-4", f -> {
            JsonObject o = JsonParser.parseString(ofa4j.models.SearchSpace.fmnist().min().toJson()).getAsJsonObject();
            o.getAsJsonArray("kernel_sizes").set(0, new com.google.gson.JsonPrimitive(4));
            Files.writeString(f, o.toString());
        }, "kernel of block 0 must be one of [3, 5, 7], found 4"));
        c.add(resume("optimizer-wrong-magic", "optimizer.bin", f -> {
            patch(f, 0, 'X');
            rehash(f);
        }, "is neither an ofa4j optimizer state file"));
        // ---- remote profiling kit (ofa profile --import reads kit.json, manifest.csv, then the timings)
        c.add(kit("kit-json-not-json", "kit.json", f -> Files.writeString(f, "<kit/>"), "malformed JSON at line 1 column 1"));
        c.add(kit("kit-json-wrong-version", "kit.json", f -> editJson(f, o -> o.addProperty("version", 2)), "version 2"));
        c.add(kit("kit-json-not-utf8", "kit.json", BadFileCorpusTest::nonUtf8, "is not UTF-8 text"));
        c.add(kit("kit-json-batch-0", "kit.json", f -> editJson(f, o -> o.addProperty("batch_size", 0)),
                "'batch_size' must be >= 1, found 0"));
        c.add(kit("kit-csv-bad-header", "manifest.csv", f -> replaceLine(f, 0, "kind;key;file;input_shape"),
                "expected the header kind,key,file,input_shape"));
        c.add(kit("kit-csv-quoted-garbage", "manifest.csv", f -> replaceLine(f, 3, "layer,\"STEM:r20\"x,layers/L0002.onnx,1x1x20x20"),
                "is not valid CSV"));
        c.add(kit("kit-csv-escapes-kit", "manifest.csv", f -> replaceLine(f, 2,
                "layer,BLOCK:r10:i16:h16:o16:k3:s1:relu:se0:res1,../../../outside.onnx,1x16x10x10"), "points outside the kit"));
        c.add(kit("kit-csv-absolute-path", "manifest.csv", f -> replaceLine(f, 2,
                "layer,BLOCK:r10:i16:h16:o16:k3:s1:relu:se0:res1,/etc/passwd,1x16x10x10"), "absolute path '/etc/passwd'"));
        c.add(kit("kit-csv-bad-shape", "manifest.csv", f -> replaceLine(f, 1, "layer,STEM:r20:i1:o16:k3:s2:h_swish,layers/L0000.onnx,1x1x0x20"),
                "input shape"));
        c.add(kit("timings-not-a-number", "timings.csv", f -> replaceLine(f, 3, "BLOCK:r10:i16:h16:o16:k3:s1:relu:se0:res1,fast"),
                "'fast' is not a number"));
        c.add(kit("timings-not-utf8", "timings.csv", BadFileCorpusTest::nonUtf8, "is not UTF-8 text"));
        c.add(kit("timings-open-quote", "timings.csv", f -> replaceLine(f, 2, "\"STEM:r20:i1:o16:k3:s2:h_swish,0.1"),
                "is not valid CSV"));
        c.add(kit("kit-subnet-arch-not-json", "subnets/S000.json", f -> Files.writeString(f, "r28-k3e6"),
                "must be an object, found r28-k3e6"));
        // ---- files no other command reads: ofa check
        c.add(check("subnet-truncated", "m.subnet", f -> {
            copyFixture("subnet-v1.subnet", f);
            cut(f, (int) Files.size(f) - 7);
        }, "SHA-256 check failed"));
        c.add(check("subnet-bad-header", "m.subnet", f -> {
            copyFixture("subnet-v1.subnet", f);
            editTensorHeader(f, h -> h.getAsJsonObject("arch").add("depths", new JsonArray()));
        }, "invalid subnet header"));
        c.add(check("subnet-wrong-version", "m.subnet", f -> {
            copyFixture("subnet-v1.subnet", f);
            patch(f, 8, 7);
            rehash(f);
        }, "format version 7"));
        c.add(check("params-not-a-tensor-file", "ckpt-000000024/params.bin", f -> Files.writeString(f, "weights"),
                "magic OFA4JNET missing"));
        c.add(check("optimizer-first-format-truncated", "ckpt-000000024/optimizer.bin", f -> {
            copyFixture("micro-optimizer-v1.bin", f);
            cut(f, (int) Files.size(f) - 9);
        }, "is truncated"));
        c.add(check("metrics-not-json", "metrics.jsonl", f -> {
            copyFixture("metrics-quick.jsonl", f);
            replaceLine(f, 1, "epoch 2: loss 0.4");
        }, "line 2: malformed JSON"));
        c.add(check("metrics-train-acc-2", "metrics.jsonl", f -> {
            copyFixture("metrics-quick.jsonl", f);
            editLine(f, 0, o -> o.addProperty("train_acc", 2.0));
        }, "train_acc must be a fraction in [0, 1], found 2.0"));
        c.add(check("metrics-not-utf8", "metrics.jsonl", f -> {
            copyFixture("metrics-quick.jsonl", f);
            nonUtf8(f);
        }, "is not UTF-8 text"));
        c.add(check("slice-report-not-json", "slices/lat-0.186ms.json", f -> Files.writeString(f, "{\"target\": }"),
                "Expected value at line 1 column 12"));
        c.add(check("slice-report-wrong-version", "slices/lat-0.186ms.json", f -> {
            copyFixture("slice-lat-0.186ms.json", f);
            editJson(f, o -> o.addProperty("format_version", 5));
        }, "format_version 5"));
        c.add(check("slice-report-missing-arch", "slices/lat-0.186ms.json", f -> {
            copyFixture("slice-lat-0.186ms.json", f);
            editJson(f, o -> o.remove("arch"));
        }, "'arch' is missing"));
        c.add(check("onnx-truncated", "model.onnx", f -> {
            byte[] m = goodOnnx();
            write(f, Arrays.copyOf(m, m.length / 2));
        }, "is not an ONNX model: While parsing a protocol message, the input ended unexpectedly"));
        c.add(check("onnx-random-bytes", "model.onnx", f -> {
            byte[] b = new byte[4096];
            new Random(3).nextBytes(b);
            write(f, b);
        }, "is not an ONNX model"));
        c.add(check("onnx-protobuf-of-another-kind", "model.onnx", f -> write(f,
                ofa4j.exporter.onnx.StringStringEntryProto.newBuilder().setKey("k").setValue("v").build().toByteArray()),
                "is not an ONNX model"));
        c.add(check("onnx-valid-model-not-a-subnet", "model.onnx", f -> write(f, OnnxExporter.layerModel(
                ofa4j.models.SearchSpace.fmnist().layers(ofa4j.models.SearchSpace.fmnist().min()).get(0), 1)),
                "not an ofa4j subnet"));
        c.add(check("run-report-wrong-version", "report.json", f -> {
            copyFixture("run-report-quick.json", f);
            editJson(f, o -> o.addProperty("format_version", 3));
        }, "format_version 3"));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void aBadFileGivesOneLineNamingItExitOneAndChangesNoFile(String name, boolean needsRun, Setup setup) throws Exception {
        if (needsRun) {
            assumeTrue(Files.isDirectory(FashionMnist.SYSTEM_DIR), "Fashion-MNIST is not installed at " + FashionMnist.SYSTEM_DIR);
        }
        Path dir = root.resolve("cases").resolve(name);
        Files.createDirectories(dir);
        Invocation inv = setup.make(dir);
        assertTrue(Files.exists(inv.badFile()), "the case made its bad file " + inv.badFile());
        Map<String, String> before = snapshot(dir);

        ByteArrayOutputStream jvmErr = new ByteArrayOutputStream();
        PrintStream savedErr = System.err;
        CliRunner.Result r;
        System.setErr(new PrintStream(jvmErr, true, StandardCharsets.UTF_8));
        try {
            r = CliRunner.run(inv.args().toArray(new String[0]));
        } finally {
            System.setErr(savedErr);
        }
        String err = r.err().strip();
        assertEquals(1, r.code(), name + ": exit code; stderr: " + err);
        assertEquals(1, err.lines().count(), name + ": one line on stderr, found:\n" + err);
        assertTrue(err.contains(inv.badFile().getFileName().toString()), name + ": names " + inv.badFile().getFileName()
                + ": " + err);
        assertTrue(err.contains(inv.what()), name + ": says '" + inv.what() + "': " + err);
        String jvm = jvmErr.toString(StandardCharsets.UTF_8);
        assertFalse(jvm.contains("\tat ") || jvm.contains("Exception"), name + ": no stack trace on System.err: " + jvm);
        assertEquals(before, snapshot(dir), name + ": no file changed, appeared or disappeared");
    }

    /**
     * The commands of the corpus read the good files its cases are made from, so that each failure
     * above is the damage's doing: ofa check on a good file of every format it tells apart, pareto
     * on the predictor files, profile --import on the kit, and (with Fashion-MNIST) export from the
     * trained run.
     */
    @org.junit.jupiter.api.Test
    void theGoodFilesTheCorpusIsMadeFromAreRead() throws Exception {
        Path dir = root.resolve("good");
        Map<String, String> fixtures = new java.util.LinkedHashMap<>();
        fixtures.put("subnet-v1.subnet", "a.subnet");
        fixtures.put("metrics-quick.jsonl", "metrics.jsonl");
        fixtures.put("manifest-v1-quick-done.json", "ckpt/manifest.json");
        fixtures.put("run-fmnist/data.json", "data.json");
        fixtures.put("slice-lat-0.186ms.json", "slices/lat-0.186ms.json");
        fixtures.put("run-report-quick.json", "report.json");
        fixtures.put("cpu-ort-1t.json", "devices/cpu-ort-1t.json");
        fixtures.put("quality.json", "predictor/quality.json");
        fixtures.put("ridge.predictor", "predictor/ridge.predictor");
        fixtures.put("mlp-v1.predictor", "predictor/mlp.predictor");
        fixtures.put("accuracy.jsonl", "predictor/accuracy.jsonl");
        fixtures.put("accuracy.info.json", "predictor/accuracy.info.json");
        fixtures.put("kit/kit.json", "kit/kit.json");
        fixtures.put("kit/manifest.csv", "kit/manifest.csv");
        fixtures.put("space-fmnist.json", "space.json");
        fixtures.put("arch.json", "arch.json");
        List<String> args = new ArrayList<>(List.of("check"));
        for (Map.Entry<String, String> e : fixtures.entrySet()) {
            copyFixture(e.getKey(), dir.resolve(e.getValue()));
            args.add(dir.resolve(e.getValue()).toString());
        }
        write(dir.resolve("model.onnx"), goodOnnx());
        args.add(dir.resolve("model.onnx").toString());
        CliRunner.Result r = CliRunner.run(args.toArray(new String[0]));
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(args.size() - 1, lines.size(), r.out());
        for (String want : List.of("a.subnet: ofa4j subnet file: ", "metrics.jsonl: training metrics: 4 epochs",
                "manifest.json: checkpoint manifest: quick preset, space fmnist", "data.json: data record: Fashion-MNIST",
                "lat-0.186ms.json: slice report lat-0.186ms: ", "report.json: run report: quick preset, 4 slices",
                "cpu-ort-1t.json: device profile cpu-ort-1t (onnxruntime, threads 1)",
                "quality.json: predictor quality: 120 rows", "ridge.predictor: ridge accuracy predictor of space fmnist",
                "mlp.predictor: ofa4j MLP accuracy predictor of space fmnist", "accuracy.jsonl: accuracy table: 5 rows",
                "accuracy.info.json: accuracy table info: 500 calibration images, 2000 validation images",
                "kit.json: profiling kit: space fmnist", "manifest.csv: profiling kit manifest: 154 models",
                "space.json: search space fmnist", "arch.json: architecture r", "model.onnx: ONNX subnet ")) {
            assertTrue(lines.stream().anyMatch(l -> l.contains(want)), "a line with '" + want + "' in\n" + r.out());
        }

        Invocation pareto = ((Setup) predictor("good", "quality.json", "best", f -> { }, "").get()[2]).make(dir.resolve("pareto"));
        assertEquals(0, CliRunner.run(pareto.args().toArray(new String[0])).code(), "pareto on the good predictor files");
        Invocation kit = ((Setup) kit("good", "kit.json", f -> { }, "").get()[2]).make(dir.resolve("kit-import"));
        CliRunner.Result k = CliRunner.run(kit.args().toArray(new String[0]));
        assertEquals(0, k.code(), k.err());
        assertTrue(Files.readString(dir.resolve("kit-import/devices/phone.json")).contains("\"name\": \"phone\""));

        if (Files.isDirectory(FashionMnist.SYSTEM_DIR)) {
            Invocation export = ((Setup) checkpoint("good", "data.json", f -> { }, "").get()[2]).make(dir.resolve("export"));
            CliRunner.Result x = CliRunner.run(export.args().toArray(new String[0]));
            assertEquals(0, x.code(), x.err());
            assertTrue(OnnxExporter.readMetadata(dir.resolve("export/model.onnx")).containsKey(OnnxExporter.META_ARCH));
        }
    }

    // ------------------------------------------------------------------ case families

    /** IDX: a directory of the four Fashion-MNIST files, one damaged; {@code ofa train --data DIR}. */
    private static Arguments idx(String name, String file, Mutation m, String what) {
        return Arguments.of(name, false, (Setup) dir -> {
            Path data = dir.resolve("data");
            Files.createDirectories(data);
            writeIdxPair(data, "train", 20, 1);
            writeIdxPair(data, "t10k", 10, 2);
            Path f = data.resolve(file);
            m.apply(f);
            return new Invocation(f, what, List.of("train", "--preset", "smoke", "-q", "--data", data.toString(), "--out",
                    dir.resolve("out").toString()));
        });
    }

    /** Image folder: classes {@code a/} and {@code b/} of good PNGs plus one bad file; {@code ofa train --data DIR}. */
    private static Arguments images(String name, String file, Mutation m, String what) {
        return Arguments.of(name, false, (Setup) dir -> {
            Path images = dir.resolve("images");
            for (String cls : List.of("a", "b")) {
                Files.createDirectories(images.resolve(cls));
                for (int i = 0; i < 3; i++) {
                    write(images.resolve(cls).resolve("img" + i + ".png"), png(8, 8, cls.hashCode() + i));
                }
            }
            Path f = images.resolve(file);
            m.apply(f);
            return new Invocation(f, what, List.of("train", "--preset", "smoke", "-q", "--data", images.toString(), "--out",
                    dir.resolve("out").toString()));
        });
    }

    /** Device profile: {@code run/devices/cpu-ort-1t.json}; {@code ofa slice --run run}. */
    private static Arguments device(String name, Mutation m, String what) {
        return Arguments.of(name, false, (Setup) dir -> {
            Path run = dir.resolve("run");
            Path f = run.resolve("devices").resolve("cpu-ort-1t.json");
            copyFixture("cpu-ort-1t.json", f);
            m.apply(f);
            return new Invocation(f, what, List.of("slice", "-q", "--run", run.toString(), "--device", "cpu-ort-1t",
                    "--max-macs", "3000000", "--out", run.resolve("slices").toString()));
        });
    }

    /** Predictor files in {@code run/predictor/}; {@code ofa pareto --run run --axis macs} (writes a PNG that exists). */
    private static Arguments predictor(String name, String file, String which, Mutation m, String what) {
        return Arguments.of(name, false, (Setup) dir -> {
            Path run = dir.resolve("run");
            Path pred = run.resolve("predictor");
            copyFixture("quality.json", pred.resolve("quality.json"));
            copyFixture("ridge.predictor", pred.resolve("ridge.predictor"));
            copyFixture("mlp-v1.predictor", pred.resolve("mlp.predictor"));
            Files.writeString(run.resolve("pareto.png"), "the previous plot");
            Path f = pred.resolve(file);
            m.apply(f);
            return new Invocation(f, what, List.of("pareto", "--run", run.toString(), "--axis", "macs", "--predictor",
                    which, "--out", run.resolve("pareto.png").toString()));
        });
    }

    /** The accuracy table of a trained run; {@code ofa predictor fit --run run}. */
    private static Arguments table(String name, String file, Mutation m, String what) {
        return Arguments.of(name, true, (Setup) dir -> {
            Path run = copyTrainedRun(dir);
            Path pred = run.resolve("predictor");
            copyFixture("accuracy.jsonl", pred.resolve("accuracy.jsonl"));
            if (file.equals("accuracy.info.json")) {
                copyFixture("accuracy.info.json", pred.resolve(file));
            }
            Path f = pred.resolve(file);
            m.apply(f);
            return new Invocation(f, what, List.of("predictor", "fit", "-q", "--run", run.toString(), "--samples", "20",
                    "--calibration-images", "20", "--cv", "0"));
        });
    }

    /** A file of a trained run's newest checkpoint (or its pointer / data record); {@code ofa export}. */
    private static Arguments checkpoint(String name, String file, Mutation m, String what) {
        return Arguments.of(name, true, (Setup) dir -> {
            Path run = copyTrainedRun(dir);
            Path sn = run.resolve("supernet");
            Path f = file.equals("latest") || file.equals("data.json") ? sn.resolve(file)
                    : sn.resolve(Files.readString(sn.resolve("latest")).strip()).resolve(file);
            m.apply(f);
            Files.writeString(dir.resolve("model.onnx"), "the previous model");
            return new Invocation(f, what, List.of("export", "-q", "--supernet", sn.toString(), "--arch", "min",
                    "--calibration-images", "20", "--out", dir.resolve("model.onnx").toString()));
        });
    }

    /** A bad {@code --arch} file for a good run; {@code ofa export}. */
    private static Arguments arch(String name, Mutation m, String what) {
        return Arguments.of(name, true, (Setup) dir -> {
            Path run = copyTrainedRun(dir);
            Path f = dir.resolve("arch.json");
            m.apply(f);
            Files.writeString(dir.resolve("model.onnx"), "the previous model");
            return new Invocation(f, what, List.of("export", "-q", "--supernet", run.resolve("supernet").toString(), "--arch",
                    f.toString(), "--calibration-images", "20", "--out", dir.resolve("model.onnx").toString()));
        });
    }

    /** A checkpoint file only resuming reads; {@code ofa train --resume}. */
    private static Arguments resume(String name, String file, Mutation m, String what) {
        return Arguments.of(name, true, (Setup) dir -> {
            Path sn = copyTrainedRun(dir).resolve("supernet");
            Path f = sn.resolve(Files.readString(sn.resolve("latest")).strip()).resolve(file);
            m.apply(f);
            return new Invocation(f, what, List.of("train", "--preset", "smoke", "--seed", "1", "-q", "--resume", "--out",
                    sn.toString()));
        });
    }

    /** A remote profiling kit and timings; {@code ofa profile --import} (writes a profile that exists). */
    private static Arguments kit(String name, String file, Mutation m, String what) {
        return Arguments.of(name, false, (Setup) dir -> {
            Path kit = dir.resolve("kit");
            for (String f : List.of("kit.json", "manifest.csv", "README.txt", "subnets/S000.json")) {
                copyFixture("kit/" + f, kit.resolve(f));
            }
            StringBuilder t = new StringBuilder("key,median_ms\n");
            for (String line : Files.readAllLines(kit.resolve("manifest.csv")).subList(1, 155)) {
                t.append(line.split(",")[1]).append(",0.1\n");
            }
            Files.writeString(dir.resolve("timings.csv"), t);
            Path out = dir.resolve("devices").resolve("phone.json");
            Files.createDirectories(out.getParent());
            Files.writeString(out, "the previous profile");
            Path f = file.equals("timings.csv") ? dir.resolve(file) : kit.resolve(file);
            m.apply(f);
            return new Invocation(f, what, List.of("profile", "--import", dir.resolve("timings.csv").toString(), "--kit",
                    kit.toString(), "--name", "phone", "--out", out.toString()));
        });
    }

    /** A file no other command reads; {@code ofa check FILE}. */
    private static Arguments check(String name, String file, Mutation m, String what) {
        return Arguments.of(name, false, (Setup) dir -> {
            Path f = dir.resolve(file);
            Files.createDirectories(f.getParent());
            m.apply(f);
            return new Invocation(f, what, List.of("check", f.toString()));
        });
    }

    // ------------------------------------------------------------------ good inputs

    /** A smoke-preset run trained once (seed 1), copied per case with its newest checkpoint only. */
    private static synchronized Path trainedRun() {
        if (trained == null) {
            Path run = root.resolve("trained");
            CliRunner.Result r = CliRunner.run("train", "--preset", "smoke", "--seed", "1", "-q", "--out",
                    run.resolve("supernet").toString());
            assertEquals(0, r.code(), r.err());
            trained = run;
        }
        return trained;
    }

    private static Path copyTrainedRun(Path dir) throws IOException {
        Path from = trainedRun().resolve("supernet");
        Path to = dir.resolve("run").resolve("supernet");
        String newest = Files.readString(from.resolve("latest")).strip();
        Files.createDirectories(to.resolve(newest));
        for (String f : List.of("latest", "data.json", "metrics.jsonl")) {
            Files.copy(from.resolve(f), to.resolve(f));
        }
        try (Stream<Path> s = Files.list(from.resolve(newest))) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(newest).resolve(p.getFileName()));
            }
        }
        return dir.resolve("run");
    }

    private static void copyFixture(String name, Path to) throws IOException {
        Files.createDirectories(to.toAbsolutePath().getParent());
        try (InputStream in = BadFileCorpusTest.class.getResourceAsStream("/fixtures/" + name)) {
            assertTrue(in != null, "fixture " + name + " on the test class path");
            Files.write(to, in.readAllBytes());
        }
    }

    private static byte[] goodOnnx() throws IOException {
        Path tmp = Files.createTempFile(root, "fixture", ".subnet");
        copyFixture("subnet-v1.subnet", tmp);
        Subnet s = Subnet.load(tmp);
        Files.delete(tmp);
        Map<String, ofa4j.models.Tensor> t = new java.util.LinkedHashMap<>();
        s.tensors().forEach((k, v) -> { // the fixture's weights are random: make every BN variance positive
            float[] d = v.data().clone();
            if (k.endsWith(".var")) {
                for (int i = 0; i < d.length; i++) {
                    d[i] = Math.abs(d[i]) + 0.1f;
                }
            }
            t.put(k, new ofa4j.models.Tensor(v.shape(), d));
        });
        return OnnxExporter.toBytes(new Subnet(s.space(), s.arch(), t, s.bnEps(), s.metadata()), Map.of());
    }

    private static void writeIdxPair(Path dir, String prefix, int n, int seed) throws IOException {
        Random rnd = new Random(seed);
        byte[] px = new byte[n * 28 * 28];
        rnd.nextBytes(px);
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (byte) (i % 10);
        }
        write(dir.resolve(prefix + "-images-idx3-ubyte"), concat(idxHeader(3, n, 28, 28), px));
        write(dir.resolve(prefix + "-labels-idx1-ubyte"), concat(idxHeader(1, n), labels));
    }

    private static byte[] idxHeader(int dims, int... sizes) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * sizes.length).order(ByteOrder.BIG_ENDIAN);
        b.putInt(0x0800 | dims);
        for (int s : sizes) {
            b.putInt(s);
        }
        return b.array();
    }

    private static byte[] png(int w, int h, int seed) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        Random rnd = new Random(seed);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int g = rnd.nextInt(256);
                img.setRGB(x, y, (g << 16) | (g << 8) | g);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    private static byte[] jpeg(int w, int h, int seed) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random rnd = new Random(seed);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rnd.nextInt(1 << 24));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "jpg", out);
        return out.toByteArray();
    }

    /** A PNG of a few hundred bytes whose header declares {@code w x h} grey pixels. */
    private static byte[] hugePng(int w, int h) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 0).put((byte) 0)
                .put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        Deflater d = new Deflater();
        d.setInput(new byte[1000]);
        d.finish();
        byte[] buf = new byte[1000];
        int n = d.deflate(buf);
        chunk(out, "IDAT", Arrays.copyOf(buf, n));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        out.write(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(b);
        }
        return out.toByteArray();
    }

    // ------------------------------------------------------------------ damage

    /** Damages a file in place. */
    @FunctionalInterface
    interface Mutation {
        void apply(Path file) throws Exception;
    }

    private static void write(Path f, byte[] b) throws IOException {
        Files.createDirectories(f.toAbsolutePath().getParent());
        Files.write(f, b);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static void cut(Path f, int keep) throws IOException {
        write(f, Arrays.copyOf(Files.readAllBytes(f), keep));
    }

    private static void patch(Path f, int offset, int value) throws IOException {
        byte[] b = Files.readAllBytes(f);
        b[offset] = (byte) value;
        write(f, b);
    }

    /** Puts two bytes that are not UTF-8 ({@code C3 28}) at offset 2. */
    private static void nonUtf8(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        byte[] out = new byte[b.length + 2];
        System.arraycopy(b, 0, out, 0, 2);
        out[2] = (byte) 0xc3;
        out[3] = (byte) 0x28;
        System.arraycopy(b, 2, out, 4, b.length - 2);
        write(f, out);
    }

    private static void editJson(Path f, Consumer<JsonObject> edit) throws IOException {
        JsonObject o = JsonParser.parseString(Files.readString(f)).getAsJsonObject();
        edit.accept(o);
        Files.writeString(f, o.toString());
    }

    private static void replaceLine(Path f, int index, String line) throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(f));
        lines.set(index, line);
        Files.writeString(f, String.join("\n", lines) + "\n");
    }

    private static void editLine(Path f, int index, Consumer<JsonObject> edit) throws IOException {
        JsonObject o = JsonParser.parseString(Files.readAllLines(f).get(index)).getAsJsonObject();
        edit.accept(o);
        replaceLine(f, index, o.toString());
    }

    /** Recomputes a tensor file's trailing SHA-256 and the checkpoint manifest's digest of it. */
    private static void rehash(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        byte[] body = Arrays.copyOf(b, b.length - 32);
        byte[] sha = Hashing.sha256().digest(body);
        write(f, concat(body, sha));
        Path manifest = f.resolveSibling("manifest.json");
        if (Files.exists(manifest)) {
            String hex = Hashing.sha256Hex(f);
            editJson(manifest, o -> {
                o.getAsJsonObject("files").getAsJsonObject(f.getFileName().toString()).addProperty("sha256", hex);
                if (f.getFileName().toString().equals("optimizer.bin")) {
                    o.getAsJsonObject("optimizer").addProperty("sha256", hex);
                }
            });
        }
    }

    /** Rewrites the JSON header of a tensor file and its SHA-256. */
    private static void editTensorHeader(Path f, Consumer<JsonObject> edit) throws IOException {
        byte[] b = Files.readAllBytes(f);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int hl = bb.getInt(12);
        JsonObject h = JsonParser.parseString(new String(b, 16, hl, StandardCharsets.UTF_8)).getAsJsonObject();
        edit.accept(h);
        byte[] nh = h.toString().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(b, 0, 12);
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(nh.length).array());
        out.write(nh);
        out.write(b, 16 + hl, b.length - 32 - 16 - hl);
        write(f, out.toByteArray());
        write(f, concat(Files.readAllBytes(f), new byte[32]));
        rehash(f);
    }

    /** Every file below {@code dir}: size, modification time and SHA-256. */
    private static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isDirectory).toList()) {
                m.put(dir.relativize(p) + "/", "directory");
            }
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                m.put(dir.relativize(p).toString(), Files.size(p) + " " + Files.getLastModifiedTime(p).toMillis() + " "
                        + Hashing.sha256Hex(p));
            }
        }
        return m;
    }
}
