package ofa4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import ofa4j.models.ArchConfig;
import ofa4j.models.JsonFiles;
import ofa4j.models.Subnet;
import ofa4j.predictor.OnnxAccuracy;
import ofa4j.supernet.train.Checkpoint;
import ofa4j.supernet.train.CheckpointManifest;
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
 * supernet (OFA's central claim checked, {@link ScratchTrainer}). Resumable after every epoch
 * ({@code --resume}). It needs only the run's first checkpoint (search space, preset, data), so it may
 * start while the supernet still trains; the sliced comparison then waits for a finished supernet:
 * the report keeps the from-scratch figures and a later {@code --resume} adds the comparison.
 */
@Command(
        name = "scratch",
        description = "Train one architecture from scratch on the run's data with the supernet's full-phase recipe (same epochs, learning rate, batch, augmentation), resumable after every epoch, then report its validation and test top-1 next to the same architecture sliced from the supernet (BN recalibrated). It may start while the supernet still trains: the comparison is then left to a later --resume.",
        footer = {"", "Examples:", "  ofa scratch --run runs/quick --arch max --out out/scratch-max",
                "  ofa scratch --run runs/quick --arch max --out out/scratch-max --resume",
                "  ofa scratch --run runs/quick --arch runs/quick/slices/lat-0.2ms.json --out out/scratch-mid"})
final class ScratchCommand implements Callable<Integer> {

    /** The report written in the output directory. */
    static final String REPORT_FILE = "scratch.json";

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Mixin DataOptions dataOptions;

    @Option(names = "--run", required = true, description = "Run directory of 'ofa run' or 'ofa train' (supernet/).")
    Path runDir;

    @Option(names = "--arch", required = true, description = "max, min, an arch JSON file or inline JSON.")
    String arch;

    @Option(names = "--epochs", description = "Epochs (default: the supernet's full phase).")
    Integer epochs;

    @Option(names = "--resume", description = "Continue the training in --out after its last finished epoch; when it has"
            + " finished, only add the sliced comparison.")
    boolean resume;

    /**
     * The report ({@value #REPORT_FILE}).
     *
     * @param formatVersion 2 (1 had no resumed_from, supernet_checkpoint or note, and always the sliced figures)
     * @param arch the architecture key
     * @param epochs epochs trained
     * @param resumedFrom epochs already done when this call started
     * @param steps optimizer steps
     * @param epochLoss mean training loss per epoch
     * @param scratchVal validation top-1 of the subnet trained from scratch
     * @param scratchTest its test top-1
     * @param slicedVal validation top-1 of the subnet sliced from the supernet, null while the supernet trains
     * @param slicedTest its test top-1, null while the supernet trains
     * @param supernetCheckpoint the supernet checkpoint the subnet was sliced from (or, while the supernet
     *     trains, the newest one when this call started)
     * @param seconds training wall time of all calls, s
     * @param note what is missing, or null
     */
    record Report(int formatVersion, String arch, int epochs, int resumedFrom, long steps, List<Double> epochLoss,
            double scratchVal, double scratchTest, Double slicedVal, Double slicedTest, String supernetCheckpoint,
            double seconds, String note) {}

    @Override
    public Integer call() throws Exception {
        if (epochs != null && (epochs < 1 || epochs > 10_000)) {
            throw new IllegalArgumentException("--epochs must be in [1, 10000], found " + epochs);
        }
        common.applyThreads();
        PrintWriter out = spec.commandLine().getOut();
        Path dir = common.outDir("scratch");
        Path supernetDir = runDir.resolve("supernet");
        SupernetRun run = SupernetRun.open(supernetDir, dataOptions, common.quiet);
        try {
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
                    run.data.std(), full, preset.batchSize(), preset.weightDecay(), n, common.seed, dir, resume,
                    common.quiet ? null : line -> {
                        out.println(line);
                        out.flush();
                    });
            if (r.resumedFrom() > 0) {
                out.printf(Locale.ROOT, "resumed after epoch %d of %d%n", r.resumedFrom(), n);
            }
            Subnet scratch = r.subnet();
            double scratchVal = OnnxAccuracy.top1(scratch, run.data.val(), run.data.mean(), run.data.std(), 500);
            double scratchTest = OnnxAccuracy.top1(scratch, run.data.test(), run.data.mean(), run.data.std(), 500);
            scratch.save(dir.resolve("scratch.subnet"));
            if (!finished(run.manifest)) {
                // the supernet may have finished while this trained: compare with its newest checkpoint
                CheckpointManifest newest = Checkpoint.readLatest(supernetDir).manifest();
                if (finished(newest)) {
                    run.close();
                    run = SupernetRun.open(supernetDir, dataOptions, common.quiet);
                }
            }
            String ckpt = run.checkpoint.dir().getFileName().toString();
            Report rep;
            if (finished(run.manifest)) {
                Subnet sliced = run.calibrated(a, ofa4j.supernet.Supernet.DEFAULT_CALIBRATION_IMAGES, common.seed);
                rep = new Report(2, a.key(), r.epochs(), r.resumedFrom(), r.steps(), r.epochLoss(), scratchVal,
                        scratchTest, OnnxAccuracy.top1(sliced, run.data.val(), run.data.mean(), run.data.std(), 500),
                        OnnxAccuracy.top1(sliced, run.data.test(), run.data.mean(), run.data.std(), 500), ckpt,
                        r.seconds(), null);
                out.printf(Locale.ROOT, "%s: from scratch val %.2f%% test %.2f%% | sliced val %.2f%% test %.2f%% | %d steps"
                        + " in %.0f s%n", a.key(), 100 * rep.scratchVal(), 100 * rep.scratchTest(),
                        100 * rep.slicedVal(), 100 * rep.slicedTest(), r.steps(), r.seconds());
            } else {
                CheckpointManifest.Position p = run.manifest.position();
                String note = String.format(Locale.ROOT, "the supernet in %s has not finished training (newest checkpoint"
                        + " %s: phase %s, epoch %d): no sliced comparison yet; run this command again with --resume when"
                        + " it has", supernetDir, ckpt, p.phaseName(), p.epoch() + 1);
                rep = new Report(2, a.key(), r.epochs(), r.resumedFrom(), r.steps(), r.epochLoss(), scratchVal,
                        scratchTest, null, null, ckpt, r.seconds(), note);
                out.printf(Locale.ROOT, "%s: from scratch val %.2f%% test %.2f%% | %d steps in %.0f s%n", a.key(),
                        100 * scratchVal, 100 * scratchTest, r.steps(), r.seconds());
                out.println(note);
            }
            JsonFiles.write(dir.resolve(REPORT_FILE), rep);
            out.println(dir.resolve(REPORT_FILE));
        } finally {
            run.close();
        }
        return 0;
    }

    /** Whether a checkpoint is the end of the supernet's schedule. */
    private static boolean finished(CheckpointManifest m) {
        return CheckpointManifest.Position.DONE.equals(m.position().phaseName());
    }
}
