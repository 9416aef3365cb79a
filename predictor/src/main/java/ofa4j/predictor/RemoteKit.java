package ofa4j.predictor;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.AtomicFiles;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import ofa4j.models.SpaceJson;

/**
 * Profiling kit for a device that cannot run Java: {@link #write} puts every layer-variant model
 * and some whole-subnet models in a directory with a manifest; the device times them with any
 * ONNX Runtime and returns a CSV of {@code key,median_ms}; {@link #importTimings} turns that CSV
 * into a {@link DeviceProfile} (the layer table, and the end-to-end correction when subnet timings
 * are included).
 *
 * <p>Layout: {@code kit.json} (space, batch, format version), {@code manifest.csv} with columns
 * {@code kind,key,file,input_shape} (kind {@code layer} or {@code subnet}, shape like {@code
 * 1x24x14x14}), {@code layers/L0000.onnx ...}, {@code subnets/S000.onnx} with the subnet's
 * architecture in {@code subnets/S000.json}, and {@code README.txt}.
 */
public final class RemoteKit {

    /** Kit format version. */
    public static final int FORMAT_VERSION = 1;

    /** Manifest file name. */
    public static final String MANIFEST = "manifest.csv";

    private RemoteKit() {}

    /**
     * One manifest row.
     *
     * @param kind {@code layer} or {@code subnet}
     * @param key layer key or architecture key
     * @param file model file relative to the kit directory
     * @param inputShape input shape, batch first
     */
    public record Entry(String kind, String key, String file, long[] inputShape) {}

