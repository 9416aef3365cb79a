package ofa4j.supernet.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import ofa4j.models.SearchSpace;
import ofa4j.supernet.data.DataSplits;
import ofa4j.supernet.data.FashionMnist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Measurements, not unit tests: skipped unless {@code -Dofa.bench=throughput} or {@code
 * -Dofa.bench=quick}. How to run (2 idle cores, fmnist space, real Fashion-MNIST):
 *
 * <pre>
 * mvn -B -o -q -pl supernet -am verify -Dtest=QuickPresetRunTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dofa.bench=throughput
 * mvn ... -Dofa.bench=quick -Dofa.runDir=/tmp/ofa-quick      # the whole quick preset
 * </pre>
 */
class QuickPresetRunTest {

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    /** img/s of the first steps of each phase of the quick preset (fmnist space, batch 128). */
    @Test
    @EnabledIfSystemProperty(named = "ofa.bench", matches = "throughput")
    void measureStepThroughput() throws IOException {
        SearchSpace space = SearchSpace.fmnist();
        TrainingPreset preset = TrainingPreset.quick();
        DataSplits data = DataSplits.fashionMnist(FashionMnist.load(null, true), 128 * 8, 500);
        List<Phase> all = preset.schedule(space);
        Map<String, Double> rates = new LinkedHashMap<>();
        Map<String, Double> cpuRates = new LinkedHashMap<>();
        for (int i = 0; i < all.size(); i++) {
            Phase p = all.get(i);
            List<Double> secs = new ArrayList<>();
            long[] cpu = new long[2];
            // run this phase alone for 6 steps; the first 2 are warm-up
            Phase one = new Phase(p.name(), 1, p.lr(), p.subnetsPerStep(), p.kernels(), p.expands(), p.depths(),
                    false, 0, p.kdRatio());
            ProgressiveShrinkingTrainer.builder().setSpace(space).optPreset(
                            new TrainingPreset("bench", 0, 0, preset.batchSize(), preset.phaseEpochs(), preset.phaseSubnets(), 0.05, 0, 0, 0))
                    .optSchedule(List.of(one)).optQuiet(true).optStopAfterSteps(6)
                    .optStepListener(s -> {
                        secs.add(s.seconds());
                        if (s.globalStep() == 2) {
                            cpu[0] = OS.getProcessCpuTime();
                        } else if (s.globalStep() == 6) {
                            cpu[1] = OS.getProcessCpuTime();
                        }
                    }).build()
                    .train(data, java.nio.file.Files.createTempDirectory("ofa-bench"), false);
            double t = secs.subList(2, secs.size()).stream().mapToDouble(Double::doubleValue).sum();
            rates.put(p.name(), 4 * preset.batchSize() / t);
            cpuRates.put(p.name(), 4 * preset.batchSize() / ((cpu[1] - cpu[0]) / 1e9));
        }
        StringBuilder sc = new StringBuilder("img per process-CPU-second per phase (idle-machine estimate per core):");
        cpuRates.forEach((k, v) -> sc.append(String.format(Locale.ROOT, " %s %.0f", k, v)));
        System.out.println(sc);
        StringBuilder sb = new StringBuilder("img/s per phase (batch images per second, all subnets of a step):");
        rates.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.0f", k, v)));
        System.out.println(sb);
        int steps = preset.trainImages() / preset.batchSize();
        double total = 0;
        for (int i = 0; i < all.size(); i++) {
            total += all.get(i).epochs() * steps * preset.batchSize() / rates.get(all.get(i).name());
        }
        System.out.printf(Locale.ROOT, "projected quick-preset training time (no eval): %.0f s%n", total);
        assertTrue(total > 0);
    }

    /** Runs the whole quick preset on Fashion-MNIST into {@code -Dofa.runDir} (default a temp dir). */
    @Test
    @EnabledIfSystemProperty(named = "ofa.bench", matches = "quick")
    void runQuickPreset() throws IOException {
        SearchSpace space = SearchSpace.fmnist();
        TrainingPreset preset = TrainingPreset.quick();
        DataSplits data = DataSplits.fashionMnist(FashionMnist.load(null, true), preset.trainImages(), preset.valImages());
        String dir = System.getProperty("ofa.runDir");
        Path run = dir != null ? Path.of(dir) : java.nio.file.Files.createTempDirectory("ofa-quick");
        TrainingResult r = ProgressiveShrinkingTrainer.builder().setSpace(space).optPreset(preset)
                .optLog(System.out).build().train(data, run, true);
        System.out.printf(Locale.ROOT, "quick preset: %d steps, %.0f s wall, checkpoint %s%n", r.globalSteps(),
                r.wallSeconds(), r.checkpoint());
        assertTrue(r.finished());
    }
}
