package ofa4j.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import ofa4j.exporter.Int8Exporter;
import ofa4j.exporter.OnnxExporter;
import ofa4j.models.AtomicFiles;
import ofa4j.models.ArchConfig;
import ofa4j.models.JsonFiles;
import ofa4j.models.Subnet;
import ofa4j.predictor.AccuracyDatasetBuilder;
import ofa4j.predictor.AccuracyTableInfo;
import ofa4j.predictor.SupernetScorer;
import ofa4j.slicer.Specialiser;
import ofa4j.slicer.SupernetBackend;
import ofa4j.supernet.ops.FakeQuant;
import ofa4j.supernet.train.FineTuner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ofa finetune}: trains an extracted subnet on its own with distillation from the supernet's max subnet. */
@Command(
        name = "finetune",
        description = "Fine-tune a slice: extract the subnet (BN recalibrated as the run's slices are), train it for N epochs"
                + " with distillation from the supernet's max subnet (BN recalibrated), resumable after every epoch; report validation and"
                + " test accuracy (FP32 and post-training INT8) before and after, and write the fine-tuned ONNX model. Then, if"
                + " post-training INT8 loses more than 1 point of validation accuracy (--qat auto) or always (--qat on),"
                + " quantization-aware fine-tuning: training through the INT8 export's fake-quantized forward; the INT8 model is"
                + " exported from its weights.",
        footer = {"", "Examples:", "  ofa finetune --run runs/quick --slice runs/quick/slices/lat-0.201ms.json --epochs 3 --out out/ft",
                "  ofa finetune --run runs/quick --slice runs/quick/slices/lat-0.201ms.json --epochs 3 --out out/ft --resume",
                "  ofa finetune --run runs/quick --arch min --epochs 1 --qat on --qat-epochs 2 --out out/ft-min"})
final class FinetuneCommand implements Callable<Integer> {

    /** The report written in the output directory. */
    static final String REPORT_FILE = "finetune.json";

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Mixin DataOptions dataOptions;

    @Option(names = "--run", required = true, description = "Run directory of 'ofa run' (supernet/, predictor/).")
    Path runDir;

    @Option(names = "--slice", description = "Slice report (<target>.json) whose subnet is fine-tuned.")
    Path slice;

    @Option(names = "--arch", description = "Or the subnet: max, min, a JSON file or inline JSON.")
    String arch;

    @Option(names = "--epochs", defaultValue = "3", description = "Epochs of fine-tuning (default ${DEFAULT-VALUE}; OFA: 25 or 75).")
    int epochs;

    @Option(names = "--lr", defaultValue = "0.01", description = "Peak learning rate, cosine to 0 (default ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--kd-ratio", defaultValue = "1.0", description = "Weight of the distillation loss (default ${DEFAULT-VALUE}).")
    double kdRatio;

    @Option(names = "--resume", description = "Continue the fine-tune in --out after its last finished epoch.")
    boolean resume;

    @Mixin Int8Option int8Options;

    @Mixin CalibrationOption calibration;

    @Option(names = "--qat", defaultValue = "auto", paramLabel = "WHEN",
            description = "Quantization-aware fine-tuning after the FP32 fine-tune: auto (when post-training INT8 loses more than"
                    + " 1 point of validation accuracy), on, off (default ${DEFAULT-VALUE}).")
    String qat = "auto";

    @Option(names = "--qat-epochs", defaultValue = "2", description = "Epochs of quantization-aware fine-tuning (default ${DEFAULT-VALUE}).")
    int qatEpochs = 2;

    @Option(names = "--qat-lr", defaultValue = "0.001", description = "Peak learning rate of quantization-aware fine-tuning,"
            + " cosine to 0 (default ${DEFAULT-VALUE}: a tenth of the fine-tune's; the weights are trained already).")
    double qatLr = 0.001;

