package ofa4j.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import ofa4j.exporter.OnnxExporter;
import ofa4j.exporter.Verifier;
import ofa4j.models.ArchConfig;
import ofa4j.models.JsonFiles;
import ofa4j.models.SearchSpace;
import ofa4j.models.SpaceJson;
import ofa4j.models.Subnet;
import ofa4j.models.TensorFiles;
import ofa4j.predictor.AccuracyDataset;
import ofa4j.predictor.AccuracyTableInfo;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.MlpAccuracyPredictor;
import ofa4j.predictor.QualityReport;
import ofa4j.predictor.RemoteKit;
import ofa4j.predictor.RidgeAccuracyPredictor;
import ofa4j.slicer.RunReport;
import ofa4j.slicer.SliceJson;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.train.CheckpointManifest;
import ofa4j.supernet.train.EpochMetrics;
import ofa4j.supernet.train.NesterovSgd;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ofa check}: reads files with the one reader of their format (docs/file-formats.md) and says
 * what each holds, or, in one line, what is wrong with it.
 */
@Command(
        name = "check",
        description = "Read ofa4j files with the reader of their format and say what each holds; a bad file gets one"
                + " line naming it and what is wrong (exit 1). The format is told by the magic bytes of binary files,"
                + " else by the name a run directory gives the file (manifest.json, metrics.jsonl, data.json,"
                + " accuracy.jsonl, quality.json, kit.json, manifest.csv, *.onnx, slices/*.json, devices/*.json, ...),"
                + " else by the keys of a JSON file.",
        footer = {"", "Examples:", "  ofa check runs/quick/supernet/ckpt-000001716/params.bin runs/quick/devices/cpu-ort-1t.json",
                "  ofa check runs/quick/slices/*.onnx"})
