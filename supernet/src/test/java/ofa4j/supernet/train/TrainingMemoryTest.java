package ofa4j.supernet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import ofa4j.models.SearchSpace;
import ofa4j.supernet.data.DataSplits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1,000 training steps must not grow the process: every NDArray of a step has to be freed.
 *
 * <p>The Java heap is made resident before the baseline is taken: run after other test classes in
 * the same JVM, RSS first grew ~330 MB at a steady rate while the training loop's garbage walked
 * through a 1 GB committed-but-never-touched eden for the first time, then stayed flat to the MB
 * once the whole eden had been touched. That is first-touch of heap pages, not a leak, so the test
 * cycles eden twice with throw-away arrays at the warm-up point and then requires RSS to stay
 * within 5%.
 */
@org.junit.jupiter.api.Tag("perf") // RSS of a 1,000-step soak: mvn -Pperf verify (SupernetMemoryTest counts live arrays in every build)
class TrainingMemoryTest {

    @TempDir Path tmp;

    private static OneThread threads;

    @BeforeAll
    static void oneThread() {
        threads = OneThread.enter();
    }

    @AfterAll
    static void restoreThreads() {
        threads.close();
    }

    static long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/status", e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    /** Allocates garbage until two more young collections have run, so eden is resident. */
    static long touchHeap() {
        long sink = 0;
        long start = gcCount();
        for (int i = 0; i < 20_000 && gcCount() < start + 2; i++) {
            byte[] b = new byte[1 << 20];
            b[i % b.length] = 1;
            sink += b[0];
        }
        return sink;
    }

    private static long gcCount() {
        long n = 0;
        for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    @Test
    void rssStaysFlatOver1000Steps() throws IOException {
        SearchSpace space = TinyRuns.tinySpace(List.of(20));
        // One elastic phase with distillation: teacher forward + a random subnet per step.
        Phase p = new Phase("all", 1, 0.02, 1, space.kernels(), space.expandRatios(), space.depths(), false, 0, 1);
        DataSplits data = TinyRuns.noiseSplits(8 * 1000, 9);
        long[] rss = new long[1001];
        long[] heap = new long[1001];
        java.lang.management.MemoryMXBean mem = java.lang.management.ManagementFactory.getMemoryMXBean();
        ProgressiveShrinkingTrainer t = ProgressiveShrinkingTrainer.builder()
                .setSpace(space).optPreset(TinyRuns.noEval(8)).optSchedule(List.of(p)).optSeed(3).optQuiet(true)
                .optStepListener(s -> {
                    if (s.globalStep() == 200) {
                        touchHeap();
                    }
                    if (s.globalStep() % 50 == 0) {
                        rss[(int) s.globalStep()] = rssKb();
                        heap[(int) s.globalStep()] = mem.getHeapMemoryUsage().getCommitted() / 1024;
                    }
                })
                .build();
        TrainingResult r = t.train(data, tmp.resolve("mem"), false);
        assertEquals(1000, r.globalSteps());
        long warm = rss[200];
        long end = rss[1000];
        long max = 0;
        StringBuilder trace = new StringBuilder();
        for (int i = 200; i <= 1000; i += 50) {
            max = Math.max(max, rss[i]);
            trace.append(i).append(": rss ").append(rss[i] / 1024).append(" heap committed ").append(heap[i] / 1024).append(" MB; ");
        }
        System.out.println("memory after warm-up: " + trace);
        assertTrue(end <= warm * 1.05 && max <= warm * 1.05,
                "RSS grew by more than 5% after warm-up (a leak of per-step arrays?): "
                        + trace);
    }
}
