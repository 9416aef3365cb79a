/**
 * Static networks built from an extracted {@link ofa4j.models.Subnet}: plain tensors, no elastic
 * state, evaluation-mode batch norm with the subnet's statistics.
 */
package ofa4j.supernet.fixed;
