package ofa4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.ExporterModels;
import ofa4j.predictor.ProfileStage;
import ofa4j.predictor.RemoteKit;
import ofa4j.supernet.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ofa profile}: builds a device latency profile, here or through a kit run on another device. */
@Command(
        name = "profile",
        description = "Build a device latency profile: time every layer variant and some whole subnets on this machine"
                + " in ONNX Runtime or in DJL's PyTorch engine, or write a kit for another device (--kit) and import its timings (--import).",
        footer = {"", "Examples:", "  ofa profile --out devices/cpu-ort-1t.json",
                "  ofa profile --supernet runs/pets/supernet --out runs/pets/devices/cpu-ort-1t.json   # the run's channels and classes",
                "  ofa profile --engine pytorch --engine-threads 2 --batch 8      # writes devices/cpu-pt-2t-b8.json",
                "  ofa profile --supernet runs/quick/supernet --precision int8 --held-out 30 --out runs/quick/devices/cpu-ort-1t-int8.json",
                "  ofa profile --kit kits/phone                       # copy to the phone, time each model, write timings.csv",
                "  ofa profile --kit kits/phone --import timings.csv --name phone --out devices/phone.json"})
final class ProfileCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Option(names = "--space", defaultValue = "fmnist", description = "Search space preset: fmnist, fmnist-hr, fmnist-s1 or ofa-mbv3-w1.0 (default ${DEFAULT-VALUE}).")
    String space;

    @Option(names = "--supernet", paramLabel = "DIR", description = "Profile the space of this trained run (its input channels"
            + " and classes, e.g. of an image folder) instead of --space.")
    Path supernet;

    @Option(names = {"--engine-threads", "--ort-threads"}, defaultValue = "1",
            description = "Intra-op threads of the profiled engine (default ${DEFAULT-VALUE}).")
    int ortThreads;

    @Option(names = "--batch", defaultValue = "1", description = "Batch size of the timed forward passes (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--subnets", defaultValue = "30", description = "Whole subnets timed for the overhead fit (default ${DEFAULT-VALUE}).")
    int subnets;

    @Option(names = "--kit", description = "Kit directory: without --import, write the kit; with --import, the kit the timings belong to.")
    Path kit;

    @Option(names = "--import", description = "CSV of key,median_ms measured on the other device.")
    Path timings;

    @Option(names = "--name", description = "Device name of an imported profile.")
    String name;

    @Option(names = "--engine", defaultValue = "onnxruntime",
            description = "Engine to profile here, or of an imported profile: onnxruntime (default) or pytorch.")
    String engine;

    @Option(names = "--precision", defaultValue = "fp32",
            description = "Precision of the models timed: fp32 (default) or int8 (every layer variant and subnet exported"
                    + " in INT8 QDQ form and timed in ONNX Runtime by the same meter; the profile records it, and a slice"
                    + " of the other precision refuses it).")
    String precision;

    @Option(names = "--held-out", defaultValue = "0",
            description = "After profiling, time this many other random subnets end to end and print the profile's"
                    + " error on them (held-out MAPE); 0 skips it (default ${DEFAULT-VALUE}).")
    int heldOut;

    /** Seed offset of the held-out subnets, so that they differ from the subnets of the fit. */
    static final long HELD_OUT_SEED_OFFSET = 12345;

    @Override
    public Integer call() throws Exception {
        ofa4j.predictor.Precision prec = ofa4j.predictor.Precision.parse(precision);
        if (heldOut != 0 && (heldOut < 2 || heldOut > 1000)) {
            throw new IllegalArgumentException("--held-out must be 0 or in [2, 1000], found " + heldOut);
        }
        if (prec == ofa4j.predictor.Precision.INT8 && !"onnxruntime".equals(engine)) {
            throw new IllegalArgumentException("--precision int8 needs --engine onnxruntime (INT8 models are ONNX QDQ"
                    + " models), found '" + engine + "'");
        }
        if (prec == ofa4j.predictor.Precision.INT8 && (kit != null || timings != null)) {
            throw new IllegalArgumentException("--precision int8 profiles this machine only; a kit (--kit, --import)"
                    + " times FP32 models");
        }
        SearchSpace s = supernet != null ? Checkpoint.readLatest(supernet).manifest().run().space() : SearchSpace.preset(space);
        if (ortThreads < 1 || ortThreads > 64) {
            throw new IllegalArgumentException("--engine-threads must be in [1, 64], found " + ortThreads);
        }
        if (batch < 1 || batch > 4096) {
            throw new IllegalArgumentException("--batch must be in [1, 4096], found " + batch);
        }
        if (!DeviceProfile.ENGINES.contains(engine)) {
            throw new IllegalArgumentException("--engine must be one of " + DeviceProfile.ENGINES + ", found '" + engine + "'");
        }
        if (timings != null) {
            if (kit == null || name == null) {
                throw new IllegalArgumentException("--import needs --kit (the kit that was timed) and --name (the device name)");
            }
            DeviceProfile.checkName(name);
            DeviceProfile p = RemoteKit.importTimings(kit, timings, name, engine, ortThreads);
            Path out = common.out != null ? common.out : Path.of("devices", name + ".json");
            p.save(out);
            spec.commandLine().getOut().println("imported " + name + " to " + out);
            return 0;
        }
        if (kit != null) {
            var entries = RemoteKit.write(s, new ExporterModels(), kit, subnets, batch, common.seed);
            spec.commandLine().getOut().println("wrote a kit of " + entries.size() + " models to " + kit
                    + "; time each model on the device (median ms) into a CSV of key,median_ms, then run ofa profile --import");
            return 0;
        }
        Path out = common.out != null
                ? common.out
                : Path.of("devices", ProfileStage.localDeviceName(engine, prec, ortThreads, batch) + ".json");
        long t0 = System.nanoTime();
        DeviceProfile p = ProfileStage.profile(s, out, engine, prec, ortThreads, batch, subnets, common.seed, common.quiet,
                false);
        spec.commandLine().getOut().printf(Locale.ROOT, "profiled %s (%s) in %.1f s: min subnet %.3f ms, max subnet %.3f ms"
                        + " predicted; fit %.4f + %.3f x table sum, fit MAPE %.2f%%; wrote %s%n",
                p.name(), p.precision().id(), (System.nanoTime() - t0) / 1e9, p.predictMs(s.min()), p.predictMs(s.max()),
                p.interceptMs(), p.scale(), p.measurement().fitMapePercent(), out);
        DeviceProfile.Measurement m = p.measurement();
        spec.commandLine().getOut().printf(Locale.ROOT,
                "consistency: fit error %.1f%% (allowed %.1f%%), anchor %.1f%% off (allowed %.1f%%), %d attempt(s)%n",
                m.fitMapePercent(), ofa4j.predictor.Profiler.MAX_FIT_MAPE_PERCENT, m.anchorErrorPercent(),
                ofa4j.predictor.Profiler.MAX_ANCHOR_ERROR_PERCENT, m.attempts());
        if (heldOut > 0) {
            try (ofa4j.predictor.LatencyMeter meter = ProfileStage.meter(s, engine, prec, ortThreads, batch, common.seed)) {
                ofa4j.predictor.Profiler.HeldOut h =
                        ofa4j.predictor.Profiler.heldOut(p, meter, heldOut, common.seed + HELD_OUT_SEED_OFFSET);
                spec.commandLine().getOut().printf(Locale.ROOT,
                        "held-out: %d other random subnets, MAPE %.2f%% (raw table sum %.2f%%), Kendall tau %.3f%n",
                        h.subnets(), h.mapePercent(), h.rawMapePercent(), h.kendallTau());
            }
        }
        return 0;
    }
}