    /**
     * Writes a kit.
     *
     * @param space the space
     * @param models builds the ONNX models
     * @param dir the kit directory (created)
     * @param subnets whole subnets included for the end-to-end correction (0 = none)
     * @param batch batch size written into the input shapes
     * @param seed seed of weights and of the subnet sample
     * @return the manifest rows
     * @throws IOException if writing fails
     */
    public static List<Entry> write(SearchSpace space, OnnxModelSource models, Path dir, int subnets, int batch, long seed)
            throws IOException {
        Files.createDirectories(dir.resolve("layers"));
        Files.createDirectories(dir.resolve("subnets"));
        List<Entry> entries = new ArrayList<>();
        int i = 0;
        for (Map.Entry<String, LayerSpec> e : LayerVariants.enumerate(space).entrySet()) {
            byte[] m = models.layerModel(e.getValue(), seed);
            String file = String.format(Locale.ROOT, "layers/L%04d.onnx", i++);
            AtomicFiles.writeBytes(dir.resolve(file), m);
            entries.add(new Entry("layer", e.getKey(), file, OrtLatencyMeter.inputShape(m, batch)));
        }
        if (subnets > 0) {
            List<ArchConfig> archs = AccuracyDatasetBuilder.sampleDistinct(space, subnets, seed);
            for (int s = 0; s < archs.size(); s++) {
                ArchConfig a = archs.get(s);
                byte[] m = models.subnetModel(RandomWeights.subnet(space, a, seed));
                String file = String.format(Locale.ROOT, "subnets/S%03d.onnx", s);
                AtomicFiles.writeBytes(dir.resolve(file), m);
                AtomicFiles.writeString(dir.resolve(file.replace(".onnx", ".json")), a.toJson() + "\n");
                entries.add(new Entry("subnet", a.key(), file, OrtLatencyMeter.inputShape(m, batch)));
            }
        }
        StringBuilder csv = new StringBuilder("kind,key,file,input_shape\n");
        for (Entry e : entries) {
            StringBuilder shape = new StringBuilder();
            for (long d : e.inputShape()) {
                shape.append(shape.length() == 0 ? "" : "x").append(d);
            }
            csv.append(e.kind()).append(',').append(e.key()).append(',').append(e.file()).append(',').append(shape)
                    .append('\n');
        }
        AtomicFiles.writeString(dir.resolve(MANIFEST), csv.toString());
        JsonObject kit = new JsonObject();
        kit.addProperty("format", "ofa4j-profiling-kit");
        kit.addProperty("version", FORMAT_VERSION);
        kit.addProperty("batch_size", batch);
        kit.addProperty("created", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        kit.add("space", SpaceJson.toJson(space));
        AtomicFiles.writeString(dir.resolve("kit.json"), new GsonBuilder().setPrettyPrinting().create().toJson(kit) + "\n");
        AtomicFiles.writeString(dir.resolve("README.txt"), String.join("\n",
                "ofa4j latency profiling kit (format v" + FORMAT_VERSION + ")",
                "For every row of manifest.csv, load the model file in ONNX Runtime on the target device,",
                "feed a float32 input of input_shape, run warm-up runs, then time repeated runs and keep the median.",
                "Write timings.csv with the header 'key,median_ms' and one line per manifest key, then run",
                "  ofa profile --import timings.csv --kit <this directory> --name <device>",
                ""));
        return entries;
    }

    /**
     * Reads the manifest of a kit.
     *
     * @param dir the kit directory
     * @return the rows
     * @throws IOException naming the file and line of a malformed row
     */
    public static List<Entry> readManifest(Path dir) throws IOException {
        Path f = dir.resolve(MANIFEST);
        List<String> lines = Files.readAllLines(f);
        List<Entry> out = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] p = line.split(",");
            if (p.length != 4 || !(p[0].equals("layer") || p[0].equals("subnet"))) {
                throw new IOException("kit manifest " + f + " line " + (i + 1) + ": expected kind,key,file,input_shape, found '" + line + "'");
            }
            String[] dims = p[3].split("x");
            long[] shape = new long[dims.length];
            try {
                for (int d = 0; d < dims.length; d++) {
                    shape[d] = Long.parseLong(dims[d]);
                }
            } catch (NumberFormatException e) {
                throw new IOException("kit manifest " + f + " line " + (i + 1) + ": bad input shape '" + p[3] + "'", e);
            }
            out.add(new Entry(p[0], p[1], p[2], shape));
        }
        return out;
    }

    /**
     * Builds a device profile from timings measured elsewhere.
     *
     * @param kitDir the kit directory the device ran
     * @param timingsCsv CSV with lines {@code key,median_ms} (a header line is allowed)
     * @param deviceName name of the new profile
     * @param engine engine used on the device ({@code onnxruntime} or {@code pytorch})
     * @param threads threads used on the device
     * @return the profile; with at least 3 subnet timings the correction is fitted, else intercept 0,
     *     scale 1
     * @throws IOException if a file is unreadable or a line malformed (naming file and line), a key
     *     is not in the kit (naming it), or layer keys lack timings (naming the first)
     */
    public static DeviceProfile importTimings(
            Path kitDir, Path timingsCsv, String deviceName, String engine, int threads) throws IOException {
        JsonObject kit;
        try {
            kit = JsonParser.parseString(Files.readString(kitDir.resolve("kit.json"))).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException("kit " + kitDir.resolve("kit.json") + " (v" + FORMAT_VERSION + ") is unreadable: " + e.getMessage(), e);
        }
        if (kit.get("version").getAsInt() != FORMAT_VERSION) {
            throw new IOException("kit " + kitDir + " has version " + kit.get("version") + ", expected " + FORMAT_VERSION);
        }
        SearchSpace space = SpaceJson.fromJson(kit.getAsJsonObject("space"));
        int batch = kit.get("batch_size").getAsInt();
        Map<String, Entry> manifest = new LinkedHashMap<>();
        for (Entry e : readManifest(kitDir)) {
            manifest.put(e.key(), e);
        }
        Map<String, Double> timings = readTimings(timingsCsv);
        Map<String, Double> lut = new LinkedHashMap<>();
        List<Double> sums = new ArrayList<>();
        List<Double> measured = new ArrayList<>();
        List<ArchConfig> subnetArchs = new ArrayList<>();
        List<Double> subnetMs = new ArrayList<>();
        for (Map.Entry<String, Double> t : timings.entrySet()) {
            Entry e = manifest.get(t.getKey());
            if (e == null) {
                throw new IOException("timings " + timingsCsv + ": key '" + t.getKey() + "' is not in the kit " + kitDir);
            }
            if (e.kind().equals("layer")) {
                lut.put(t.getKey(), t.getValue());
            } else {
                String json = Files.readString(kitDir.resolve(e.file().replace(".onnx", ".json")));
                subnetArchs.add(space.validate(ArchConfig.fromJson(json)));
                subnetMs.add(t.getValue());
            }
        }
        List<String> missing = new ArrayList<>();
        for (Entry e : manifest.values()) {
            if (e.kind().equals("layer") && !lut.containsKey(e.key())) {
                missing.add(e.key());
            }
        }
        if (!missing.isEmpty()) {
            throw new IOException("timings " + timingsCsv + " lack " + missing.size() + " layer keys of the kit, first '"
                    + missing.get(0) + "'");
        }
        DeviceProfile raw = new DeviceProfile(deviceName, engine, threads, batch, space, null, lut, 0, 1);
        for (int i = 0; i < subnetArchs.size(); i++) {
            sums.add(raw.lutSumMs(subnetArchs.get(i)));
            measured.add(subnetMs.get(i));
        }
        double a = 0;
        double b = 1;
        double fitMape = Double.NaN;
        double rawMape = Double.NaN;
        if (sums.size() >= 3) {
            OverheadFit fit = OverheadFit.fit(
                    sums.stream().mapToDouble(Double::doubleValue).toArray(),
                    measured.stream().mapToDouble(Double::doubleValue).toArray());
            a = fit.interceptMs();
            b = fit.scale();
            fitMape = fit.fitMapePercent();
            rawMape = fit.rawMapePercent();
        }
        DeviceProfile.Measurement m = new DeviceProfile.Measurement(
                "remote (imported from " + timingsCsv.getFileName() + ")", "unknown", "unknown",
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), -1, -1, lut.size(), sums.size(), 0, fitMape,
                rawMape);
        return new DeviceProfile(deviceName, engine, threads, batch, space, m, lut, a, b);
    }

    /**
     * Reads a {@code key,median_ms} CSV.
     *
     * @param csv the file
     * @return key to milliseconds, in file order
     * @throws IOException naming the file and line of a malformed, negative or duplicate entry
     */
    public static Map<String, Double> readTimings(Path csv) throws IOException {
        Map<String, Double> out = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(csv);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#") || (i == 0 && line.toLowerCase(Locale.ROOT).startsWith("key,"))) {
                continue;
            }
            String[] p = line.split(",");
            String where = "timings " + csv + " line " + (i + 1) + ": ";
            if (p.length != 2) {
                throw new IOException(where + "expected key,median_ms, found '" + line + "'");
            }
            double ms;
            try {
                ms = Double.parseDouble(p[1].strip());
            } catch (NumberFormatException e) {
                throw new IOException(where + "median_ms '" + p[1] + "' is not a number", e);
            }
            if (!(ms >= 0) || Double.isInfinite(ms)) {
                throw new IOException(where + "median_ms must be finite and >= 0, found " + ms);
            }
            if (out.put(p[0].strip(), ms) != null) {
                throw new IOException(where + "duplicate key '" + p[0].strip() + "'");
            }
        }
        if (out.isEmpty()) {
            throw new IOException("timings " + csv + " has no rows");
        }
        return out;
    }
}
