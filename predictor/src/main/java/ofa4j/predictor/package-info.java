/**
 * Accuracy and latency predictors (OFA, Cai et al., ICLR 2020, section 3.3): the accuracy dataset
 * ({@link ofa4j.predictor.AccuracyDatasetBuilder}, {@link ofa4j.predictor.AccuracyDataset}), the
 * MLP and ridge accuracy predictors with their quality report, device latency profiles
 * ({@link ofa4j.predictor.DeviceProfile}: layer look-up table plus a fitted end-to-end correction),
 * the {@link ofa4j.predictor.Profiler}, remote profiling kits and {@link
 * ofa4j.predictor.ConstraintMetrics}.
 */
package ofa4j.predictor;
