package ofa4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.PredictorStage;
import ofa4j.slicer.Candidate;
import ofa4j.slicer.Constraint;
import ofa4j.slicer.CostAxis;
import ofa4j.slicer.Nsga2Search;
import ofa4j.slicer.CompoundScaling;
import ofa4j.slicer.ParetoPlot;
import ofa4j.slicer.SearchResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ofa pareto}: the predicted accuracy-vs-cost Pareto front of a trained run (NSGA-II), as a PNG and a table. */
@Command(
        name = "pareto",
        description = "Predicted Pareto front of accuracy vs latency or MACs (NSGA-II on the accuracy predictor), drawn as a PNG with compound scaling's (EfficientNet) baseline curve: depth, expand ratio and resolution grown together from the smallest subnet.",
        footer = {"", "Examples:", "  ofa pareto --run runs/quick --device cpu-ort-1t --out pareto.png",
                "  ofa pareto --run runs/quick --axis macs --out pareto-macs.png"})
final class ParetoCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Option(names = "--run", required = true, description = "Run directory of 'ofa run' (devices/, predictor/).")
    Path runDir;

    @Option(names = "--device", defaultValue = "cpu-ort-1t", description = "Device profile for the latency axis (default ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--axis", defaultValue = "latency", description = "latency (default) or macs.")
    String axis;

    @Mixin PredictorOption predictor;

    @Override
    public Integer call() throws Exception {
        if (!axis.equals("latency") && !axis.equals("macs")) {
            throw new IllegalArgumentException("--axis must be one of [latency, macs], found '" + axis + "'");
        }
        try (PredictorStage.LoadedPredictor acc = predictor.load(runDir)) {
            SearchSpace space = acc.space();
            CostAxis ax = axis.equals("macs") ? CostAxis.macs()
                    : CostAxis.latency(DeviceProfile.find(runDir.resolve("devices"), device));
            SearchResult r = Nsga2Search.builder(ax).build().search(space, acc.predictor(), Constraint.none(), common.seed);
            Path out = common.out != null ? common.out : Path.of("pareto.png");
            List<Candidate> curve = CompoundScaling.baselineCurve(space, ax, acc.predictor());
            ParetoPlot.write(out, "Predicted Pareto front (" + space.name() + ")", ax, r.front(), Map.of(), List.of(),
                    List.of(), new ParetoPlot.Curve(ofa4j.slicer.Specialiser.BASELINE_LABEL, curve, List.of()));
            var w = spec.commandLine().getOut();
            w.printf(Locale.ROOT, "front of %d subnets in %.0f ms (%d evaluations); wrote %s%n", r.front().size(), r.wallMs(),
                    r.evaluations(), out);
            for (Candidate c : r.front()) {
                w.printf(Locale.ROOT, "  %10.4f %-10s  acc %.2f%%  %s%n", ax.value(c), ax.label(), 100 * c.predictedAccuracy(),
                        c.arch().key());
            }
            w.printf(Locale.ROOT, "compound scaling (EfficientNet) baseline curve, %d subnets:%n", curve.size());
            for (Candidate c : curve) {
                w.printf(Locale.ROOT, "  %10.4f %-10s  acc %.2f%%  %s%n", ax.value(c), ax.label(), 100 * c.predictedAccuracy(),
                        c.arch().key());
            }
        }
        return 0;
    }
}
