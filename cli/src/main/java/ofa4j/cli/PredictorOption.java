package ofa4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import ofa4j.predictor.PredictorStage;
import picocli.CommandLine.Option;

/** The {@code --predictor} option of the commands that search (a picocli mixin). */
public final class PredictorOption {

    @Option(names = "--predictor", defaultValue = "best",
            description = "Accuracy predictor to search with: best (higher Kendall tau in predictor/quality.json), mlp or ridge (default ${DEFAULT-VALUE}).")
    String which = "best";

    /**
     * Loads the chosen predictor of a run ({@link Pipeline#loadPredictor}).
     *
     * @param runDir directory of {@code ofa run}
     * @return the predictor and why it was chosen
     * @throws IOException if a predictor or quality file is missing or corrupt
     */
    PredictorStage.LoadedPredictor load(Path runDir) throws IOException {
        return PredictorStage.loadPredictor(runDir.resolve("predictor"), which);
    }
}
