package ofa4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import ofa4j.predictor.DeviceProfile;
import ofa4j.slicer.Constraint;
import ofa4j.slicer.Fleet;
import ofa4j.slicer.Specialiser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ofa slice}: the best subnet under one constraint, extracted, measured and exported. */
@Command(
        name = "slice",
        description = "Find the most accurate subnet under the given bounds (predicted), extract it, measure it and export ONNX + report.",
        footer = {"", "Examples:", "  ofa slice --run runs/quick --device cpu-ort-1t --max-latency-ms 0.3 --out out/fast",
                "  ofa slice --run runs/quick --device cpu-ort-1t --max-macs 3000000 --max-resolution 24"})
final class SliceCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Mixin DataOptions dataOptions;

    @Option(names = "--run", required = true, description = "Run directory of 'ofa run' (supernet/, devices/, predictor/).")
    Path runDir;

    @Option(names = "--device", defaultValue = "cpu-ort-1t", description = "Device profile name in <run>/devices (default ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--max-latency-ms", description = "Bound on predicted latency on the device, ms.")
    Double maxLatencyMs;

    @Option(names = "--max-macs", description = "Bound on MACs.")
    Long maxMacs;

    @Option(names = "--max-params", description = "Bound on parameters.")
    Long maxParams;

    @Option(names = "--max-memory", description = "Bound on peak activation memory at batch 1, bytes.")
    Long maxMemory;

    @Option(names = "--min-resolution", description = "Lower bound on input resolution, px.")
    Integer minResolution;

    @Option(names = "--max-resolution", description = "Upper bound on input resolution, px.")
    Integer maxResolution;

    @Option(names = "--calibration-images", defaultValue = "2000", description = "BN recalibration images (default ${DEFAULT-VALUE}).")
    int calibrationImages;

    @Mixin PredictorOption predictor;

    @Override
    public Integer call() throws Exception {
        common.applyThreads();
        DeviceProfile dev = DeviceProfile.find(runDir.resolve("devices"), device);
        Constraint c = Constraint.of(dev, maxLatencyMs, maxMacs, maxParams, maxMemory, minResolution, maxResolution);
        String name = c.isNone() ? "unconstrained" : "slice";
        Path out = common.outDir("slice");
        try (Pipeline.LoadedPredictor acc = predictor.load(runDir);
                SupernetRun run = SupernetRun.open(runDir.resolve("supernet"), dataOptions, common.quiet)) {
            spec.commandLine().getOut().printf("accuracy predictor: %s (%s)%n", acc.predictor().name(), acc.why());
            Pipeline.Slices s = Pipeline.slice(run, acc.predictor(), dev, List.of(new Fleet.Target(name, c)), out, calibrationImages,
                    common.seed);
            for (Specialiser.Report r : s.reports()) {
                spec.commandLine().getOut().printf(Locale.ROOT,
                        "%s: %s  predicted acc %.2f%% lat %.3f ms | measured val %.2f%% test %.2f%% lat %.3f ms | search %.0f ms%n  %s%n  %s%n",
                        c.describe(), r.candidate().arch().key(), 100 * r.candidate().predictedAccuracy(),
                        dev.predictMs(r.candidate().arch()), 100 * r.valAccuracy(), 100 * r.testAccuracy(),
                        r.measuredLatencyMs(), s.fleet().results().get(0).result().wallMs(), r.onnxFile(), r.reportFile());
            }
        }
        return 0;
    }
}
