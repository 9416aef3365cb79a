package ofa4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import ofa4j.models.JsonFiles;
import ofa4j.models.SearchSpace;
import ofa4j.supernet.data.DataSplits;
import ofa4j.supernet.train.Checkpoint;
import ofa4j.supernet.train.Phase;
import ofa4j.supernet.train.ProgressiveShrinkingTrainer;
import ofa4j.supernet.train.TrainingPreset;
import ofa4j.supernet.train.TrainingResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ofa train}: trains a supernet with progressive shrinking, checkpointing every epoch. */
@Command(
        name = "train",
        description = "Train a supernet with progressive shrinking and knowledge distillation (checkpoints every epoch).",
        footer = {"", "Examples:", "  ofa train --preset quick --out runs/quick",
                "  ofa train --preset full --out runs/full --resume    # continue after a kill",
                "  ofa train --data my_images/ --channels 3 --image-size 32 --out runs/pets   # a folder per class"})
final class TrainCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Mixin DataOptions dataOptions;

    @Option(names = "--preset", defaultValue = "quick", description = "quick (about 9 min) or full (about 131 min, fmnist-s1 space) (default ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--space",
            description = "Search space preset: fmnist, fmnist-hr, fmnist-s1 or ofa-mbv3-w1.0 (default: fmnist-s1 for the full preset, fmnist otherwise).")
    String space;

    @Option(names = "--resume", description = "Continue from the newest good checkpoint in --out.")
    boolean resume;

    @Option(names = "--epochs", split = ",", paramLabel = "E",
            description = "Override the preset's epochs of the 6 phases (full, kernel, depth-1, depth-2, expand-1, expand-2), e.g. 4,1,1,1,1,1;"
                    + " taken as given. Without it, a train split smaller than the preset's own gets more epochs, so that"
                    + " every phase keeps the optimizer steps it has on the data the preset was sized for.")
    List<Integer> epochs;

    @Option(names = "--subnets-per-step", split = ",", paramLabel = "S",
            description = "Override the subnets sampled per step in the 6 phases, e.g. 1,1,2,2,4,4.")
    List<Integer> subnetsPerStep;

    @Option(names = "--train-images", description = "Override the train images used (0 = all: 55,000 of Fashion-MNIST, 80%% of an image folder).")
    Integer trainImages;

    @Option(names = "--eval-every-epoch",
            description = "Score the max and min subnets on the validation split after every epoch, not only at phase ends (learning curves in metrics.jsonl; a few seconds each).")
    boolean evalEveryEpoch;

    @Option(names = "--lr", description = "Override the peak learning rate of the full phase (others are fractions of it).")
    Double lr;

    @Option(names = "--sandwich", split = ",", paramLabel = "PHASE",
            description = "Phases that sample by the sandwich rule (every step trains the phase's smallest subnet and, with"
                    + " 3+ subnets per step, its largest) instead of OFA's uniform draws: names from full, kernel, depth-1,"
                    + " depth-2, expand-1, expand-2, all, or none (the full preset uses all). Only phases with 2+"
                    + " subnets per step change.")
    List<String> sandwich;

    @Option(names = "--weight-decay", paramLabel = "WD",
            description = "Override the preset's weight decay of every parameter but BN and biases, in [0, 1) (full: 5e-4; quick: OFA's 3e-5).")
    Double weightDecay;

    @Override
    public Integer call() throws Exception {
        TrainingPreset p = customise(TrainingPreset.named(preset), epochs, subnetsPerStep, trainImages, lr, sandwich,
                weightDecay);
        SearchSpace s = SearchSpace.preset(space != null ? space : TrainingPreset.spaceFor(preset));
        Path out = common.outDir(p.name());
        common.applyThreads();
        PrintWriter w = spec.commandLine().getOut();
        // --epochs are taken as given; a named preset's epochs scale with the data
        TrainingResult r = train(p, s, out, resume, dataOptions, common, evalEveryEpoch, epochs == null, w);
        w.printf("trained %s (%s preset) in %.1f s, %d steps; checkpoint %s%n", s.name(), p.name(), r.wallSeconds(),
                r.globalSteps(), r.checkpoint());
        if (!r.metrics().isEmpty()) {
            w.println("last epoch: " + JsonFiles.toLine(r.metrics().get(r.metrics().size() - 1)));
        }
        return 0;
    }

    /**
     * Applies command-line overrides to a preset. A changed preset is named {@code <preset>-custom}
     * (stored in the checkpoints, so that resuming with other settings is refused).
     *
     * @param p the named preset
     * @param epochs 6 epoch counts or null
     * @param subnets 6 subnets-per-step values or null
     * @param trainImages train images or null
     * @param lr full-phase learning rate or null
     * @param sandwich phase names (or {@code all}, or {@code none}) for the sandwich rule, or null
     * @param weightDecay weight decay or null
     * @return the preset to train with
     * @throws IllegalArgumentException naming a bad override and what is allowed
     */
    static TrainingPreset customise(TrainingPreset p, List<Integer> epochs, List<Integer> subnets, Integer trainImages,
            Double lr, List<String> sandwich, Double weightDecay) {
        if (epochs == null && subnets == null && trainImages == null && lr == null && sandwich == null
                && weightDecay == null) {
            return p;
        }
        if (epochs != null && (epochs.size() != 6 || epochs.stream().anyMatch(e -> e < 1 || e > 1000))) {
            throw new IllegalArgumentException("--epochs needs 6 comma-separated counts in [1, 1000], found " + epochs);
        }
        if (subnets != null && (subnets.size() != 6 || subnets.stream().anyMatch(n -> n < 1 || n > 16))) {
            throw new IllegalArgumentException(
                    "--subnets-per-step needs 6 comma-separated values in [1, 16], found " + subnets);
        }
        if (trainImages != null && (trainImages < 0 || trainImages == 1)) {
            throw new IllegalArgumentException("--train-images must be 0 (all) or >= 2, found " + trainImages);
        }
        if (lr != null && !(lr > 0 && lr <= 10)) {
            throw new IllegalArgumentException("--lr must be in (0, 10], found " + lr);
        }
        if (weightDecay != null && !(weightDecay >= 0 && weightDecay < 1)) {
            throw new IllegalArgumentException("--weight-decay must be in [0, 1), found " + weightDecay);
        }
        List<String> sandwichPhases = p.sandwichPhases();
        if (sandwich != null) {
            List<String> names = sandwich.stream().map(n -> n.trim().toLowerCase(Locale.ROOT)).distinct().toList();
            if (names.size() > 1 && (names.contains("all") || names.contains("none"))) {
                throw new IllegalArgumentException("--sandwich takes phase names, or all, or none alone, found " + sandwich);
            }
            sandwichPhases = names.equals(List.of("all")) ? Phase.PROGRESSIVE_SHRINKING_NAMES
                    : names.equals(List.of("none")) ? List.of() : names;
        }
        return new TrainingPreset(p.name() + "-custom", trainImages != null ? trainImages : p.trainImages(),
                p.valImages(), p.batchSize(), epochs != null ? epochs : p.phaseEpochs(),
                subnets != null ? subnets : p.phaseSubnets(), lr != null ? lr : p.fullLr(), p.warmupFraction(),
                p.recalImages(), p.evalImages(), sandwichPhases, weightDecay != null ? weightDecay : p.weightDecay());
    }

    /**
     * Trains (or resumes) a run with the preset's epochs scaled to the data ({@link
     * TrainingPreset#scaledTo}): the call of {@code run}, whose presets are always named.
     *
     * @param p the preset
     * @param s the space
     * @param out run directory
     * @param resume continue from the newest checkpoint
     * @param data where the data comes from
     * @param common shared options
     * @param evalEveryEpoch score the validation split after every epoch, not only at phase ends
     * @param log receives a line describing the data and one naming the space and schedule
     * @return the result
     * @throws Exception on failure
     */
    static TrainingResult train(TrainingPreset p, SearchSpace s, Path out, boolean resume, DataOptions data,
            CommonOptions common, boolean evalEveryEpoch, PrintWriter log) throws Exception {
        return train(p, s, out, resume, data, common, evalEveryEpoch, true, log);
    }

    /**
     * Trains (or resumes) a run: the library call shared by {@code train} and {@code run}. The space
     * is adapted to the data's channels and classes; where the data came from is recorded in the run
     * directory ({@value DataOptions#RECORD_FILE}) when training starts afresh, and a resumed run
     * reloads the recorded data unless {@code --data} says otherwise (the checkpoint's fingerprint
     * check refuses other data).
     *
     * @param p the preset
     * @param s the space
     * @param out run directory
     * @param resume continue from the newest checkpoint
     * @param data where the data comes from
     * @param common shared options
     * @param evalEveryEpoch score the validation split after every epoch, not only at phase ends
     * @param scaleEpochs give each phase at least the optimizer steps the preset has on the data it
     *     was designed for ({@link TrainingPreset#scaledTo}); false keeps the epochs as given
     * @param log receives a line describing the data and one naming the space and schedule
     * @return the result
     * @throws Exception on failure
     */
    static TrainingResult train(TrainingPreset p, SearchSpace s, Path out, boolean resume, DataOptions data,
            CommonOptions common, boolean evalEveryEpoch, boolean scaleEpochs, PrintWriter log) throws Exception {
        boolean fresh = !Checkpoint.exists(out);
        DataOptions.Source recorded = resume && !fresh ? DataOptions.Source.read(out) : null;
        DataOptions.Loaded loaded = data.load(recorded, Collections.max(s.resolutions()), p.trainImages(), p.valImages(),
                DataOptions.testImages(p.name()), common.quiet);
        DataSplits splits = loaded.splits();
        log.printf("data: %s; %d train / %d val / %d test images%n", loaded.source().describe(), splits.train().size(),
                splits.val().size(), splits.test().size());
        int n = splits.train().size();
        TrainingPreset used = scaleEpochs ? p.scaledTo(n) : p;
        log.println(scheduleLine(s, p, used, n));
        ProgressiveShrinkingTrainer trainer = ProgressiveShrinkingTrainer.builder()
                .setSpace(s.withData(splits.train().channels(), splits.train().numClasses(), s.resolutions()))
                .optPreset(used)
                .optSeed(common.seed)
                .optQuiet(common.quiet)
                .optEvalEveryEpoch(evalEveryEpoch)
                .build();
        if (fresh) {
            loaded.source().write(out);
        }
        return trainer.train(splits, out, resume);
    }

    /**
     * The log line naming the space and schedule, with the optimizer steps of each phase; scaled
     * epochs say so.
     *
     * @param s the space
     * @param stated the preset as given
     * @param used the preset trained with ({@code stated} or its {@link TrainingPreset#scaledTo})
     * @param trainImages images of the train split
     * @return one line, no line end
     */
    static String scheduleLine(SearchSpace s, TrainingPreset stated, TrainingPreset used, int trainImages) {
        String steps = Arrays.toString(used.phaseSteps(trainImages));
        boolean scaled = !used.phaseEpochs().equals(stated.phaseEpochs());
        return String.format(Locale.ROOT,
                "space: %s; %s preset: epochs %s%s, subnets per step %s, sandwich rule in %s, weight decay %s%s",
                s.describe(), used.name(), used.phaseEpochs(),
                scaled ? " (scaled to " + trainImages + " train images: steps per phase " + steps + ")" : "",
                used.phaseSubnets(), used.sandwichPhases().isEmpty() ? "no phase" : used.sandwichPhases(),
                used.weightDecay(), scaled ? "" : "; steps per phase " + steps);
    }
}
