/**
 * The once-for-all supernet on DJL: {@link ofa4j.supernet.Supernet} (elastic forward, parameters,
 * channel sorting, extraction, BN recalibration, parameter files) and {@link
 * ofa4j.supernet.Evaluator} (top-1 accuracy of extracted subnets).
 */
package ofa4j.supernet;
