/**
 * Slicing: constrained architecture search over a {@link ofa4j.models.SearchSpace} with an
 * accuracy predictor and device latency predictors, and specialisation of the chosen subnets
 * (extraction with BN recalibration, measurement, ONNX export, reports and Pareto plots).
 *
 * <p>Entry points: {@link ofa4j.slicer.Constraint} (what a device allows), {@link
 * ofa4j.slicer.SearchStrategy} with {@link ofa4j.slicer.EvolutionSearch} (OFA's evolution), {@link
 * ofa4j.slicer.RandomSearch} (baseline) and {@link ofa4j.slicer.Nsga2Search} (Pareto front), {@link
 * ofa4j.slicer.Fleet} (several devices at once) and {@link ofa4j.slicer.ParetoPlot}.
 */
package ofa4j.slicer;
