package ofa4j.slicer;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import ofa4j.models.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws accuracy-vs-cost Pareto plots as PNG with XChart: the predicted front (line), the subnets
 * chosen for each target (predicted, filled diamonds) and their measured accuracy and cost
 * (crosses), each chosen subnet joined to its measurement by a thin dashed line; optionally a
 * baseline curve ({@link Curve}: compound scaling's, EfficientNet-style) through its points in order,
 * with those of its subnets that were measured. Accuracy is shown in percent, cost in the axis' unit
 * (ms or millions of MACs).
 */
public final class ParetoPlot {

    private ParetoPlot() {}

    /**
     * A measured subnet.
     *
     * @param label name in the legend, e.g. the target name
     * @param cost measured cost in the axis' unit (ms for latency axes)
     * @param accuracy measured accuracy, fraction in [0, 1]
     */
    public record Measured(String label, double cost, double accuracy) {}

    /**
     * A baseline curve: subnets in curve order (e.g. {@link CompoundScaling#curveCandidates}, by growing
     * phi) with their predicted accuracy, and the measured figures of those of them that were measured.
     *
     * @param label the legend's name of the curve, e.g. "compound scaling (EfficientNet)"
     * @param points the curve's subnets, predicted, in curve order
     * @param measured measured figures of some of them (label = arch key), may be empty
     */
    public record Curve(String label, List<Candidate> points, List<Measured> measured) {
        /** Copies the lists. */
        public Curve {
            points = List.copyOf(points);
            measured = List.copyOf(measured);
        }

        /** @return the legend name of the predicted curve */
        public String predictedSeries() {
            return label + ", predicted (" + points.size() + " subnets)";
        }

        /** @return the legend name of its measured subnets */
        public String measuredSeries() {
            return label + ", measured (" + measured.size() + ")";
        }
    }

    /** Default image width in pixels. */
    public static final int WIDTH = 1000;

    /** Default image height in pixels. */
    public static final int HEIGHT = 650;

    /**
     * Renders the plot.
     *
     * @param title chart title
     * @param axis the cost axis of {@code front} and of the chosen subnets
     * @param front the predicted front (any order; sorted by cost here), may be empty
     * @param chosen chosen subnets by target name (legend order = map order), may be empty
     * @param measured measured points with the same labels as {@code chosen} (joined to them), may be
     *     empty; points with a non-finite cost or accuracy are left out
     * @param width image width in pixels
     * @param height image height in pixels
     * @return PNG bytes
     * @throws IOException if encoding fails
     * @throws IllegalArgumentException if there is nothing to draw
     */
    public static byte[] render(String title, CostAxis axis, List<Candidate> front, Map<String, Candidate> chosen,
            List<Measured> measured, int width, int height) throws IOException {
        return render(title, axis, front, chosen, measured, List.of(), width, height);
    }

    /**
     * Renders the plot with the measured candidates of a closed loop and their Pareto front.
     *
     * @param title chart title
     * @param axis the cost axis
     * @param front the predicted front, may be empty
     * @param chosen chosen subnets by target name, may be empty
     * @param measured measured figures of the chosen subnets, may be empty
     * @param candidates every measured candidate (label = arch key), may be empty; drawn as small
     *     points with their own non-dominated front
     * @param width image width in pixels
     * @param height image height in pixels
     * @return PNG bytes
     * @throws IOException if encoding fails
     */
    public static byte[] render(String title, CostAxis axis, List<Candidate> front, Map<String, Candidate> chosen,
            List<Measured> measured, List<Measured> candidates, int width, int height) throws IOException {
        return render(title, axis, front, chosen, measured, candidates, null, width, height);
    }

    /**
     * Renders the plot with a baseline curve.
     *
     * @param title chart title
     * @param axis the cost axis
     * @param front the predicted front, may be empty
     * @param chosen chosen subnets by target name, may be empty
     * @param measured measured figures of the chosen subnets, may be empty
     * @param candidates every measured candidate, may be empty
     * @param baseline the baseline curve, or null
     * @param width image width in pixels
     * @param height image height in pixels
     * @return PNG bytes
     * @throws IOException if encoding fails
     */
    public static byte[] render(String title, CostAxis axis, List<Candidate> front, Map<String, Candidate> chosen,
            List<Measured> measured, List<Measured> candidates, Curve baseline, int width, int height)
            throws IOException {
        return BitmapEncoder.getBitmapBytes(chart(title, axis, front, chosen, measured, candidates, baseline, width,
                height), BitmapEncoder.BitmapFormat.PNG);
    }

    /** The chart {@link #render} encodes: its series are the plot's data. */
    static XYChart chart(String title, CostAxis axis, List<Candidate> front, Map<String, Candidate> chosen,
            List<Measured> measured, List<Measured> candidates, Curve baseline, int width, int height) {
        if (front.isEmpty() && chosen.isEmpty() && measured.isEmpty() && candidates.isEmpty()
                && (baseline == null || baseline.points().isEmpty())) {
            throw new IllegalArgumentException("a Pareto plot needs at least one point; front, chosen and measured are empty");
        }
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        XYChart chart = new XYChartBuilder().width(width).height(height).title(title)
                .xAxisTitle(axis.label()).yAxisTitle("top-1 accuracy (%)").build();
        var st = chart.getStyler();
        st.setLegendPosition(Styler.LegendPosition.InsideSE);
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotGridLinesVisible(true);
        chart.getStyler().setMarkerSize(9);
        chart.getStyler().setDecimalPattern("#0.###");
        if (!front.isEmpty()) {
            List<Candidate> f = ParetoFront.of(front, axis);
            double[] x = new double[f.size()];
            double[] y = new double[f.size()];
            for (int i = 0; i < f.size(); i++) {
                x[i] = axis.value(f.get(i));
                y[i] = 100 * f.get(i).predictedAccuracy();
            }
            XYSeries s = chart.addSeries("predicted Pareto front (" + f.size() + " subnets)", x, y);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setLineColor(new Color(70, 110, 190));
            s.setMarkerColor(new Color(70, 110, 190));
            s.setLineWidth(1.5f);
        }
        if (baseline != null && !baseline.points().isEmpty()) {
            Color c = new Color(200, 120, 0);
            XYSeries b = chart.addSeries(baseline.predictedSeries(),
                    baseline.points().stream().mapToDouble(axis::value).toArray(),
                    baseline.points().stream().mapToDouble(p -> 100 * p.predictedAccuracy()).toArray());
            b.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            b.setMarker(SeriesMarkers.TRIANGLE_UP);
            b.setLineColor(c);
            b.setMarkerColor(c);
            b.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                    new float[] {6f, 3f}, 0f));
            List<Measured> bm = baseline.measured().stream()
                    .filter(m -> Double.isFinite(m.cost()) && Double.isFinite(m.accuracy())).toList();
            if (!bm.isEmpty()) {
                XYSeries m = chart.addSeries(baseline.measuredSeries(), bm.stream().mapToDouble(Measured::cost).toArray(),
                        bm.stream().mapToDouble(x -> 100 * x.accuracy()).toArray());
                m.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                m.setMarker(SeriesMarkers.TRIANGLE_DOWN);
                m.setMarkerColor(c);
            }
        }
        List<Measured> finite = candidates.stream()
                .filter(m -> Double.isFinite(m.cost()) && Double.isFinite(m.accuracy())).toList();
        if (!finite.isEmpty()) {
            XYSeries all = chart.addSeries("measured candidates (" + finite.size() + ")",
                    finite.stream().mapToDouble(Measured::cost).toArray(),
                    finite.stream().mapToDouble(m -> 100 * m.accuracy()).toArray());
            all.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            all.setMarker(SeriesMarkers.CIRCLE);
            all.setMarkerColor(new Color(150, 150, 150));
            List<Measured> mf = measuredFront(finite);
            XYSeries f = chart.addSeries("measured Pareto front (" + mf.size() + ")",
                    mf.stream().mapToDouble(Measured::cost).toArray(),
                    mf.stream().mapToDouble(m -> 100 * m.accuracy()).toArray());
            f.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            f.setMarker(SeriesMarkers.SQUARE);
            f.setLineColor(new Color(40, 40, 40));
            f.setMarkerColor(new Color(40, 40, 40));
            f.setLineWidth(1.5f);
        }
        Color[] palette = {new Color(215, 60, 40), new Color(40, 150, 70), new Color(150, 60, 170),
            new Color(230, 140, 20), new Color(20, 150, 160), new Color(120, 80, 40)};
        int i = 0;
        for (Map.Entry<String, Candidate> e : chosen.entrySet()) {
            Color c = palette[i++ % palette.length];
            Candidate cand = e.getValue();
            XYSeries s = chart.addSeries("chosen " + e.getKey() + " (predicted)", new double[] {axis.value(cand)},
                    new double[] {100 * cand.predictedAccuracy()});
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setMarker(SeriesMarkers.DIAMOND);
            s.setMarkerColor(c);
            for (Measured m : measured) {
                if (m.label().equals(e.getKey()) && Double.isFinite(m.cost()) && Double.isFinite(m.accuracy())) {
                    XYSeries link = chart.addSeries(e.getKey() + " predicted -> measured",
                            new double[] {axis.value(cand), m.cost()},
                            new double[] {100 * cand.predictedAccuracy(), 100 * m.accuracy()});
                    link.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
                    link.setMarker(SeriesMarkers.NONE);
                    link.setLineColor(c);
                    link.setLineStyle(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                            new float[] {4f, 4f}, 0f));
                    link.setShowInLegend(false);
                }
            }
        }
        i = 0;
        for (Measured m : measured) {
            if (!Double.isFinite(m.cost()) || !Double.isFinite(m.accuracy())) {
                continue; // not measured (e.g. latency of another device)
            }
            Color c = palette[indexOf(chosen, m.label(), i++) % palette.length];
            XYSeries s = chart.addSeries("measured " + m.label(), new double[] {m.cost()},
                    new double[] {100 * m.accuracy()});
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setMarker(SeriesMarkers.CROSS);
            s.setMarkerColor(c);
        }
        return chart;
    }

    /**
     * The non-dominated measured points (lower cost, higher accuracy), cost ascending.
     *
     * @param points measured points with finite values
     * @return the front
     */
    public static List<Measured> measuredFront(List<Measured> points) {
        List<Measured> sorted = new java.util.ArrayList<>(points);
        sorted.sort(java.util.Comparator.comparingDouble(Measured::cost)
                .thenComparing(java.util.Comparator.comparingDouble(Measured::accuracy).reversed()));
        List<Measured> out = new java.util.ArrayList<>();
        double bestAcc = Double.NEGATIVE_INFINITY;
        for (Measured m : sorted) {
            if (m.accuracy() > bestAcc) {
                out.add(m);
                bestAcc = m.accuracy();
            }
        }
        return out;
    }

    private static int indexOf(Map<String, Candidate> chosen, String label, int fallback) {
        int i = 0;
        for (String k : chosen.keySet()) {
            if (k.equals(label)) {
                return i;
            }
            i++;
        }
        return fallback;
    }

    /**
     * Renders the plot at {@link #WIDTH} x {@link #HEIGHT} and writes it atomically.
     *
     * @param png the file to write
     * @param title chart title
     * @param axis the cost axis
     * @param front the predicted front, may be empty
     * @param chosen chosen subnets by target name, may be empty
     * @param measured measured points, may be empty
     * @throws IOException if encoding or writing fails
     */
    public static void write(Path png, String title, CostAxis axis, List<Candidate> front, Map<String, Candidate> chosen,
            List<Measured> measured) throws IOException {
        write(png, title, axis, front, chosen, measured, List.of());
    }

    /**
     * Renders the plot with measured candidates at {@link #WIDTH} x {@link #HEIGHT} and writes it atomically.
     *
     * @param png the file to write
     * @param title chart title
     * @param axis the cost axis
     * @param front the predicted front, may be empty
     * @param chosen chosen subnets by target name, may be empty
     * @param measured measured figures of the chosen subnets, may be empty
     * @param candidates every measured candidate, may be empty
     * @throws IOException if encoding or writing fails
     */
    public static void write(Path png, String title, CostAxis axis, List<Candidate> front, Map<String, Candidate> chosen,
            List<Measured> measured, List<Measured> candidates) throws IOException {
        write(png, title, axis, front, chosen, measured, candidates, null);
    }

    /**
     * Renders the plot with measured candidates and a baseline curve at {@link #WIDTH} x {@link
     * #HEIGHT} and writes it atomically.
     *
     * @param png the file to write
     * @param title chart title
     * @param axis the cost axis
     * @param front the predicted front, may be empty
     * @param chosen chosen subnets by target name, may be empty
     * @param measured measured figures of the chosen subnets, may be empty
     * @param candidates every measured candidate, may be empty
     * @param baseline the baseline curve, or null
     * @throws IOException if encoding or writing fails
     */
    public static void write(Path png, String title, CostAxis axis, List<Candidate> front, Map<String, Candidate> chosen,
            List<Measured> measured, List<Measured> candidates, Curve baseline) throws IOException {
        AtomicFiles.writeBytes(png, render(title, axis, front, chosen, measured, candidates, baseline, WIDTH, HEIGHT));
    }
}
