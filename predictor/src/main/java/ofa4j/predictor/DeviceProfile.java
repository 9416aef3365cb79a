package ofa4j.predictor;

import com.google.gson.annotations.JsonAdapter;
import com.google.gson.annotations.SerializedName;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import ofa4j.models.ArchConfig;
import ofa4j.models.JsonFiles;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import ofa4j.models.SpaceJson;

/**
 * A device's latency model: a look-up table of the median latency of every layer variant ({@link
 * LayerSpec#key()} to milliseconds, as in OFA's {@code LatencyTable}) plus an end-to-end
 * correction fitted by least squares on whole subnets, {@code ms = interceptMs + scale * Σ
 * lut[layer]} (per-layer sessions miss fusion and cache effects and add per-call overhead; the
 * fit absorbs both). Stored as readable JSON.
 *
 * <p>A profile describes models of one {@link Precision}: an FP32 table times the float export,
 * an INT8 table the QDQ export of every layer and subnet (ONNX Runtime fuses it into integer
 * kernels, whose costs differ layer by layer, so neither table can be scaled into the other).
 * Latencies are only predicted and measured for models of the profile's precision ({@link
 * #requirePrecision}).
 *
 * @param name device name, e.g. {@code cpu-ort-1t}
 * @param engine {@code onnxruntime} or {@code pytorch}
 * @param threads intra-op threads used when measuring
 * @param batchSize batch size of the measured forward passes
 * @param space the search space whose layer variants the table covers
 * @param measurement how and when it was measured
 * @param lutMs layer key to median milliseconds
 * @param interceptMs fitted constant overhead, ms
 * @param scale fitted multiplier of the table sum
 * @param precision precision of the models timed
 */
