/**
 * Slicing: constrained architecture search over a {@link ofa4j.models.SearchSpace} with an
 * accuracy predictor and device latency predictors, and specialisation of the chosen subnets
 * (extraction with BN recalibration, measurement, ONNX export, reports and Pareto plots).
 *
 * <p>Search: {@link ofa4j.slicer.Constraint} (what a device allows; impossible bounds fail at once
 * in {@link ofa4j.slicer.ConstrainedSpace} with the cheapest achievable values), {@link
 * ofa4j.slicer.SearchStrategy} with {@link ofa4j.slicer.EvolutionSearch} (OFA's evolution), {@link
 * ofa4j.slicer.RandomSearch} (baseline) and {@link ofa4j.slicer.Nsga2Search} (Pareto front), and the
 * strategies of the NAS literature: {@link ofa4j.slicer.RegularizedEvolution} (AmoebaNet's ageing
 * evolution), {@link ofa4j.slicer.ReinforceSearch} (NASNet / MnasNet policy gradient), {@link
 * ofa4j.slicer.BayesianOptimisation} (GP surrogate, expected improvement) and {@link
 * ofa4j.slicer.CompoundScaling} (EfficientNet's baseline curve); by name through {@link
 * ofa4j.slicer.SearchStrategies}; all capped by a {@link ofa4j.slicer.RejectionPolicy}; {@link ofa4j.slicer.Fleet} (several devices at once,
 * shared {@link ofa4j.slicer.CachingAccuracyPredictor}) and {@link ofa4j.slicer.SlicingService}
 * (on-demand requests). Costs come from {@link ofa4j.slicer.CostTable} and {@link
 * ofa4j.slicer.TabulatedLatency}, exact table look-ups of the models' cost model and of device
 * profiles.
 *
 * <p>Specialisation: {@link ofa4j.slicer.Specialiser} with the {@link ofa4j.slicer.SupernetBackend}
 * writes ONNX files, JSON reports and a {@link ofa4j.slicer.ParetoPlot}.
 */
package ofa4j.slicer;
