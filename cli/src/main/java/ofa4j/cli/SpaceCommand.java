package ofa4j.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import ofa4j.models.ArchConfig;
import ofa4j.models.CostModel;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ofa space}: describes a search space preset and the cost of its max and min subnets. */
@Command(
        name = "space",
        description = "Describe a search space: stages, elastic choices, MACs/params of its max and min subnets.",
        footer = {"", "Examples:", "  ofa space", "  ofa space --space ofa-mbv3-w1.0 --layers"})
final class SpaceCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--space", defaultValue = "fmnist", description = "Preset: fmnist (default), fmnist-hr, fmnist-s1 or ofa-mbv3-w1.0.")
    String space;

    @Option(names = "--layers", description = "Also list the layers of the max subnet.")
    boolean layers;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    @Override
    public Integer call() {
        SearchSpace s = SearchSpace.preset(space);
        PrintWriter out = spec.commandLine().getOut();
        out.println(s.describe());
        out.println("resolutions " + s.resolutions() + ", block slots " + s.numBlockSlots());
        CostModel cm = new CostModel(s);
        String[] names = {"max", "min"};
        ArchConfig[] archs = {s.max(), s.min()};
        for (int i = 0; i < archs.length; i++) {
            ArchConfig a = archs[i];
            CostModel.Cost c = cm.cost(a);
            out.printf("%-4s %-8s %9.3f M MACs %8.3f M params %8.1f KiB peak activations%n",
                    names[i], "r" + a.resolution(), c.mmacs(), c.mparams(),
                    c.peakActivationBytes() / 1024.0);
        }
        if (layers) {
            for (LayerSpec l : s.layers(s.max())) {
                out.printf("  %-36s %10d MACs  %s%n", l.describe(), CostModel.macs(l), l.key());
            }
        }
        return 0;
    }
}
