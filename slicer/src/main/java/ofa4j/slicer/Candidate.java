package ofa4j.slicer;

import ofa4j.models.ArchConfig;

/**
 * A subnet met by a search, with its predicted accuracy and its costs.
 *
 * @param arch the subnet
 * @param predictedAccuracy accuracy predicted by the search's accuracy predictor, fraction in [0, 1]
 * @param costs its costs (MACs, params, peak memory, predicted latencies)
 */
public record Candidate(ArchConfig arch, double predictedAccuracy, ArchCosts costs) {}
