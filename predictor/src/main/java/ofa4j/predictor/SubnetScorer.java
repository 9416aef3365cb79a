package ofa4j.predictor;

import ofa4j.models.ArchConfig;

/**
 * Measures the top-1 validation accuracy of one subnet (for the accuracy dataset). The production
 * scorer is {@link SupernetScorer} (extract, BN-recalibrate, evaluate on the validation split).
 */
@FunctionalInterface
public interface SubnetScorer {

    /**
     * Measures one subnet.
     *
     * @param arch the subnet
     * @param seed seed of any randomness (e.g. which images recalibrate batch norm)
     * @return top-1 accuracy on the validation split, fraction in [0, 1]
     */
    double accuracy(ArchConfig arch, long seed);
}
