package ofa4j.predictor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import ofa4j.models.SearchSpace;

/**
 * The profiling stage of a run, callable from Java: names the profiles of this machine and
 * measures one (layer table and end-to-end fit) in ONNX Runtime or DJL's PyTorch engine, or reuses
 * a profile file of the same space.
 */
public final class ProfileStage {

    private ProfileStage() {}

    /** Name of the profile of this machine: ONNX Runtime with {@code t} intra-op threads, batch 1. */
    public static String localDeviceName(int threads) {
        return localDeviceName("onnxruntime", threads, 1);
    }

    /**
     * Name of a profile of this machine, e.g. {@code cpu-ort-1t}, {@code cpu-pt-2t-b8}.
     *
     * @param engine onnxruntime or pytorch
     * @param threads intra-op threads
     * @param batch batch size
     * @return the name
     */
    public static String localDeviceName(String engine, int threads, int batch) {
        return "pytorch".equals(engine)
                ? DjlLatencyMeter.defaultDeviceName(threads, batch)
                : OrtLatencyMeter.defaultDeviceName(threads) + (batch == 1 ? "" : "-b" + batch);
    }

    /**
     * Profiles this machine in ONNX Runtime (layer table + end-to-end fit), or reuses the file.
     *
     * @param space the space
     * @param file the profile file
     * @param threads intra-op threads
     * @param subnets whole subnets timed for the fit
     * @param seed seed
     * @param quiet no progress bar
     * @param reuse return an existing profile when the file is valid
     * @return the profile
     * @throws IOException if writing fails
     */
    public static DeviceProfile profile(SearchSpace space, Path file, int threads, int subnets, long seed, boolean quiet,
            boolean reuse) throws IOException {
        return profile(space, file, "onnxruntime", threads, 1, subnets, seed, quiet, reuse);
    }

    /**
     * Profiles this machine in the given engine (layer table + end-to-end fit), or reuses the file.
     *
     * @param space the space
     * @param file the profile file
     * @param engine onnxruntime or pytorch
     * @param threads intra-op threads
     * @param batch batch size
     * @param subnets whole subnets timed for the fit
     * @param seed seed
     * @param quiet no progress bar
     * @param reuse return an existing profile when the file is valid and of the same space
     * @return the profile
     * @throws IOException if writing fails
     */
    public static DeviceProfile profile(SearchSpace space, Path file, String engine, int threads, int batch, int subnets,
            long seed, boolean quiet, boolean reuse) throws IOException {
        return profile(space, file, engine, Precision.FP32, threads, batch, subnets, seed, quiet, reuse);
    }

    /**
     * Profiles this machine in the given engine and precision (layer table + end-to-end fit), or
     * reuses the file.
     *
     * @param space the space
     * @param file the profile file
     * @param engine onnxruntime or pytorch
     * @param precision FP32, or INT8 (ONNX Runtime only)
     * @param threads intra-op threads
     * @param batch batch size
     * @param subnets whole subnets timed for the fit
     * @param seed seed
     * @param quiet no progress bar
     * @param reuse return an existing profile when the file is valid and of the same space and precision
     * @return the profile
     * @throws IOException if writing fails
     * @throws IllegalArgumentException when INT8 is asked of the PyTorch engine
     */
    public static DeviceProfile profile(SearchSpace space, Path file, String engine, Precision precision, int threads,
            int batch, int subnets, long seed, boolean quiet, boolean reuse) throws IOException {
        checkEngine(engine, precision);
        if (reuse && Files.isRegularFile(file)) {
            DeviceProfile old = DeviceProfile.load(file);
            if (old.space().equals(space) && old.precision() == precision) {
                return old;
            } // a profile of another space (other input channels or classes) is measured again
        }
        DeviceProfile p;
        try (LatencyMeter meter = meter(space, engine, precision, threads, batch, seed)) {
            p = Profiler.profile(space, meter, localDeviceName(engine, precision, threads, batch), subnets, seed, quiet,
                    null);
        }
        p.save(file);
        return p;
    }

    /**
     * Opens the meter of a profile of this machine.
     *
     * @param space the space
     * @param engine onnxruntime or pytorch
     * @param precision FP32, or INT8 (ONNX Runtime only)
     * @param threads intra-op threads
     * @param batch batch size
     * @param seed seed of random weights and inputs
     * @return the meter (close it)
     */
    public static LatencyMeter meter(SearchSpace space, String engine, Precision precision, int threads, int batch,
            long seed) {
        checkEngine(engine, precision);
        return "pytorch".equals(engine)
                ? new DjlLatencyMeter(space, threads, batch, DjlLatencyMeter.DEFAULT_WARMUP,
                        DjlLatencyMeter.DEFAULT_REPEATS, seed)
                : new OrtLatencyMeter(space, new ExporterModels(precision), threads, batch, OrtLatencyMeter.DEFAULT_WARMUP,
                        OrtLatencyMeter.DEFAULT_REPEATS, seed);
    }

    private static void checkEngine(String engine, Precision precision) {
        if (precision == Precision.INT8 && !"onnxruntime".equals(engine)) {
            throw new IllegalArgumentException("INT8 profiles are measured in onnxruntime (the INT8 models are ONNX QDQ"
                    + " models), found engine '" + engine + "'");
        }
    }

    /**
     * Name of a profile of this machine, e.g. {@code cpu-ort-1t}, {@code cpu-ort-1t-int8}.
     *
     * @param engine onnxruntime or pytorch
     * @param precision the precision (INT8 adds {@code -int8})
     * @param threads intra-op threads
     * @param batch batch size
     * @return the name
     */
    public static String localDeviceName(String engine, Precision precision, int threads, int batch) {
        return localDeviceName(engine, threads, batch) + (precision == Precision.INT8 ? "-int8" : "");
    }
}
