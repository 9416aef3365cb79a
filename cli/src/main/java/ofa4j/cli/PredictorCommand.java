package ofa4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import ofa4j.predictor.PredictorStage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ofa predictor}: accuracy predictors of a trained run. */
@Command(name = "predictor", description = "Accuracy predictors of a trained supernet.",
        subcommands = {PredictorCommand.Fit.class})
final class PredictorCommand {

    /** {@code ofa predictor fit}: measures subnets on the validation split, then fits the MLP and ridge predictors. */
    @Command(
            name = "fit",
            description = "Measure N subnets (BN recalibrated, validation split; resumable) and fit the MLP and ridge predictors.",
            footer = {"", "Examples:", "  ofa predictor fit --run runs/quick --samples 300",
                    "  ofa predictor fit --run runs/quick --samples 1500 --spark spark://head:7077   # on a Spark cluster"})
    static final class Fit implements Callable<Integer> {

        @Spec CommandSpec spec;

        @Mixin CommonOptions common;

        @Mixin DataOptions dataOptions;

        @Mixin SparkOptions spark;

        @Option(names = "--run", required = true, description = "Run directory (its supernet/ holds the checkpoints; predictor/ is written).")
        Path runDir;

        @Option(names = "--samples", defaultValue = "300", description = "Subnets in the table (default ${DEFAULT-VALUE}; rows already there are kept).")
        int samples;

        @Option(names = "--calibration-images", defaultValue = "2000", description = "BN recalibration images per subnet (default ${DEFAULT-VALUE}).")
        int calibrationImages;

        @Option(names = "--cv", defaultValue = "5", description = "Folds of the cross-validation also reported (0 = none; default ${DEFAULT-VALUE}).")
        int cvFolds;

        @Override
        public Integer call() throws Exception {
            if (samples < 20) {
                throw new IllegalArgumentException("--samples must be >= 20, found " + samples);
            }
            if (cvFolds != 0 && (cvFolds < 2 || cvFolds > 20)) {
                throw new IllegalArgumentException("--cv must be 0 (none) or 2-20 folds, found " + cvFolds);
            }
            spark.check();
            common.applyThreads();
            Path dir = runDir.resolve("predictor");
            Files.createDirectories(dir);
            try (SupernetRun run = SupernetRun.open(runDir.resolve("supernet"), dataOptions, common.quiet)) {
                var t = spark.accuracyTable(run, dir.resolve(PredictorStage.ACCURACY_FILE), samples, calibrationImages, common,
                        spec.commandLine().getOut());
                spec.commandLine().getOut().printf("accuracy table %s: %d rows (%d new) in %.1f s%n", t.file(), t.totalRows(),
                        t.newRows(), t.seconds());
                try (PredictorStage.Predictors p = PredictorStage.fitPredictors(run.net.space(), dir, common.seed, false, cvFolds)) {
                    spec.commandLine().getOut().println(p.mlpQuality());
                    spec.commandLine().getOut().println(p.ridgeQuality());
                    p.crossValidation().forEach(spec.commandLine().getOut()::println);
                    spec.commandLine().getOut().println("wrote " + dir.resolve(PredictorStage.MLP_FILE) + ", "
                            + dir.resolve(PredictorStage.RIDGE_FILE) + ", " + dir.resolve(PredictorStage.QUALITY_FILE));
                }
            }
            return 0;
        }
    }
}