final class CheckCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Files to check.")
    List<Path> files = new ArrayList<>();

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int bad = 0;
        for (Path f : files) {
            try {
                out.println(f + ": " + describe(f));
            } catch (IOException e) {
                bad++;
                err.println("ofa check: " + Errors.oneLine(e.getMessage()));
                if (verbose) {
                    e.printStackTrace(err);
                }
            }
        }
        return bad == 0 ? 0 : Errors.FAILURE;
    }

    /** Magic bytes of the tensor files (docs/file-formats.md, "Binary weight files"). */
    private static final List<String> MAGICS = List.of("OFA4JSUB", "OFA4JNET", "OFA4JOPT", "OFA4JMLP");

    /**
     * Reads one file with the reader of its format.
     *
     * @param f the file
     * @return one line saying what it holds
     * @throws IOException naming the file and what is wrong with it
     * @throws IllegalArgumentException if the format cannot be told
     */
    static String describe(Path f) throws IOException {
        if (!Files.isRegularFile(f)) {
            throw new IOException(f + " does not exist or is not a regular file");
        }
        String name = f.getFileName().toString();
        String parent = f.toAbsolutePath().getParent() == null ? "" : f.toAbsolutePath().getParent().getFileName() + "";
        Path dir = f.toAbsolutePath().getParent();
        String magic = magic(f);
        switch (magic) {
            case "OFA4JSUB" -> {
                Subnet s = Subnet.load(f);
                return "ofa4j subnet file: " + s.arch().key() + " of space " + s.space().name() + ", " + s.tensors().size()
                        + " tensors";
            }
            case "OFA4JNET" -> {
                TensorFiles.Contents c = Supernet.readParameterFile(f);
                SearchSpace s = space(f, c.header().get("space"));
                return "ofa4j supernet parameter file: space " + s.name() + ", " + c.tensors().size() + " arrays";
            }
            case "OFA4JOPT" -> {
                return "ofa4j optimizer state file: " + NesterovSgd.readState(f).size() + " momentum buffers";
            }
            case "OFA4JMLP" -> {
                try (MlpAccuracyPredictor m = MlpAccuracyPredictor.load(f)) {
                    return "ofa4j MLP accuracy predictor of space " + m.space().name();
                }
            }
            default -> { }
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".onnx")) {
            return onnx(f);
        }
        switch (name) { // tensor files named as a run names them, without their magic: the reader says why
            case "params.bin", "teacher.bin" -> {
                Supernet.readParameterFile(f);
                throw new IllegalStateException("unreachable: the magic was not OFA4JNET");
            }
            case "optimizer.bin" -> { // the first format has a magic of its own
                return "ofa4j optimizer state file (first format): " + NesterovSgd.readState(f).size() + " momentum buffers";
            }
            default -> { }
        }
        if (lower.endsWith(".subnet")) {
            Subnet.load(f);
            throw new IllegalStateException("unreachable: the magic was not OFA4JSUB");
        }
        switch (name) {
            case "manifest.json" -> {
                CheckpointManifest m = CheckpointManifest.read(f);
                return "checkpoint manifest: " + m.run().preset() + " preset, space " + m.run().space().name()
                        + ", next step " + m.position().globalStep();
            }
            case EpochMetrics.FILE -> {
                return "training metrics: " + EpochMetrics.readLog(f).size() + " epochs";
            }
            case DataOptions.RECORD_FILE -> {
                return "data record: " + DataOptions.Source.read(dir).describe();
            }
            case "accuracy.jsonl", "measured.jsonl" -> {
                return "accuracy table: " + AccuracyDataset.read(f, null).size() + " rows";
            }
            case AccuracyTableInfo.FILE -> {
                AccuracyTableInfo i = AccuracyTableInfo.read(dir);
                return "accuracy table info: " + i.calibrationImages() + " calibration images, " + i.valImages()
                        + " validation images";
            }
            case RemoteKit.KIT_FILE -> {
                return "profiling kit: space " + RemoteKit.Kit.read(dir).space().name();
            }
            case RemoteKit.MANIFEST -> {
                return "profiling kit manifest: " + RemoteKit.readManifest(dir).size() + " models";
            }
            case "report.json" -> {
                RunReport r = RunReport.read(f);
                return "run report: " + r.preset() + " preset, " + r.slices().size() + " slices";
            }
            default -> { }
        }
        if (lower.endsWith("quality.json")) {
            QualityReport q = QualityReport.read(f);
            return "predictor quality: " + q.rows() + " rows";
        }
        if (lower.endsWith(".predictor")) { // not an MLP (no magic): the ridge model is JSON
            return "ridge accuracy predictor of space " + RidgeAccuracyPredictor.load(f).space().name();
        }
        if (lower.endsWith(".csv")) {
            return "timings: " + RemoteKit.readTimings(f).size() + " rows";
        }
        if (lower.endsWith(".json")) {
            return json(f, parent);
        }
        throw new IllegalArgumentException("cannot tell the format of " + f + ": not an ofa4j tensor file (magic "
                + MAGICS + "), and its name is none of those in docs/file-formats.md");
    }

    /** A JSON file told by its folder ({@code slices/}, {@code devices/}) or its keys. */
    private static String json(Path f, String parent) throws IOException {
        if (parent.equals("slices")) {
            return slice(f);
        }
        if (parent.equals("devices")) {
            return device(f);
        }
        JsonElement e;
        try {
            e = JsonParser.parseString(JsonFiles.readText(f));
        } catch (RuntimeException ex) {
            throw new IOException(f + ": " + JsonFiles.reason(ex), ex);
        }
        JsonObject o = e.isJsonObject() ? e.getAsJsonObject() : new JsonObject();
        String format = o.has("format") && o.get("format").isJsonPrimitive() ? o.get("format").getAsString() : "";
        if (format.equals(DeviceProfile.FORMAT)) {
            return device(f);
        }
        if (format.equals(RidgeAccuracyPredictor.FORMAT)) {
            return "ridge accuracy predictor of space " + RidgeAccuracyPredictor.load(f).space().name();
        }
        if (format.equals(RemoteKit.FORMAT)) {
            return "profiling kit: space " + RemoteKit.Kit.read(f.toAbsolutePath().getParent()).space().name();
        }
        if (o.has("target") && o.has("constraint")) {
            return slice(f);
        }
        if (o.has("kernel_sizes")) {
            try {
                return "architecture " + ArchConfig.fromJson(o.toString()).key();
            } catch (IllegalArgumentException ex) {
                throw new IOException(f + ": " + ex.getMessage(), ex);
            }
        }
        if (o.has("stem_width")) {
            return "search space " + space(f, o).describe();
        }
        throw new IllegalArgumentException("cannot tell the format of " + f + ": a JSON file without the keys of a"
                + " device profile, ridge predictor, kit, slice report, architecture or search space");
    }

    private static String slice(Path f) throws IOException {
        SliceJson.Report r = SliceJson.Report.read(f);
        return "slice report " + r.target() + ": " + r.key();
    }

    private static String device(Path f) throws IOException {
        DeviceProfile p = DeviceProfile.load(f);
        return "device profile " + p.name() + " (" + p.engine() + ", threads " + p.threads() + ")";
    }

    private static SearchSpace space(Path f, JsonElement e) throws IOException {
        try {
            if (e == null || !e.isJsonObject()) {
                throw new IllegalArgumentException("no search space object");
            }
            return SpaceJson.fromJson(e.getAsJsonObject());
        } catch (IllegalArgumentException ex) {
            throw new IOException(f + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * An exported subnet: an ONNX model (protobuf) with the architecture and space in its metadata,
     * that ONNX Runtime loads, with the input the architecture needs.
     */
    private static String onnx(Path f) throws IOException {
        Map<String, String> meta = OnnxExporter.readMetadata(f);
        List<String> missing = new ArrayList<>();
        for (String k : List.of(OnnxExporter.META_ARCH, OnnxExporter.META_SPACE_JSON)) {
            if (!meta.containsKey(k)) {
                missing.add(k);
            }
        }
        if (!missing.isEmpty()) {
            throw new IOException(f + " is an ONNX model but not an ofa4j subnet: its metadata lacks " + missing);
        }
        SearchSpace space;
        ArchConfig arch;
        try {
            space = SpaceJson.fromJson(JsonParser.parseString(meta.get(OnnxExporter.META_SPACE_JSON)).getAsJsonObject());
            arch = space.validate(ArchConfig.fromJson(meta.get(OnnxExporter.META_ARCH)));
        } catch (RuntimeException e) {
            throw new IOException(f + " has bad ofa4j metadata: " + JsonFiles.reason(e), e);
        }
        long[] want = {-1, space.inChannels(), arch.resolution(), arch.resolution()};
        try (Verifier v = Verifier.open(f, 1)) {
            long[] in = v.inputShape();
            if (in.length != 4 || in[1] != want[1] || in[2] != want[2] || in[3] != want[3]) {
                throw new IOException(f + " takes input " + Arrays.toString(in) + ", but its architecture " + arch.key()
                        + " needs [N, " + want[1] + ", " + want[2] + ", " + want[3] + "]");
            }
        } catch (IllegalArgumentException e) {
            throw new IOException(f + ": ONNX Runtime cannot load it: " + JsonFiles.rootMessage(e), e);
        }
        return "ONNX subnet " + arch.key() + " of space " + space.name();
    }

    private static String magic(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            return new String(in.readNBytes(8), StandardCharsets.ISO_8859_1);
        }
    }
}
