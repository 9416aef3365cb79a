package ofa4j.predictor;

import com.google.gson.annotations.JsonAdapter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import ofa4j.models.ArchConfig;
import ofa4j.models.AtomicFiles;
import ofa4j.models.JsonFiles;
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
 * <p>Layout: {@code kit.json} ({@link Kit}: format, version, batch, space), {@code manifest.csv}
 * with columns {@code kind,key,file,input_shape} (kind {@code layer} or {@code subnet}, shape like
 * {@code 1x24x14x14}, file relative to the kit directory and inside it), {@code layers/L0000.onnx
 * ...}, {@code subnets/S000.onnx} with the subnet's architecture in {@code subnets/S000.json}, and
 * {@code README.txt}. The CSV files are read and written by {@link KitCsv}.
 */
public final class RemoteKit {

    /** Kit format name, in {@code kit.json}. */
    public static final String FORMAT = "ofa4j-profiling-kit";

    /** Kit format version. */
    public static final int FORMAT_VERSION = 1;

    /** Kit description file name. */
    public static final String KIT_FILE = "kit.json";

    /** Manifest file name. */
    public static final String MANIFEST = "manifest.csv";

    /** Columns of the manifest. */
    public static final List<String> MANIFEST_COLUMNS = List.of("kind", "key", "file", "input_shape");

    /** Columns of a timings file. */
    public static final List<String> TIMINGS_COLUMNS = List.of("key", "median_ms");

    private RemoteKit() {}

    /**
     * The kit description ({@code kit.json}).
     *
     * @param format {@link #FORMAT}
     * @param version {@link #FORMAT_VERSION}
     * @param batchSize batch size of the input shapes in the manifest
     * @param created ISO-8601 UTC time the kit was written
     * @param space the search space whose layer variants the kit holds
     */
    public record Kit(String format, int version, int batchSize, String created,
            @JsonAdapter(SpaceJson.Adapter.class) SearchSpace space) {

        /** Checks the header, the batch size and that the space is there. */
        public Kit {
            JsonBindings.checkFormat(FORMAT, format, version, FORMAT_VERSION, FORMAT_VERSION);
            if (batchSize < 1) {
                throw new IllegalArgumentException("'batch_size' must be >= 1, found " + batchSize);
            }
            JsonFiles.required(space, "space");
        }

        /**
         * Writes {@code kit.json} into a kit directory.
         *
         * @param dir the kit directory
         * @throws IOException if writing fails
         */
        public void write(Path dir) throws IOException {
            JsonFiles.write(dir.resolve(KIT_FILE), this);
        }

        /**
         * Reads the {@code kit.json} of a kit directory.
         *
         * @param dir the kit directory
         * @return the description
         * @throws IOException naming the file, the format version and the problem
         */
        public static Kit read(Path dir) throws IOException {
            try {
                return JsonFiles.read(dir.resolve(KIT_FILE), Kit.class);
            } catch (IOException e) {
                throw new IOException("profiling kit (format " + FORMAT + " v" + FORMAT_VERSION + ") " + e.getMessage(), e);
            }
        }
    }

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
        List<List<String>> rows = new ArrayList<>();
        for (Entry e : entries) {
            StringBuilder shape = new StringBuilder();
            for (long d : e.inputShape()) {
                shape.append(shape.length() == 0 ? "" : "x").append(d);
            }
            rows.add(List.of(e.kind(), e.key(), e.file(), shape.toString()));
        }
        KitCsv.write(dir.resolve(MANIFEST), MANIFEST_COLUMNS, rows);
        new Kit(FORMAT, FORMAT_VERSION, batch, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), space).write(dir);
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
     * @throws IOException naming the file, line and column of a malformed row: an unknown kind, an
     *     empty or repeated key, a model file outside the kit directory (absolute, or escaping it
     *     with {@code ..}), a bad input shape
     */
    public static List<Entry> readManifest(Path dir) throws IOException {
        Path root = dir.toAbsolutePath().normalize();
        List<Entry> out = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        for (KitCsv.Row r : KitCsv.read(dir.resolve(MANIFEST), MANIFEST_COLUMNS, true)) {
            String kind = r.get(0);
            if (!kind.equals("layer") && !kind.equals("subnet")) {
                throw r.error(0, "kind must be 'layer' or 'subnet', found '" + kind + "'");
            }
            String key = r.get(1);
            if (key.isEmpty() || !keys.add(key)) {
                throw r.error(1, key.isEmpty() ? "empty key" : "key '" + key + "' is listed twice");
            }
            out.add(new Entry(kind, key, insideKit(r, root, r.get(2)), shape(r, r.get(3))));
        }
        return out;
    }

    /** Refuses a model file that is not a relative path inside the kit directory. */
    private static String insideKit(KitCsv.Row r, Path root, String file) throws IOException {
        Path p;
        try {
            p = Path.of(file);
        } catch (InvalidPathException e) {
            throw r.error(2, "'" + file + "' is not a file path: " + e.getMessage());
        }
        if (file.isEmpty() || p.isAbsolute() || p.getRoot() != null) {
            throw r.error(2, "model file must be a relative path inside the kit directory, found "
                    + (file.isEmpty() ? "nothing" : "the absolute path '" + file + "'"));
        }
        if (!root.resolve(p).normalize().startsWith(root)) {
            throw r.error(2, "model file '" + file + "' points outside the kit directory " + root);
        }
        return file;
    }

    private static long[] shape(KitCsv.Row r, String text) throws IOException {
        String[] dims = text.split("x", -1);
        long[] shape = new long[dims.length];
        for (int d = 0; d < dims.length; d++) {
            try {
                shape[d] = Long.parseLong(dims[d]);
            } catch (NumberFormatException e) {
                shape[d] = -1;
            }
            if (shape[d] < 1) {
                throw r.error(3, "input shape must be positive sizes joined by 'x' (1x24x14x14), found '" + text + "'");
            }
        }
        return shape;
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
        DeviceProfile.checkName(deviceName);
        Kit kit = Kit.read(kitDir);
        SearchSpace space = kit.space();
        int batch = kit.batchSize();
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
                Path archFile = kitDir.resolve(e.file().replace(".onnx", ".json"));
                try {
                    subnetArchs.add(space.validate(ArchConfig.fromJson(JsonFiles.readText(archFile))));
                } catch (IllegalArgumentException ex) {
                    throw new IOException("subnet architecture " + archFile + ": " + ex.getMessage(), ex);
                }
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
     * Reads a {@code key,median_ms} CSV (a header line is allowed, {@code #} starts a comment line).
     *
     * @param csv the file
     * @return key to milliseconds, in file order
     * @throws IOException naming the file, line and column of a malformed, negative or duplicate entry
     */
    public static Map<String, Double> readTimings(Path csv) throws IOException {
        Map<String, Double> out = new LinkedHashMap<>();
        for (KitCsv.Row r : KitCsv.read(csv, TIMINGS_COLUMNS, false)) {
            double ms;
            try {
                ms = Double.parseDouble(r.get(1));
            } catch (NumberFormatException e) {
                throw r.error(1, "'" + r.get(1) + "' is not a number");
            }
            if (!(ms >= 0) || Double.isInfinite(ms)) {
                throw r.error(1, "must be finite and >= 0, found " + ms);
            }
            if (r.get(0).isEmpty()) {
                throw r.error(0, "empty key");
            }
            if (out.put(r.get(0), ms) != null) {
                throw r.error(0, "duplicate key '" + r.get(0) + "'");
            }
        }
        if (out.isEmpty()) {
            throw new IOException("timings " + csv + " has no rows");
        }
        return out;
    }
}
