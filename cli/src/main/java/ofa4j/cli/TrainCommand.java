package ofa4j.cli;

import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import ofa4j.models.SearchSpace;
import ofa4j.supernet.data.DataSplits;
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
                "  ofa train --preset full --out runs/full --resume    # continue after a kill"})
final class TrainCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Mixin DataOptions dataOptions;

    @Option(names = "--preset", defaultValue = "quick", description = "quick (about 6 min) or full (about 2 h) (default ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--space", defaultValue = "fmnist", description = "Search space preset (default ${DEFAULT-VALUE}).")
    String space;

    @Option(names = "--resume", description = "Continue from the newest good checkpoint in --out.")
    boolean resume;

    @Override
    public Integer call() throws Exception {
        TrainingPreset p = TrainingPreset.named(preset);
        SearchSpace s = SearchSpace.preset(space);
        Path out = common.outDir(p.name());
        common.applyThreads();
        TrainingResult r = train(p, s, out, resume, dataOptions, common);
        PrintWriter w = spec.commandLine().getOut();
        w.printf("trained %s (%s preset) in %.1f s, %d steps; checkpoint %s%n", s.name(), p.name(), r.wallSeconds(),
                r.globalSteps(), r.checkpoint());
        if (!r.metrics().isEmpty()) {
            JsonObject last = r.metrics().get(r.metrics().size() - 1);
            w.println("last epoch: " + last);
        }
        return 0;
    }

    /**
     * Trains (or resumes) a run: the library call shared by {@code train} and {@code run}.
     *
     * @param p the preset
     * @param s the space
     * @param out run directory
     * @param resume continue from the newest checkpoint
     * @param data where the data comes from
     * @param common shared options
     * @return the result
     * @throws Exception on failure
     */
    static TrainingResult train(TrainingPreset p, SearchSpace s, Path out, boolean resume, DataOptions data,
            CommonOptions common) throws Exception {
        DataSplits splits = data.load(p.trainImages(), p.valImages(), common.quiet);
        ProgressiveShrinkingTrainer trainer = ProgressiveShrinkingTrainer.builder()
                .setSpace(s.withData(splits.train().channels(), splits.train().numClasses(), s.resolutions()))
                .optPreset(p)
                .optSeed(common.seed)
                .optQuiet(common.quiet)
                .build();
        return trainer.train(splits, out, resume);
    }
}
