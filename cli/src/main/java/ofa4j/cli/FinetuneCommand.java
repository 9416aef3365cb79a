package ofa4j.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import ofa4j.exporter.OnnxExporter;
import ofa4j.models.ArchConfig;
import ofa4j.models.JsonFiles;
import ofa4j.models.Subnet;
import ofa4j.predictor.AccuracyDatasetBuilder;
import ofa4j.predictor.AccuracyTableInfo;
import ofa4j.predictor.SupernetScorer;
import ofa4j.slicer.Specialiser;
import ofa4j.slicer.SupernetBackend;
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
                + " test accuracy (FP32 and post-training INT8) before and after, and write the fine-tuned ONNX model.",
        footer = {"", "Examples:", "  ofa finetune --run runs/quick --slice runs/quick/slices/lat-0.201ms.json --epochs 3 --out out/ft",
                "  ofa finetune --run runs/quick --slice runs/quick/slices/lat-0.201ms.json --epochs 3 --out out/ft --resume"})
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

    /**
     * The fine-tune's report.
     *
     * @param formatVersion 1
     * @param arch the subnet's key
     * @param epochs epochs of the fine-tune
     * @param resumedFrom epochs already done when this call started
     * @param seconds wall time of the epochs run by this call
     * @param before accuracies of the extracted subnet
     * @param after accuracies of the fine-tuned subnet
     * @param history every epoch
     * @param onnx the fine-tuned FP32 model
     * @param qat whether quantization-aware fine-tuning ran: never (not implemented); see note
     * @param note how to read it
     */
    record Report(int formatVersion, String arch, int epochs, int resumedFrom, double seconds, Accuracies before,
            Accuracies after, java.util.List<FineTuner.Epoch> history, String onnx, boolean qat, String note) {}

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
            int calib = info != null ? info.calibrationImages() : 500;
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
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("ofa4j.finetune.epochs", Integer.toString(epochs));
            meta.put("ofa4j.finetune.measured_val_accuracy", String.format(Locale.ROOT, "%.6f", after.val()));
            meta.put("ofa4j.finetune.measured_test_accuracy", String.format(Locale.ROOT, "%.6f", after.test()));
            Path onnx = out.resolve("finetuned.onnx");
            OnnxExporter.export(r.subnet(), onnx, meta);
            double int8Loss = after.val() - after.int8Val();
            String note = int8Loss > 0.01
                    ? String.format(Locale.ROOT, "post-training INT8 loses %.2f points of validation accuracy (> 1):"
                            + " quantization-aware fine-tuning would be next, but it is not implemented", 100 * int8Loss)
                    : String.format(Locale.ROOT, "post-training INT8 loses %.2f points of validation accuracy (<= 1): no"
                            + " quantization-aware fine-tuning needed (it is not implemented)", 100 * int8Loss);
            Report rep = new Report(1, a.key(), epochs, r.resumedFrom(), seconds, before, after, r.state().history(),
                    onnx.getFileName().toString(), false, note);
            JsonFiles.write(out.resolve(REPORT_FILE), rep);
            w.println(note);
            w.println("wrote " + onnx + " and " + out.resolve(REPORT_FILE));
        }
        return 0;
    }

    private static Accuracies measure(SupernetBackend b, Subnet s, Specialiser.Int8Settings q8, long seed) {
        byte[] q = b.exportInt8(s, Map.of(), q8, seed);
        return new Accuracies(b.top1(s, Specialiser.Split.VAL), b.top1(s, Specialiser.Split.TEST),
                b.top1(q, s, Specialiser.Split.VAL), b.top1(q, s, Specialiser.Split.TEST));
    }
}
