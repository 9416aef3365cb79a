package ofa4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import ofa4j.models.ArchConfig;
import ofa4j.models.JsonFiles;
import ofa4j.models.Subnet;
import ofa4j.predictor.OnnxAccuracy;
import ofa4j.supernet.train.Phase;
import ofa4j.supernet.train.ScratchTrainer;
import ofa4j.supernet.train.TrainingPreset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ofa scratch}: trains one subnet of a run's space from scratch with the supernet's recipe for
 * its full phase, and prints its validation and test accuracy next to the same subnet sliced from the
 * supernet (OFA's central claim checked, {@link ScratchTrainer}).
 */
@Command(
        name = "scratch",
        description = "Train one architecture from scratch on the run's data with the supernet's full-phase recipe (same epochs, learning rate, batch, augmentation), then report its validation and test top-1 next to the same architecture sliced from the supernet (BN recalibrated).",
        footer = {"", "Examples:", "  ofa scratch --run runs/quick --arch max --out out/scratch-max",
                "  ofa scratch --run runs/quick --arch runs/quick/slices/lat-0.2ms.json --out out/scratch-mid"})
final class ScratchCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Mixin DataOptions dataOptions;

    @Option(names = "--run", required = true, description = "Run directory of 'ofa run' or 'ofa train' (supernet/).")
    Path runDir;

    @Option(names = "--arch", required = true, description = "max, min, an arch JSON file or inline JSON.")
    String arch;

    @Option(names = "--epochs", description = "Epochs (default: the supernet's full phase).")
    Integer epochs;

    /**
     * The report ({@code scratch.json}).
     *
     * @param formatVersion 1
     * @param arch the architecture key
     * @param epochs epochs trained
     * @param steps optimizer steps
     * @param epochLoss mean training loss per epoch
     * @param scratchVal validation top-1 of the subnet trained from scratch
     * @param scratchTest its test top-1
     * @param slicedVal validation top-1 of the subnet sliced from the supernet
     * @param slicedTest its test top-1
     * @param seconds training wall time, s
     */
    record Report(int formatVersion, String arch, int epochs, long steps, List<Double> epochLoss, double scratchVal,
            double scratchTest, double slicedVal, double slicedTest, double seconds) {}

    @Override
    public Integer call() throws Exception {
        if (epochs != null && (epochs < 1 || epochs > 10_000)) {
            throw new IllegalArgumentException("--epochs must be in [1, 10000], found " + epochs);
        }
        common.applyThreads();
        PrintWriter out = spec.commandLine().getOut();
        Path dir = common.outDir("scratch");
        try (SupernetRun run = SupernetRun.open(runDir.resolve("supernet"), dataOptions, common.quiet)) {
            ArchConfig a = ArchOption.parse(arch, run.net.space());
            TrainingPreset preset;
            try {
                preset = TrainingPreset.named(run.manifest.run().preset());
            } catch (IllegalArgumentException e) {
                preset = TrainingPreset.full();
            }
            Phase full = preset.schedule(run.net.space()).get(0);
            int n = epochs != null ? epochs : full.epochs();
            out.printf(Locale.ROOT, "training %s from scratch: %d epochs, peak lr %.3g, batch %d (phase %s of preset %s)%n",
                    a.key(), n, full.lr(), preset.batchSize(), full.name(), preset.name());
            out.flush();
            ScratchTrainer.Result r = ScratchTrainer.train(run.net.space(), a, run.data.train(), run.data.mean(),
                    run.data.std(), full, preset.batchSize(), preset.weightDecay(), n, common.seed,
                    common.quiet ? null : line -> {
                        out.println(line);
                        out.flush();
                    });
            Subnet scratch = r.subnet();
            Subnet sliced = run.calibrated(a, ofa4j.supernet.Supernet.DEFAULT_CALIBRATION_IMAGES, common.seed);
            Report rep = new Report(1, a.key(), r.epochs(), r.steps(), r.epochLoss(),
                    OnnxAccuracy.top1(scratch, run.data.val(), run.data.mean(), run.data.std(), 500),
                    OnnxAccuracy.top1(scratch, run.data.test(), run.data.mean(), run.data.std(), 500),
                    OnnxAccuracy.top1(sliced, run.data.val(), run.data.mean(), run.data.std(), 500),
                    OnnxAccuracy.top1(sliced, run.data.test(), run.data.mean(), run.data.std(), 500), r.seconds());
            Files.createDirectories(dir);
            scratch.save(dir.resolve("scratch.subnet"));
            JsonFiles.write(dir.resolve("scratch.json"), rep);
            out.printf(Locale.ROOT, "%s: from scratch val %.2f%% test %.2f%% | sliced val %.2f%% test %.2f%% | %d steps in"
                    + " %.0f s%n%s%n", a.key(), 100 * rep.scratchVal(), 100 * rep.scratchTest(), 100 * rep.slicedVal(),
                    100 * rep.slicedTest(), r.steps(), r.seconds(), dir.resolve("scratch.json"));
        }
        return 0;
    }
}
