package ofa4j.supernet.train;

import java.util.List;
import ofa4j.models.ArchConfig;

/**
 * What one training step did, passed to a {@link ProgressiveShrinkingTrainer.StepListener}.
 *
 * @param globalStep steps done including this one
 * @param phaseIndex index of the phase in the schedule
 * @param phase the phase
 * @param epoch epoch within the phase
 * @param stepInEpoch step within the epoch
 * @param archs the subnets trained in this step, in order
 * @param lr learning rate of the update
 * @param loss mean loss over the step's subnets
 * @param seconds wall time of the step
 */
public record StepInfo(
        long globalStep,
        int phaseIndex,
        Phase phase,
        int epoch,
        int stepInEpoch,
        List<ArchConfig> archs,
        double lr,
        double loss,
        double seconds) {

    /** Copies the list. */
    public StepInfo {
        archs = List.copyOf(archs);
    }
}
