package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParetoPlotTest {

    @Test
    void writesAReadablePngOfFrontChosenAndMeasured(@TempDir Path dir) throws Exception {
        SearchSpace space = SearchSpace.fmnist();
        TestPredictors.SmoothAccuracy acc = new TestPredictors.SmoothAccuracy(space, 11);
        TestPredictors.LayerLatency cpu = TestPredictors.LayerLatency.cpu(space);
        CostAxis axis = CostAxis.latency(cpu);
        SearchResult front = Nsga2Search.builder(axis).optGenerations(30).build()
                .search(space, acc, Constraint.none(), 1);
        Map<String, Candidate> chosen = new LinkedHashMap<>();
        List<ParetoPlot.Measured> measured = new java.util.ArrayList<>();
        for (double ms : new double[] {4, 6, 9}) {
            SearchResult r = EvolutionSearch.builder().optGenerations(20).build()
                    .search(space, acc, Constraint.builder().maxLatencyMs(cpu, ms).build(), 2);
            String name = "cpu-" + (int) ms + "ms";
            chosen.put(name, r.best());
            measured.add(new ParetoPlot.Measured(name, axis.value(r.best()) * 1.1, r.best().predictedAccuracy() - 0.02));
        }
        measured.add(new ParetoPlot.Measured("not-timed", Double.NaN, 0.5)); // left out, no error
        Path png = dir.resolve("sub/pareto.png");
        ParetoPlot.write(png, "fmnist: predicted accuracy vs latency (test predictors)", axis, front.front(), chosen,
                measured);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(ParetoPlot.WIDTH, img.getWidth());
        assertEquals(ParetoPlot.HEIGHT, img.getHeight());
        assertTrue(Files.size(png) > 10_000);
        if (System.getenv("OFA_PLOT_KEEP") != null) {
            Files.copy(png, Path.of(System.getenv("OFA_PLOT_KEEP")), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        assertThrows(IllegalArgumentException.class,
                () -> ParetoPlot.render("t", axis, List.of(), Map.of(), List.of(), 100, 100));
    }

    @Test
    void compoundScalingsCurveIsASeriesOfItsSubnetsPredictedAndMeasuredValues() {
        SearchSpace space = SearchSpace.fmnist();
        TestPredictors.SmoothAccuracy acc = new TestPredictors.SmoothAccuracy(space, 11);
        TestPredictors.LayerLatency cpu = TestPredictors.LayerLatency.cpu(space);
        CostAxis axis = CostAxis.latency(cpu);
        List<Candidate> curve = CompoundScaling.baselineCurve(space, axis, acc);
        // the points of compound scaling's curve with its defaults, in order of phi, smallest subnet first
        List<CompoundScaling.CurvePoint> expected = CompoundScaling.builder().build().curve(space, space.resolutions());
        assertEquals(expected.size(), curve.size());
        assertTrue(curve.size() >= 10, "curve of " + curve.size());
        assertEquals(space.uniform(space.kernels().get(0), space.expandRatios().get(0), space.depths().get(0),
                space.resolutions().get(0)).key(), curve.get(0).arch().key());
        double[] x = new double[curve.size()];
        double[] y = new double[curve.size()];
        for (int i = 0; i < curve.size(); i++) {
            assertEquals(expected.get(i).arch(), curve.get(i).arch());
            x[i] = cpu.predictMs(curve.get(i).arch());
            y[i] = 100 * acc.predict(curve.get(i).arch());
        }
        List<ParetoPlot.Measured> measured = List.of(
                new ParetoPlot.Measured(curve.get(0).arch().key(), 1.5, 0.8),
                new ParetoPlot.Measured(curve.get(3).arch().key(), 2.5, 0.85),
                new ParetoPlot.Measured("not-timed", Double.NaN, 0.9)); // left out
        ParetoPlot.Curve c = new ParetoPlot.Curve(Specialiser.BASELINE_LABEL, curve, measured);
        org.knowm.xchart.XYChart chart = ParetoPlot.chart("t", axis, List.of(), Map.of(), List.of(), List.of(), c, 400, 300);
        assertEquals("compound scaling (EfficientNet), predicted (" + curve.size() + " subnets)", c.predictedSeries());
        org.knowm.xchart.XYSeries pred = chart.getSeriesMap().get(c.predictedSeries());
        org.junit.jupiter.api.Assertions.assertArrayEquals(x, pred.getXData(), 1e-12);
        org.junit.jupiter.api.Assertions.assertArrayEquals(y, pred.getYData(), 1e-12);
        org.knowm.xchart.XYSeries meas = chart.getSeriesMap().get("compound scaling (EfficientNet), measured (3)");
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {1.5, 2.5}, meas.getXData(), 1e-12);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {80, 85}, meas.getYData(), 1e-12);
        assertEquals(2, chart.getSeriesMap().size());
        // without a curve the plot is as before
        assertEquals(1, ParetoPlot.chart("t", axis, curve, Map.of(), List.of(), List.of(), null, 400, 300)
                .getSeriesMap().size());
    }
}
