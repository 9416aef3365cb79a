package ofa4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.Precision;
import ofa4j.predictor.PredictorStage;
import ofa4j.slicer.Constraint;
import ofa4j.slicer.CostAxis;
import ofa4j.slicer.Fleet;
import ofa4j.slicer.SearchStrategy;
import ofa4j.slicer.SliceStage;
import ofa4j.slicer.Specialiser;
import ofa4j.slicer.AutoChoice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ofa slice}: the best subnet under one constraint, extracted, measured and exported. */
@Command(
        name = "slice",
        description = "Find the most accurate subnet under the given bounds: the predictor proposes, the top candidates are measured, the best measured one within the bounds is exported (ONNX + report).",
        footer = {"", "Examples:", "  ofa slice --run runs/quick --device cpu-ort-1t --max-latency-ms 0.3 --out out/fast",
                "  ofa slice --run runs/quick --device cpu-ort-1t --max-macs 3000000 --max-resolution 24",
                "  ofa slice --run runs/quick --device cpu-ort-1t --max-latency-ms 0.3 --strategy bayes-opt --evaluations 300",
                "  ofa slice --run runs/quick --max-latency-ms 0.15,0.2,0.25,0.3 --spark local[2]   # a fleet on Spark"})
final class SliceCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Mixin DataOptions dataOptions;

    @Option(names = "--run", required = true, description = "Run directory of 'ofa run' (supernet/, devices/, predictor/).")
    Path runDir;

    @Option(names = "--device", description = "Device profile name in <run>/devices (default cpu-ort-1t; with --precision"
            + " int8 cpu-ort-1t-int8, an INT8 profile of 'ofa profile --precision int8').")
    String device;

    @Option(names = "--precision", defaultValue = "fp32",
            description = "Precision of the delivered slice: fp32 (default), int8 (candidates measured and delivered as"
                    + " post-training INT8 models, latency from an INT8 profile) or auto (both are sliced, into <out>/fp32"
                    + " and <out>/int8; per target, the one with the higher measured validation accuracy under the"
                    + " bounds is delivered, <out>/<target>.auto.json says which). A fleet (several budgets, --spark)"
                    + " honours it the same way.")
    String precision;

    @Option(names = "--int8-device", description = "With --precision auto: the INT8 device profile (default <device>-int8).")
    String int8Device;

    @Option(names = "--max-latency-ms", split = ",", paramLabel = "MS",
            description = "Latency budget on the device, ms: met by measurement when the device is this machine, by"
                    + " prediction otherwise. Several budgets (0.15,0.2,0.25) slice a fleet: one target lat-<MS>ms per"
                    + " budget, each with the other bounds.")
    List<Double> maxLatencyMs;

    @Mixin SparkOptions spark;

    @Mixin BoundsOptions bounds;

    @Mixin CalibrationOption calibration;

    @Mixin CandidatesOption candidates;

    @Option(names = "--int8", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also write each delivered slice as a post-training INT8 model (<target>.int8.onnx), its"
                    + " validation and test accuracy measured in ONNX Runtime next to the FP32 ones; --no-int8 skips"
                    + " it (default: on).")
    boolean int8 = true;

    @Mixin Int8Option int8Options;

    @Option(names = "--rounds", defaultValue = "1",
            description = "Closed loop: search-measure-refit rounds; measured rows are appended to the run's predictor/measured.jsonl and the predictor refitted on table + measured rows between rounds (default ${DEFAULT-VALUE}).")
    int rounds;

    @Mixin PredictorOption predictor;

    @Mixin StrategyOption strategy;

    @Override
    public Integer call() throws Exception {
        // a bad name fails before the run is opened; the gradient search needs the supernet, made below
        SearchStrategy search = strategy.gradient() ? null : strategy.create(CostAxis.macs());
        if (strategy.gradient()) {
            strategy.checkGradient();
        }
        Specialiser.Int8Settings int8Settings = int8 ? int8Options.settings() : null;
        boolean auto = "auto".equals(precision);
        Precision prec = auto ? Precision.FP32 : parsePrecision(precision);
        if (int8Device != null && !auto) {
            throw new IllegalArgumentException("--int8-device is for --precision auto; with --precision " + precision
                    + " name the profile with --device");
        }
        if (prec == Precision.INT8 && !int8) {
            throw new IllegalArgumentException("--no-int8 contradicts --precision int8");
        }
        spark.check();
        Specialiser.Int8Settings q8Settings = int8Options.settings(); // the INT8 slices' calibration
        String devName = device != null ? device : prec == Precision.INT8 ? "cpu-ort-1t-int8" : "cpu-ort-1t";
        common.applyThreads();
        DeviceProfile dev = DeviceProfile.find(runDir.resolve("devices"), devName).requirePrecision(prec);
        DeviceProfile dev8 = auto ? DeviceProfile.find(runDir.resolve("devices"),
                int8Device != null ? int8Device : devName + "-int8").requirePrecision(Precision.INT8) : null;
        List<Fleet.Target> targets = targets(dev);
        Path out = common.outDir("slice");
        try (PredictorStage.LoadedPredictor acc = predictor.load(runDir);
                SupernetRun run = SupernetRun.open(runDir.resolve("supernet"), dataOptions, common.quiet)) {
            spec.commandLine().getOut().printf("accuracy predictor: %s (%s)%n", acc.predictor().name(), acc.why());
            if (search == null) {
                search = strategy.createGradient(run.net, run.data, CostAxis.macs());
            }
            SliceStage.LoopSettings loop = new SliceStage.LoopSettings(candidates.k, rounds, calibration.images(),
                    candidates.screenImages(run.data.val().size(), false), int8Settings);
            spec.commandLine().getOut().printf("search strategy: %s%n", search.name());
            SliceStage.LoopSettings loop8 = new SliceStage.LoopSettings(loop.k(), loop.rounds(), loop.calibrationImages(),
                    loop.screenImages(), q8Settings, Precision.INT8);
            if (prec == Precision.INT8) {
                loop = loop8;
            }
            if (auto) {
                // every target (budget) sliced in both precisions, each with its own profile; chosen per target
                List<Fleet.Target> targets8 = SliceStage.sameBudgets(targets, dev, dev8);
                SliceStage.Slices s32 = spark.fleet(run, acc.predictor(), dev, targets, out.resolve("fp32"), loop,
                        runDir.resolve("predictor"), strategy.name, strategy.evaluations, search, common,
                        spec.commandLine().getOut());
                print(s32, dev);
                SliceStage.Slices s8 = spark.fleet(run, acc.predictor(), dev8, targets8, out.resolve("int8"), loop8,
                        runDir.resolve("predictor"), strategy.name, strategy.evaluations, search, common,
                        spec.commandLine().getOut());
                print(s8, dev8);
                for (int i = 0; i < s32.reports().size(); i++) {
                    AutoChoice choice = AutoChoice.of(s32.reports().get(i), s8.reports().get(i), out);
                    Path f = choice.writeTo(out);
                    spec.commandLine().getOut().println("auto: " + choice.summary() + "; wrote " + f);
                }
                return 0;
            }
            SliceStage.Slices s = spark.fleet(run, acc.predictor(), dev, targets, out, loop, runDir.resolve("predictor"),
                    strategy.name, strategy.evaluations, search, common, spec.commandLine().getOut());
            print(s, dev);
        }
        return 0;
    }

    private static Precision parsePrecision(String p) {
        try {
            return Precision.parse(p);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--precision must be one of fp32, int8, auto; found '" + p + "'");
        }
    }

    private void print(SliceStage.Slices s, DeviceProfile dev) {
        {
            for (Specialiser.Report r : s.reports()) {
                Constraint c = r.outcome().target().constraint();
                spec.commandLine().getOut().printf(Locale.ROOT,
                        "%s%s: %s  predicted acc %.2f%% lat %.3f ms | measured val %.2f%% test %.2f%% lat %.3f ms"
                                + " | %d candidates measured in %d round(s)%n  %s%n  %s%n",
                        r.precision() == Precision.INT8 ? "[int8] " : "", c.describe(), r.candidate().arch().key(),
                        100 * r.candidate().predictedAccuracy(), dev.predictMs(r.candidate().arch()),
                        100 * r.deliveredValAccuracy(), 100 * r.deliveredTestAccuracy(),
                        r.measuredLatencyMs(), r.outcome().proposed().size(), r.outcome().searches().size(),
                        r.onnxFile(), r.reportFile());
                if (r.int8OnnxFile() != null) {
                    spec.commandLine().getOut().printf(Locale.ROOT, "  INT8: val %.2f%% test %.2f%%  %s%n",
                            100 * r.int8ValAccuracy(), 100 * r.int8TestAccuracy(), r.int8OnnxFile());
                }
                r.outcome().notes().forEach(n -> spec.commandLine().getOut().println("  " + n));
            }
            if (s.rowsAdded() > 0) {
                spec.commandLine().getOut().println("  " + s.tableNote() + ": " + s.rowsAdded() + " rows added");
            }
        }
    }

    /**
     * The targets: one ({@code slice}, or {@code unconstrained} without bounds), or one per latency
     * budget of {@code --max-latency-ms} ({@code lat-<MS>ms}), each with the other bounds.
     */
    private List<Fleet.Target> targets(DeviceProfile dev) {
        if (maxLatencyMs == null || maxLatencyMs.size() <= 1) {
            Double ms = maxLatencyMs == null || maxLatencyMs.isEmpty() ? null : maxLatencyMs.get(0);
            Constraint c = bounds.constraint(dev, ms);
            return List.of(new Fleet.Target(c.isNone() ? "unconstrained" : "slice", c));
        }
        List<Fleet.Target> targets = new java.util.ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Double ms : maxLatencyMs) {
            Constraint c = bounds.constraint(dev, ms);
            String name = "lat-" + java.math.BigDecimal.valueOf(ms).stripTrailingZeros().toPlainString() + "ms";
            if (!names.add(name)) {
                throw new IllegalArgumentException("--max-latency-ms budgets must be distinct, found " + ms + " twice in "
                        + maxLatencyMs);
            }
            targets.add(new Fleet.Target(name, c));
        }
        return targets;
    }
}