public record DeviceProfile(
        String name,
        String engine,
        int threads,
        int batchSize,
        SearchSpace space,
        Measurement measurement,
        Map<String, Double> lutMs,
        double interceptMs,
        double scale,
        Precision precision)
        implements LatencyPredictor {

    /** File format name written in the JSON. */
    public static final String FORMAT = "ofa4j-device-profile";

    /** File format version: 2 added {@code precision}; a version 1 file is an FP32 profile. */
    public static final int FORMAT_VERSION = 2;

    /** The oldest file format version read. */
    static final int OLDEST_VERSION = 1;

    /** Engines a profile may name. */
    public static final List<String> ENGINES = List.of("onnxruntime", "pytorch");

    /**
     * How a profile was measured. Its keys in the file are the component names as they are
     * ({@code cpuModel}, {@code fitMapePercent}), not snake_case; an error that could not be computed
     * (fewer than 3 subnets to fit on) is NaN here and {@code null} in the file.
     *
     * @param host host name
     * @param os operating system (name, version, arch)
     * @param cpuModel CPU model from /proc/cpuinfo ("unknown" elsewhere)
     * @param date ISO-8601 UTC time the profiling ended
     * @param warmup warm-up runs before timing
     * @param repeats timed runs whose median is kept
     * @param layerVariants number of layer variants timed
     * @param subnets number of whole subnets timed for the fit
     * @param profileSeconds wall time of profiling
     * @param fitMapePercent mean absolute percentage error of the fitted model on those subnets
     * @param rawMapePercent the same error of the raw table sum (no fit)
     * @param anchorMs latency of the anchor subnet ({@link ProfileMeter#anchor}) on the quiet machine
     *     while profiling (the fastest of its timings), or null in profiles without it; a later
     *     measurement times the anchor again to tell whether the machine is as fast as it was
     * @param attempts how many times the whole profile was measured before one was consistent (see
     *     {@link Profiler#MAX_ATTEMPTS}), or null in profiles without it
     * @param anchorErrorPercent |the profile's prediction of the anchor - its timing| / its timing,
     *     percent: how well the table and the fit describe a whole subnet timed beside them, or null
     */
    public record Measurement(
            String host,
            String os,
            @SerializedName("cpuModel") String cpuModel,
            String date,
            int warmup,
            int repeats,
            @SerializedName("layerVariants") int layerVariants,
            int subnets,
            @SerializedName("profileSeconds") double profileSeconds,
            @SerializedName("fitMapePercent") @JsonAdapter(value = JsonBindings.NanAsNull.class, nullSafe = false)
                    double fitMapePercent,
            @SerializedName("rawMapePercent") @JsonAdapter(value = JsonBindings.NanAsNull.class, nullSafe = false)
                    double rawMapePercent,
            @SerializedName("anchorMs") Double anchorMs,
            Integer attempts,
            @SerializedName("anchorErrorPercent") Double anchorErrorPercent) {

        /**
         * A measurement without the consistency check's figures (imported or older profiles).
         *
         * @param host host name
         * @param os operating system
         * @param cpuModel CPU model
         * @param date ISO-8601 time
         * @param warmup warm-up runs
         * @param repeats timed runs
         * @param layerVariants layer variants timed
         * @param subnets subnets timed for the fit
         * @param profileSeconds wall time of profiling
         * @param fitMapePercent error of the fitted model
         * @param rawMapePercent error of the raw table sum
         * @param anchorMs the anchor's latency, or null
         */
        public Measurement(String host, String os, String cpuModel, String date, int warmup, int repeats,
                int layerVariants, int subnets, double profileSeconds, double fitMapePercent, double rawMapePercent,
                Double anchorMs) {
            this(host, os, cpuModel, date, warmup, repeats, layerVariants, subnets, profileSeconds, fitMapePercent,
                    rawMapePercent, anchorMs, null, null);
        }

        /**
         * A measurement without an anchor timing (imported or older profiles).
         *
         * @param host host name
         * @param os operating system
         * @param cpuModel CPU model
         * @param date ISO-8601 time
         * @param warmup warm-up runs
         * @param repeats timed runs
         * @param layerVariants layer variants timed
         * @param subnets subnets timed for the fit
         * @param profileSeconds wall time of profiling
         * @param fitMapePercent error of the fitted model
         * @param rawMapePercent error of the raw table sum
         */
        public Measurement(String host, String os, String cpuModel, String date, int warmup, int repeats,
                int layerVariants, int subnets, double profileSeconds, double fitMapePercent, double rawMapePercent) {
            this(host, os, cpuModel, date, warmup, repeats, layerVariants, subnets, profileSeconds, fitMapePercent,
                    rawMapePercent, null);
        }
    }

    /** Checks the values and copies the table. */
    public DeviceProfile {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("device name must not be empty");
        }
        if (!ENGINES.contains(engine)) {
            throw new IllegalArgumentException("engine of device " + name + " must be one of " + ENGINES + ", found '" + engine + "'");
        }
        if (threads < 1 || batchSize < 1) {
            throw new IllegalArgumentException(
                    "device " + name + " needs threads >= 1 and batch >= 1, found " + threads + " and " + batchSize);
        }
        if (lutMs == null || lutMs.isEmpty()) {
            throw new IllegalArgumentException("device " + name + " has an empty latency table");
        }
        for (Map.Entry<String, Double> e : lutMs.entrySet()) {
            if (e.getValue() == null || !(e.getValue() >= 0) || e.getValue().isInfinite()) {
                throw new IllegalArgumentException(
                        "latency of layer " + e.getKey() + " on device " + name + " must be finite and >= 0, found "
                                + e.getValue());
            }
        }
        if (!Double.isFinite(interceptMs) || !Double.isFinite(scale) || !(scale > 0)) {
            throw new IllegalArgumentException(
                    "device " + name + " needs a finite intercept and a positive scale, found " + interceptMs + " and "
                            + scale);
        }
        if (precision == null) {
            throw new IllegalArgumentException("device " + name + " needs a precision, one of " + Precision.ids());
        }
        if (precision == Precision.INT8 && !"onnxruntime".equals(engine)) {
            throw new IllegalArgumentException("device " + name + ": INT8 profiles are measured in onnxruntime, found engine '"
                    + engine + "'");
        }
        lutMs = Collections.unmodifiableMap(new LinkedHashMap<>(lutMs));
    }

    /**
     * An FP32 profile.
     *
     * @param name device name
     * @param engine engine
     * @param threads intra-op threads
     * @param batchSize batch size
     * @param space the search space
     * @param measurement how it was measured, or null
     * @param lutMs layer key to milliseconds
     * @param interceptMs fitted constant, ms
     * @param scale fitted multiplier
     */
    public DeviceProfile(String name, String engine, int threads, int batchSize, SearchSpace space,
            Measurement measurement, Map<String, Double> lutMs, double interceptMs, double scale) {
        this(name, engine, threads, batchSize, space, measurement, lutMs, interceptMs, scale, Precision.FP32);
    }

    /**
     * Refuses to predict or measure models of another precision than the profile's.
     *
     * @param wanted the precision of the models to be searched, timed or delivered
     * @return this profile
     * @throws IllegalArgumentException naming the profile, both precisions and how to measure the right profile
     */
    public DeviceProfile requirePrecision(Precision wanted) {
        if (wanted != precision) {
            throw new IllegalArgumentException("device profile '" + name + "' times " + precision.id()
                    + " models, but " + wanted.id() + " models are asked for: use a profile of " + wanted.id()
                    + " models (measure one with 'ofa profile --precision " + wanted.id() + "')");
        }
        return this;
    }

    /**
     * Sums the table entries of a subnet's layers (no correction).
     *
     * @param arch the subnet
     * @return sum of the layers' median latencies, ms
     * @throws IllegalArgumentException naming a layer key missing from the table
     */
    public double lutSumMs(ArchConfig arch) {
        double s = 0;
        for (LayerSpec l : space.layers(arch)) {
            String k = l.key();
            Double v = lutMs.get(k);
            if (v == null) {
                throw new IllegalArgumentException(
                        "layer key '" + k + "' of subnet " + arch.key() + " is not in the latency table of device "
                                + name + " (" + lutMs.size() + " entries, space " + space.name() + ")");
            }
            s += v;
        }
        return s;
    }

    /** {@inheritDoc} */
    @Override
    public double predictMs(ArchConfig arch) {
        return Math.max(0, interceptMs + scale * lutSumMs(arch));
    }

    /** {@inheritDoc} */
    @Override
    public String deviceName() {
        return name;
    }

    /**
     * Returns a copy with another end-to-end correction.
     *
     * @param intercept constant, ms
     * @param s scale
     * @param m measurement to record
     * @return the new profile
     */
    public DeviceProfile withFit(double intercept, double s, Measurement m) {
        return new DeviceProfile(name, engine, threads, batchSize, space, m, lutMs, intercept, s, precision);
    }

    // ------------------------------------------------------------------ files

    /**
     * A profile as stored: the format name and version, then the profile, its correction under
     * {@code overhead}, its table and its space. The one binding of {@code devices/*.json};
     * {@link #save} writes it and {@link #load} reads it.
     *
     * @param format {@link #FORMAT}
     * @param version {@link #FORMAT_VERSION}
     * @param name device name
     * @param engine engine, one of {@link #ENGINES}
     * @param threads intra-op threads
     * @param batchSize batch size
     * @param measurement how it was measured, or null
     * @param overhead the end-to-end correction
     * @param lutMs layer key to median milliseconds
     * @param space the search space of the table
     * @param precision {@code fp32} or {@code int8}; absent in version 1 files (FP32)
     */
    record Stored(
            String format,
            int version,
            String name,
            String engine,
            int threads,
            int batchSize,
            Measurement measurement,
            Overhead overhead,
            Map<String, Double> lutMs,
            @JsonAdapter(SpaceJson.Adapter.class) SearchSpace space,
            String precision) {

        /** Checks the format name and version and that the parts are there. */
        Stored {
            JsonBindings.checkFormat(FORMAT, format, version, OLDEST_VERSION, FORMAT_VERSION);
            if (version >= 2) {
                JsonFiles.required(precision, "precision");
            }
            JsonFiles.required(overhead, "overhead");
            JsonFiles.required(lutMs, "lut_ms");
            JsonFiles.required(space, "space");
        }

        static Stored of(DeviceProfile p) {
            return new Stored(FORMAT, FORMAT_VERSION, p.name, p.engine, p.threads, p.batchSize, p.measurement,
                    new Overhead(p.interceptMs, p.scale), p.lutMs, p.space, p.precision.id());
        }

        DeviceProfile profile() {
            return new DeviceProfile(name, engine, threads, batchSize, space, measurement, lutMs,
                    overhead.interceptMs(), overhead.scale(), precision == null ? Precision.FP32 : Precision.parse(precision));
        }
    }

    /**
     * The fitted end-to-end correction, {@code ms = interceptMs + scale * Σ lut}.
     *
     * @param interceptMs constant overhead, ms
     * @param scale multiplier of the table sum
     */
    record Overhead(double interceptMs, double scale) {}

    /**
     * Saves the profile as pretty JSON, atomically.
     *
     * @param file the target
     * @throws IOException if writing fails
     */
    public void save(Path file) throws IOException {
        JsonFiles.write(file, Stored.of(this));
    }

    /**
     * Loads a profile saved by {@link #save(Path)}.
     *
     * @param file the JSON file
     * @return the profile
     * @throws IOException naming the file, the format version and the problem if it is unreadable,
     *     of another format or version, or holds bad values
     */
    public static DeviceProfile load(Path file) throws IOException {
        String what = "device profile (format " + FORMAT + " v" + OLDEST_VERSION + "-" + FORMAT_VERSION + ") ";
        if (!Files.isRegularFile(file)) {
            throw new IOException(what + file + ": file does not exist");
        }
        try {
            return JsonFiles.read(file, Stored.class).profile();
        } catch (IOException e) {
            throw new IOException(what + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IOException(what + file + ": " + e.getMessage(), e);
        }
    }

    /** What a device name may be: it names a file under {@code devices/}, so no path separators. */
    public static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /**
     * Checks a device name before it becomes a file name.
     *
     * @param name the name
     * @return the name
     * @throws IllegalArgumentException naming the value and what is allowed
     */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches() || name.contains("..")) {
            throw new IllegalArgumentException("device name '" + name + "' is not allowed: use 1-64 letters, digits,"
                    + " '.', '_' or '-', starting with a letter or digit, without '..' (it becomes devices/<name>.json)");
        }
        return name;
    }

    /**
     * Finds the profile named {@code name} among the {@code *.json} files of a directory.
     *
     * @param dir directory of device profiles
     * @param deviceName the device name
     * @return the profile
     * @throws IllegalArgumentException naming the unknown device and the devices available
     * @throws IOException if a profile file is unreadable
     */
    public static DeviceProfile find(Path dir, String deviceName) throws IOException {
        List<String> names = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.json")) {
                List<Path> files = new ArrayList<>();
                ds.forEach(files::add);
                Collections.sort(files);
                for (Path f : files) {
                    DeviceProfile p = load(f);
                    if (p.name().equals(deviceName)) {
                        return p;
                    }
                    names.add(p.name());
                }
            }
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("unknown device '" + deviceName + "': " + dir
                    + " holds no device profiles; measure one with 'ofa profile --out " + dir.resolve("NAME.json") + "'");
        }
        throw new IllegalArgumentException(
                "unknown device '" + deviceName + "' in " + dir + "; available: " + names);
    }

    /**
     * Describes the host for {@link Measurement}: host name, OS and the CPU model read from
     * {@code /proc/cpuinfo}.
     *
     * @return host, os, cpu model
     */
    public static String[] hostInfo() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown";
        }
        String os = System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch");
        String cpu = "unknown";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.toLowerCase(Locale.ROOT).startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).strip();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: keep "unknown"
        }
        return new String[] {host, os, cpu + " x" + Runtime.getRuntime().availableProcessors()};
    }

    /** Cache of profiles by file for callers that look them up repeatedly. */
    private static final Map<Path, DeviceProfile> CACHE = new ConcurrentHashMap<>();

    /**
     * Loads a profile once per path (later calls return the same object).
     *
     * @param file the JSON file
     * @return the profile
     * @throws IOException if it cannot be loaded
     */
    public static DeviceProfile loadCached(Path file) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        DeviceProfile p = CACHE.get(key);
        if (p == null) {
            p = load(key);
            CACHE.put(key, p);
        }
        return p;
    }
}
