package ofa4j.slicer;

import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import ofa4j.exporter.Int8Exporter;
import ofa4j.exporter.OnnxExporter;
import ofa4j.exporter.Verifier;
import ofa4j.models.ArchConfig;
import ofa4j.models.Shuffle;
import ofa4j.models.Subnet;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.OnnxAccuracy;
import ofa4j.predictor.ProfileMeter;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.Batches;
import ofa4j.supernet.data.DataSplits;
import ofa4j.supernet.data.ImageSet;
import ofa4j.supernet.fixed.FixedNetwork;

/**
 * The real {@link Specialiser.Backend}: extraction with BN recalibration on training images
 * ({@link Supernet#extractCalibrated}), accuracy of the exported model in ONNX Runtime ({@link
 * OnnxAccuracy}), ONNX with {@link
 * OnnxExporter#toBytes}, verification with the exporter's {@link Verifier}, and timing through
 * the device profile's own meter ({@link ProfileMeter}). The supernet and data stay owned by the caller.
 */
public final class SupernetBackend implements Specialiser.Backend {

    /** Validation images run through both the subnet (DJL) and its ONNX model by {@link #verifyOnnx}. */
    public static final int VERIFY_IMAGES = 8;

    private final Supernet supernet;
    private final DataSplits data;
    private final int calibrationImages;
    private final int evalBatch;
    /** ONNX Runtime intra-op threads of the accuracy measurements. */
    private final int onnxThreads;
    /** Subnets extracted most recently (at most {@link #EXTRACTED_CACHE}): delivery re-uses the loop's. */
    private final Map<String, Subnet> extracted = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Subnet> eldest) {
            return size() > EXTRACTED_CACHE;
        }
    };

    /**
     * Extracted subnets kept: one round's candidates (K = 8) and the finalists; a subnet of the
     * default spaces is at most a few MB of floats.
     */
    static final int EXTRACTED_CACHE = 16;

    /**
     * BN recalibration images of a screening: a screening only ranks candidates (the finalists are
     * recalibrated on all the calibration images and scored on the whole split), and OFA's 2,000
     * images per candidate cost a full-size specialisation about 4 s of its 10.
     */
    public static final int SCREEN_CALIBRATION_IMAGES = 500;

    /** One meter per timing setting, kept warm: the profile's meter, so prediction and measurement share it. */
    private final Map<Specialiser.LocalTiming, ProfileMeter> meters = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Creates the backend.
     *
     * @param supernet the trained supernet (not closed here)
     * @param data train (BN calibration), validation and test images with the input mean and std
     * @param calibrationImages training images for BN recalibration (OFA: 2000, {@link
     *     Supernet#DEFAULT_CALIBRATION_IMAGES})
     * @param evalBatch images per forward when measuring accuracy (e.g. 500)
     */
    public SupernetBackend(Supernet supernet, DataSplits data, int calibrationImages, int evalBatch) {
        this(supernet, data, calibrationImages, evalBatch, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Creates the backend with a fixed number of ONNX Runtime threads for accuracy measurements
     * (several backends side by side, e.g. Spark tasks, each with its share of the cores; the
     * accuracy does not depend on it). Timing uses the device profile's threads regardless.
     *
     * @param supernet the trained supernet (not closed here)
     * @param data train (BN calibration), validation and test images with the input mean and std
     * @param calibrationImages training images for BN recalibration
     * @param evalBatch images per forward when measuring accuracy
     * @param onnxThreads ONNX Runtime intra-op threads of the accuracy measurements, at least 1
     */
    public SupernetBackend(Supernet supernet, DataSplits data, int calibrationImages, int evalBatch, int onnxThreads) {
        if (onnxThreads < 1) {
            throw new IllegalArgumentException("ONNX Runtime threads must be >= 1, found " + onnxThreads);
        }
        this.onnxThreads = onnxThreads;
        if (supernet == null || data == null) {
            throw new IllegalArgumentException("supernet and data must not be null");
        }
        if (calibrationImages < 1 || evalBatch < 1) {
            throw new IllegalArgumentException("calibration images and eval batch must be >= 1, found "
                    + calibrationImages + " and " + evalBatch);
        }
        this.supernet = supernet;
        this.data = data;
        this.calibrationImages = calibrationImages;
        this.evalBatch = evalBatch;
    }

    /**
     * Creates the backend with OFA's 2000 calibration images ({@link
     * Supernet#DEFAULT_CALIBRATION_IMAGES}) and evaluation batches of 500.
     *
     * @param supernet the trained supernet (not closed here)
     * @param data the data splits with input mean and std
     */
    public SupernetBackend(Supernet supernet, DataSplits data) {
        this(supernet, data, Supernet.DEFAULT_CALIBRATION_IMAGES, 500);
    }

    /**
     * Returns how to time a device on this machine, if its profile was measured here (same host
     * name, ONNX Runtime or PyTorch), else null.
     *
     * @param profile a device profile
     * @return its engine, threads and batch, or null when the device is not this machine
     */
    public static Specialiser.LocalTiming localTiming(DeviceProfile profile) {
        if (profile.measurement() == null) {
            return null;
        }
        String here = DeviceProfile.hostInfo()[0];
        if (!here.equals(profile.measurement().host())) {
            return null;
        }
        return new Specialiser.LocalTiming(profile.name(), profile.engine(), profile.threads(), profile.batchSize(),
                profile.measurement().warmup(), profile.measurement().repeats(), profile.measurement().anchorMs(),
                profile.precision());
    }

    private static String csv(float[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ",").append(v[i]);
        }
        return sb.toString();
    }

    /** {@inheritDoc} */
    @Override
    public Subnet extract(ArchConfig arch, long seed) {
        return extract(arch, seed, calibrationImages);
    }

    private Subnet extract(ArchConfig arch, long seed, int calibration) {
        String key = arch.canonical().key() + "#" + seed + "#" + calibration;
        synchronized (extracted) {
            Subnet hit = extracted.get(key);
            if (hit != null) {
                return hit;
            }
        }
        Subnet s = supernet.extractCalibrated(arch, data.train(), calibration, data.mean(), data.std(), seed);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(Subnet.INPUT_MEAN_KEY, csv(data.mean()));
        meta.put(Subnet.INPUT_STD_KEY, csv(data.std()));
        Subnet out = s.withMetadata(meta);
        synchronized (extracted) {
            extracted.put(key, out);
        }
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public double top1(Subnet subnet, Specialiser.Split split) {
        return OnnxAccuracy.top1(OnnxExporter.toBytes(subnet, Map.of()), subnet,
                split == Specialiser.Split.VAL ? data.val() : data.test(), data.mean(), data.std(), evalBatch, onnxThreads);
    }

    /**
     * Measures a candidate with one export: the ONNX model it scores on the validation split is
     * the one it times.
     */
    @Override
    public ClosedLoop.Measurement measure(ArchConfig arch, Map<String, Specialiser.LocalTiming> timings, long seed) {
        return screen(arch, timings, seed, 0);
    }

    /**
     * Screens a candidate: BN recalibrated on at most {@link #SCREEN_CALIBRATION_IMAGES} images and
     * the accuracy on the first {@code valImages} validation images (all when 0 or more than the
     * split has), latency in full (it does not depend on the weights). A whole measurement ({@code
     * valImages} 0) recalibrates on all the backend's calibration images.
     */
    @Override
    public ClosedLoop.Measurement screen(ArchConfig arch, Map<String, Specialiser.LocalTiming> timings, long seed,
            int valImages) {
        boolean part = valImages > 0 && valImages < data.val().size();
        Subnet subnet = extract(arch, seed, part ? Math.min(calibrationImages, SCREEN_CALIBRATION_IMAGES)
                : calibrationImages);
        byte[] onnx = exportOnnx(subnet, Map.of());
        ImageSet val = part ? data.val().head(valImages) : data.val();
        double acc = OnnxAccuracy.top1(onnx, subnet, val, data.mean(), data.std(), evalBatch, onnxThreads);
        Map<String, Double> lat = new LinkedHashMap<>();
        for (Map.Entry<String, Specialiser.LocalTiming> e : timings.entrySet()) {
            lat.put(e.getKey(), time(onnx, subnet, e.getValue()).ms());
        }
        return new ClosedLoop.Measurement(acc, lat, part ? valImages : 0);
    }

    /** {@inheritDoc} */
    @Override
    public byte[] exportOnnx(Subnet subnet, Map<String, String> metadata) {
        return OnnxExporter.toBytes(subnet, metadata);
    }

    /**
     * Exports the INT8 model: its activation ranges calibrated in ONNX Runtime on {@code
     * int8.images()} training images chosen by {@code seed} (all when the split has fewer),
     * resized and normalised as for evaluation.
     */
    @Override
    public byte[] exportInt8(Subnet subnet, Map<String, String> metadata, Specialiser.Int8Settings int8, long seed) {
        return Int8Exporter.toBytes(subnet, int8Calibration(subnet, int8, seed), metadata);
    }

    /**
     * The calibration of {@link #exportInt8}: {@code int8.images()} training images chosen by {@code
     * seed} (all when the split has fewer), resized to the subnet's resolution and normalised as
     * for evaluation, with the method of {@code int8}.
     *
     * @param subnet the subnet
     * @param int8 the INT8 settings
     * @param seed seed of the image choice
     * @return the calibration
     */
    public Int8Exporter.Calibration int8Calibration(Subnet subnet, Specialiser.Int8Settings int8, long seed) {
        ImageSet train = data.train();
        int n = Math.min(int8.images(), train.size());
        int[] idx = Shuffle.sample(train.size(), n, new SplittableRandom(seed));
        float[] x = Batches.pixels(train, idx, subnet.arch().resolution(), data.mean(), data.std());
        String source = n + " images of " + train.name() + ", seed " + seed;
        return int8.method() == Int8Exporter.Method.MINMAX
                ? Int8Exporter.Calibration.minMax(x, n, source)
                : Int8Exporter.Calibration.percentile(int8.percentile(), x, n, source);
    }

    /** {@inheritDoc} */
    @Override
    public double top1(byte[] onnx, Subnet subnet, Specialiser.Split split) {
        return OnnxAccuracy.top1(onnx, subnet, split == Specialiser.Split.VAL ? data.val() : data.test(), data.mean(),
                data.std(), evalBatch, onnxThreads);
    }

    /** {@inheritDoc} */
    @Override
    public double latencyMs(byte[] onnx, Subnet subnet, Specialiser.LocalTiming timing) {
        return time(onnx, subnet, timing).ms();
    }

    /** {@inheritDoc} */
    @Override
    public ProfileMeter.Timing time(byte[] onnx, Subnet subnet, Specialiser.LocalTiming timing) {
        ProfileMeter meter = meters.computeIfAbsent(timing, t -> ProfileMeter.of(t.engine(), t.precision(),
                supernet.space(), t.threads(), t.batch(), t.warmup(), t.repeats(), t.anchorMs()));
        return meter.time(subnet, onnx);
    }

    /**
     * Runs the first {@link #VERIFY_IMAGES} validation images, resized and normalised, through the
     * subnet's DJL forward and through its ONNX model in ONNX Runtime.
     *
     * @param onnx the model bytes
     * @param subnet the subnet
     * @return max absolute difference of the logits
     */
    @Override
    public double verifyOnnx(byte[] onnx, Subnet subnet) {
        ImageSet val = data.val();
        int n = Math.min(VERIFY_IMAGES, val.size());
        int[] idx = new int[n];
        Arrays.setAll(idx, i -> i);
        int r = subnet.arch().resolution();
        float[] input;
        float[] logits;
        try (NDManager scope = NDManager.newBaseManager(); FixedNetwork net = new FixedNetwork(subnet)) {
            var x = Batches.images(scope, val, idx, r, data.mean(), data.std());
            input = x.toFloatArray();
            logits = net.forward(scope, x).toFloatArray();
        }
        Verifier.Comparison c = Verifier.compare(onnx, input, new long[] {n, val.channels(), r, r}, logits, 1e-4);
        return c.maxAbsDiff();
    }

    /** {@inheritDoc} */
    @Override
    public String describe() {
        return String.format(Locale.ROOT, "%s; data %s; BN recalibration on %d training images",
                supernet.describe(), data.fingerprint(), calibrationImages);
    }
}
