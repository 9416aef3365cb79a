package ofa4j.predictor;

import java.util.List;
import ofa4j.models.ArchConfig;

/** Predicts the top-1 validation accuracy (fraction in [0, 1]) of subnets without evaluating them. */
public interface AccuracyPredictor {

    /**
     * Predicts the accuracy of each subnet.
     *
     * @param archs subnets of the predictor's search space
     * @return predicted top-1 accuracy of each, as a fraction in [0, 1], in the same order
     */
    double[] predict(List<ArchConfig> archs);

    /**
     * Predicts one subnet.
     *
     * @param arch the subnet
     * @return predicted top-1 accuracy, fraction in [0, 1]
     */
    default double predict(ArchConfig arch) {
        return predict(List.of(arch))[0];
    }

    /** @return a short name for reports, e.g. {@code mlp} or {@code ridge} */
    String name();
}
