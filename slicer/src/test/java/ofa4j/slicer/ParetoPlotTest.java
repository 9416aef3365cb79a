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
}
