package ofa4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import ofa4j.models.ArchConfig;
import ofa4j.models.CostModel;
import ofa4j.models.Subnet;
import ofa4j.supernet.Evaluator;
import ofa4j.supernet.data.ImageSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ofa eval}: top-1 accuracy of subnets of a trained supernet, after BN recalibration. */
@Command(
        name = "eval",
        description = "Top-1 accuracy of subnets (BN recalibrated) on the validation or test split.",
        footer = {"", "Examples:", "  ofa eval --supernet runs/quick --arch max --arch min --split test",
                "  ofa eval --supernet runs/quick --random 5 --split test"})
final class EvalCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Mixin DataOptions dataOptions;

    @Option(names = "--supernet", required = true, description = "Run directory written by 'ofa train'.")
    Path supernet;

    @Option(names = "--arch", description = "max, min, an arch JSON file or inline JSON (repeatable).")
    java.util.List<String> archs = new java.util.ArrayList<>();

    @Option(names = "--random", defaultValue = "0", description = "Also evaluate this many random subnets (seeded).")
    int random;

    @Option(names = "--split", defaultValue = "val", description = "val (default) or test.")
    String split;

    @Option(names = "--calibration-images", defaultValue = "2000", description = "BN recalibration images (default ${DEFAULT-VALUE}).")
    int calibrationImages;

    @Override
    public Integer call() throws Exception {
        if (!split.equals("val") && !split.equals("test")) {
            throw new IllegalArgumentException("--split must be one of [val, test], found '" + split + "'");
        }
        if (archs.isEmpty() && random == 0) {
            archs.add("max");
            archs.add("min");
        }
        common.applyThreads();
        try (SupernetRun run = SupernetRun.open(supernet, dataOptions, common.quiet)) {
            java.util.List<ArchConfig> list = new java.util.ArrayList<>();
            for (String a : archs) {
                list.add(ArchOption.parse(a, run.net.space()));
            }
            java.util.SplittableRandom rng = new java.util.SplittableRandom(common.seed);
            for (int i = 0; i < random; i++) {
                list.add(run.net.space().sample(rng));
            }
            ImageSet set = split.equals("val") ? run.data.val() : run.data.test();
            CostModel cm = new CostModel(run.net.space());
            for (ArchConfig a : list) {
                Subnet s = run.calibrated(a, calibrationImages, common.seed);
                double acc = Evaluator.top1(s, set, run.data.mean(), run.data.std(), 500);
                spec.commandLine().getOut().printf(Locale.ROOT, "%-7s top-1 %6.2f%%  %7.3f M MACs  %s%n",
                        split, 100 * acc, cm.macs(a) / 1e6, a.key());
            }
        }
        return 0;
    }
}