    /** Validation accuracy post-training INT8 may lose before {@code --qat auto} fine-tunes quantization-aware: 1 point. */
    static final double QAT_THRESHOLD = 0.01;

    /** Sub-directory of {@code --out} holding the quantization-aware fine-tune's state. */
    static final String QAT_DIR = "qat";

    /** The INT8 model written beside the FP32 one. */
    static final String INT8_FILE = "finetuned.int8.onnx";

    /** When quantization-aware fine-tuning runs. */
    enum QatMode {
        /** When post-training INT8 loses more than {@link #QAT_THRESHOLD} of validation accuracy. */
        AUTO,
        /** Always. */
        ON,
        /** Never. */
        OFF;

        /**
         * Whether quantization-aware fine-tuning runs after a fine-tune that reached {@code a}.
         *
         * @param a the FP32 fine-tune's accuracies
         * @return true for {@code on}, and for {@code auto} when INT8 loses more than 1 point of validation accuracy
         */
        boolean runs(Accuracies a) {
            return this == ON || (this == AUTO && a.val() - a.int8Val() > QAT_THRESHOLD);
        }

        static QatMode parse(String s) {
            for (QatMode m : values()) {
                if (m.name().toLowerCase(Locale.ROOT).equals(s)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("--qat must be one of auto, on, off; found '" + s + "'");
        }
    }

    /**
     * The fine-tune's report.
     *
     * @param formatVersion 2
     * @param arch the subnet's key
     * @param epochs epochs of the fine-tune
     * @param resumedFrom epochs already done when this call started
     * @param seconds wall time of the epochs run by this call
     * @param before accuracies of the extracted subnet
     * @param after accuracies of the fine-tuned subnet
     * @param history every epoch
     * @param onnx the fine-tuned FP32 model
     * @param qat whether quantization-aware fine-tuning ran
     * @param note how to read it
     * @param qatMode the {@code --qat} setting: auto, on, off
     * @param quantizationAware the quantization-aware fine-tune when it ran, else absent
     * @param int8Onnx the INT8 model: exported from the quantization-aware weights when it ran, else
     *     from the FP32 fine-tuned ones
     * @param calibrationImages BN recalibration images of the extracted subnet and the teacher: the run's
     *     accuracy table's when it records them, else {@code --calibration-images}
     */
    record Report(int formatVersion, String arch, int epochs, int resumedFrom, double seconds, Accuracies before,
            Accuracies after, java.util.List<FineTuner.Epoch> history, String onnx, boolean qat, String note,
            String qatMode, Qat quantizationAware, String int8Onnx, int calibrationImages) {}

    /**
     * The quantization-aware fine-tune.
     *
     * @param epochs its epochs
     * @param lr its peak learning rate
     * @param resumedFrom epochs already done when this call started
     * @param seconds wall time of the epochs run by this call (with the per-epoch calibrations)
     * @param before accuracies of its start (the FP32 fine-tuned subnet): {@code after} of the report
     * @param after accuracies of its result; INT8 from the INT8 export of its weights
     * @param history every epoch
     */
    record Qat(int epochs, double lr, int resumedFrom, double seconds, Accuracies before, Accuracies after,
            java.util.List<FineTuner.Epoch> history) {}

    /**
     * Top-1 of one subnet, fractions.
     *
     * @param val FP32 validation
     * @param test FP32 test
     * @param int8Val post-training INT8 validation (ONNX Runtime)
     * @param int8Test post-training INT8 test
     */
    record Accuracies(double val, double test, double int8Val, double int8Test) {}

    @Override
    public Integer call() throws Exception {
        if ((slice == null) == (arch == null)) {
            throw new IllegalArgumentException("give the subnet with exactly one of --slice (a slice report) and --arch");
        }
        FineTuner.Settings settings = new FineTuner.Settings(epochs, 128, lr, kdRatio, 0.1, 3e-5, common.seed);
        Specialiser.Int8Settings q8 = int8Options.settings();
        QatMode mode = QatMode.parse(qat);
        if (qatEpochs < 1 || qatEpochs > 1000) {
            throw new IllegalArgumentException("--qat-epochs must be in [1, 1000], found " + qatEpochs);
        }
        if (!(qatLr > 0 && qatLr < 10)) {
            throw new IllegalArgumentException("--qat-lr must be in (0, 10), found " + qatLr);
        }
        calibration.images(); // refused before the run is opened
        FineTuner.Settings qatSettings = new FineTuner.Settings(qatEpochs, 128, qatLr, kdRatio, 0.1, 3e-5, common.seed);
        common.applyThreads();
        Path out = common.outDir("finetune");
        PrintWriter w = spec.commandLine().getOut();
        try (SupernetRun run = SupernetRun.open(runDir.resolve("supernet"), dataOptions, common.quiet)) {
            ArchConfig a;
            if (slice != null) {
                JsonObject o = JsonParser.parseString(JsonFiles.readText(slice)).getAsJsonObject();
                if (!o.has("arch")) {
                    throw new IllegalArgumentException("--slice " + slice + " is not a slice report: it has no 'arch'");
                }
                a = run.net.space().validate(ArchConfig.fromJsonTree(o.getAsJsonObject("arch")));
            } else {
                a = ArchOption.parse(arch, run.net.space());
            }
            AccuracyTableInfo info = AccuracyTableInfo.read(runDir.resolve("predictor"));
            int calib = calibration.images(info);
            long calibSeed = info != null ? info.calibrationSeed() : AccuracyDatasetBuilder.calibrationSeed(common.seed);
            SupernetBackend backend = new SupernetBackend(run.net, run.data, calib, SupernetScorer.DEFAULT_EVAL_BATCH);
            Subnet start = backend.extract(a, calibSeed);
            Accuracies before = measure(backend, start, q8, calibSeed);
            w.printf(Locale.ROOT, "before: val %.2f%% test %.2f%% | INT8 val %.2f%% test %.2f%%%n", 100 * before.val(),
                    100 * before.test(), 100 * before.int8Val(), 100 * before.int8Test());
            w.flush();
            long t0 = System.nanoTime();
            ofa4j.models.SearchSpace space = run.net.space();
            Subnet teacher = backend.extract(space.uniform(space.maxKernel(), space.maxExpand(), space.maxDepth(),
                    a.resolution()), calibSeed);
            FineTuner.Result r = FineTuner.run(teacher, start, run.data, settings, out, resume, common.quiet ? null : w);
            double seconds = (System.nanoTime() - t0) / 1e9;
            Accuracies after = measure(backend, r.subnet(), q8, calibSeed);
            w.printf(Locale.ROOT, "after %d epoch(s): val %.2f%% test %.2f%% | INT8 val %.2f%% test %.2f%% (%.1f s)%n",
                    epochs, 100 * after.val(), 100 * after.test(), 100 * after.int8Val(), 100 * after.int8Test(), seconds);
            double int8Loss = after.val() - after.int8Val();
            boolean runQat = mode.runs(after);
            String note = String.format(Locale.ROOT, "post-training INT8 loses %.2f points of validation accuracy (%s 1)",
                    100 * int8Loss, int8Loss > QAT_THRESHOLD ? ">" : "<=");
            Subnet int8Weights = r.subnet();
            Qat qatReport = null;
            if (runQat) {
                note += mode == QatMode.ON ? ": quantization-aware fine-tuning (--qat on)"
                        : ": quantization-aware fine-tuning (--qat auto)";
                w.println(note);
                w.flush();
                long t1 = System.nanoTime();
                FineTuner.Result q = FineTuner.runQuantizationAware(teacher, r.subnet(), run.data, qatSettings,
                        out.resolve(QAT_DIR), resume, common.quiet ? null : w,
                        s -> activations(backend, s, q8, calibSeed));
                double qs = (System.nanoTime() - t1) / 1e9;
                Accuracies qa = measure(backend, q.subnet(), q8, calibSeed);
                qatReport = new Qat(qatEpochs, qatLr, q.resumedFrom(), qs, after, qa, q.state().history());
                int8Weights = q.subnet();
                w.printf(Locale.ROOT, "after %d QAT epoch(s): val %.2f%% test %.2f%% | INT8 val %.2f%% test %.2f%% (%.1f s)%n",
                        qatEpochs, 100 * qa.val(), 100 * qa.test(), 100 * qa.int8Val(), 100 * qa.int8Test(), qs);
                note += String.format(Locale.ROOT, "; INT8 validation accuracy %.2f%% -> %.2f%%, test %.2f%% -> %.2f%%",
                        100 * after.int8Val(), 100 * qa.int8Val(), 100 * after.int8Test(), 100 * qa.int8Test());
            } else {
                note += mode == QatMode.OFF ? ": no quantization-aware fine-tuning (--qat off)"
                        : ": no quantization-aware fine-tuning needed (--qat auto)";
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("ofa4j.finetune.epochs", Integer.toString(epochs));
            meta.put("ofa4j.finetune.measured_val_accuracy", String.format(Locale.ROOT, "%.6f", after.val()));
            meta.put("ofa4j.finetune.measured_test_accuracy", String.format(Locale.ROOT, "%.6f", after.test()));
            Path onnx = out.resolve("finetuned.onnx");
            OnnxExporter.export(r.subnet(), onnx, meta);
            Map<String, String> meta8 = new LinkedHashMap<>();
            meta8.put("ofa4j.finetune.epochs", Integer.toString(epochs));
            meta8.put("ofa4j.finetune.qat_epochs", Integer.toString(runQat ? qatEpochs : 0));
            Accuracies last = qatReport != null ? qatReport.after() : after;
            meta8.put("ofa4j.finetune.measured_int8_val_accuracy", String.format(Locale.ROOT, "%.6f", last.int8Val()));
            meta8.put("ofa4j.finetune.measured_int8_test_accuracy", String.format(Locale.ROOT, "%.6f", last.int8Test()));
            Path onnx8 = out.resolve(INT8_FILE);
            AtomicFiles.writeBytes(onnx8, backend.exportInt8(int8Weights, meta8, q8, calibSeed));
            Report rep = new Report(2, a.key(), epochs, r.resumedFrom(), seconds, before, after, r.state().history(),
                    onnx.getFileName().toString(), runQat, note, mode.name().toLowerCase(Locale.ROOT), qatReport,
                    onnx8.getFileName().toString(), calib);
            JsonFiles.write(out.resolve(REPORT_FILE), rep);
            if (!runQat) {
                w.println(note);
            }
            w.println("wrote " + onnx + ", " + onnx8 + " and " + out.resolve(REPORT_FILE));
        }
        return 0;
    }

    /** The INT8 export's activation quantization of {@code s}, calibrated exactly as {@link #measure} exports it. */
    private static Map<String, FakeQuant.Activation> activations(SupernetBackend b, Subnet s, Specialiser.Int8Settings q8,
            long seed) {
        Map<String, FakeQuant.Activation> m = new LinkedHashMap<>();
        Int8Exporter.activationQuantization(s, b.int8Calibration(s, q8, seed))
                .forEach((k, v) -> m.put(k, new FakeQuant.Activation(v.scale(), v.zeroPoint())));
        return m;
    }

    private static Accuracies measure(SupernetBackend b, Subnet s, Specialiser.Int8Settings q8, long seed) {
        byte[] q = b.exportInt8(s, Map.of(), q8, seed);
        return new Accuracies(b.top1(s, Specialiser.Split.VAL), b.top1(s, Specialiser.Split.TEST),
                b.top1(q, s, Specialiser.Split.VAL), b.top1(q, s, Specialiser.Split.TEST));
    }
}
