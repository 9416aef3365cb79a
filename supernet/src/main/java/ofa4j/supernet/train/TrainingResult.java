package ofa4j.supernet.train;

import java.nio.file.Path;
import java.util.List;

/**
 * What a call to {@link ProgressiveShrinkingTrainer#train} produced.
 *
 * @param runDir the run directory
 * @param checkpoint the newest checkpoint directory
 * @param metrics one row per finished epoch (also in {@code runDir/metrics.jsonl})
 * @param globalSteps steps done in total (including those before a resume)
 * @param finished true if every phase is done, false if stopped early ({@code optStopAfterSteps})
 * @param wallSeconds wall time of this call in seconds
 */
public record TrainingResult(
        Path runDir, Path checkpoint, List<EpochMetrics> metrics, long globalSteps, boolean finished, double wallSeconds) {

    /** Copies the list. */
    public TrainingResult {
        metrics = List.copyOf(metrics);
    }
}
