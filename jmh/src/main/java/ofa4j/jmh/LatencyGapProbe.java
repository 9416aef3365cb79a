package ofa4j.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import ofa4j.exporter.Verifier;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.LayerVariants;
import ofa4j.predictor.OrtLatencyMeter;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.fixed.FixedNetwork;
import ofa4j.supernet.train.Checkpoint;

/**
 * A diagnostic, not a benchmark: times the slices of a finished run in ONNX Runtime by the
 * profile's meter and by the exporter's verifier, in a fresh JVM, right after DJL has evaluated
 * 10,000 images in the same process, and a few seconds later; prints each beside the profile's
 * prediction. It answers where a gap between predicted and measured latency comes from.
 *
 * <p>Usage: {@code java -Dai.djl.offline=true -cp jmh/target/benchmarks.jar ofa4j.jmh.LatencyGapProbe RUN_DIR}
 */
public final class LatencyGapProbe {

    private LatencyGapProbe() {}

    /** A delivered slice: its target name, architecture and ONNX bytes. */
    record Model(String name, ArchConfig arch, byte[] onnx) {}

    /**
     * Reads the slices of a run ({@code slices/T.onnx} with {@code slices/T.json}).
     *
     * @param run the run directory
     * @return the slices, by name
     * @throws java.io.IOException if a file is unreadable
     */
    static List<Model> slices(Path run) throws java.io.IOException {
        List<Model> models = new ArrayList<>();
        try (var files = Files.list(run.resolve("slices"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".onnx")).sorted().toList()) {
                String base = f.getFileName().toString().replace(".onnx", "");
                var report = ofa4j.slicer.SliceJson.Report.read(f.resolveSibling(base + ".json"));
                models.add(new Model(base, report.arch().toArch(), Files.readAllBytes(f)));
            }
        }
        return models;
    }

    /**
     * Runs the probe.
     *
     * @param args the run directory of {@code ofa run}
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Path run = Path.of(args[0]);
        DeviceProfile prof = DeviceProfile.load(run.resolve("devices").resolve("cpu-ort-1t.json"));
        SearchSpace space = prof.space();
        List<Model> models = slices(run);
        try (OrtLatencyMeter meter = OrtLatencyMeter.withExporter(space, 1, 1)) {
            meter.warmUpProcess(LayerVariants.enumerate(space).values().iterator().next());
            report("fresh JVM, meter warmed", models, prof, meter);
            if (args.length > 1 && args[1].equals("nodjl")) {
                Thread.sleep(14_000); // control: the same pause without DJL
            } else try (Supernet net = Checkpoint.loadSupernet(run.resolve("supernet"));
                    FixedNetwork fixed = new FixedNetwork(net.extract(space.max()));
                    NDManager m = NDManager.newBaseManager()) {
                NDArray x = m.randomUniform(-1, 1, new Shape(500, space.inChannels(), 28, 28));
                long t0 = System.nanoTime();
                for (int i = 0; i < 20; i++) {
                    try (NDManager s = m.newSubManager()) {
                        fixed.forward(s, x).toFloatArray();
                    }
                }
                System.out.printf(Locale.ROOT, "DJL evaluated 10,000 images in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            }
            report("right after DJL evaluation", models, prof, meter);
            for (int i = 1; i <= 4; i++) {
                Thread.sleep(5000);
                report(5 * i + " s later", models, prof, meter);
            }
        }
    }

    /** Busy (user+nice+system+irq+softirq) and steal jiffies of the whole machine. */
    private static long[] procStat() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                    + Long.parseLong(f[7]);
            return new long[] {busy, Long.parseLong(f[8])};
        } catch (java.io.IOException e) {
            return new long[2];
        }
    }

    private static String threadState() {
        try {
            String allowed = Files.readAllLines(Path.of("/proc/thread-self/status")).stream()
                    .filter(l -> l.startsWith("Cpus_allowed_list")).findFirst().orElse("?");
            long threads;
            try (var t = Files.list(Path.of("/proc/self/task"))) {
                threads = t.count();
            }
            return allowed.replaceAll("\\s+", " ") + ", threads " + threads;
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    private static void report(String when, List<Model> models, DeviceProfile prof, OrtLatencyMeter meter) {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long[] st0 = procStat();
        long cpu0 = os.getProcessCpuTime();
        long wall0 = System.nanoTime();
        System.out.println("== " + when + " (" + threadState() + ")");
        for (Model md : models) {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-14s predicted %.3f | meter", md.name(),
                    prof.predictMs(md.arch())));
            for (int i = 0; i < 3; i++) {
                sb.append(String.format(Locale.ROOT, " %.3f", meter.medianMs(md.onnx())));
            }
            sb.append(" | verifier");
            for (int i = 0; i < 3; i++) {
                sb.append(String.format(Locale.ROOT, " %.3f", Verifier.medianLatencyMs(md.onnx(), 1, 20, 100)));
            }
            System.out.println(sb);
        }
        long[] st1 = procStat();
        System.out.printf(Locale.ROOT, "   process CPU / wall during these timings: %.2f; machine: busy %.2f cores, steal %.2f cores%n",
                (double) (os.getProcessCpuTime() - cpu0) / (System.nanoTime() - wall0),
                (st1[0] - st0[0]) / 100.0 / ((System.nanoTime() - wall0) / 1e9),
                (st1[1] - st0[1]) / 100.0 / ((System.nanoTime() - wall0) / 1e9));
    }
}
