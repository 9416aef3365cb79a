package ofa4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import ofa4j.predictor.AccuracyDataset;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.RidgeAccuracyPredictor;
import ofa4j.slicer.Fleet;
import ofa4j.slicer.IndependentFleet;
import ofa4j.slicer.SliceStage;
import ofa4j.supernet.Supernet;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The accuracy table on a real standalone cluster on loopback: a Master and two Workers as separate
 * JVMs (one core each), executors launched by the Workers; one Worker is killed with its executor
 * after the first task returns, and the table still ends identical to the in-process one. Then a
 * fleet of two targets on the surviving executor delivers the in-process slices.
 */
class StandaloneClusterTableTest {

    @TempDir Path dir;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void twoWorkerTableEqualsTheInProcessOneEvenWhenAWorkerIsKilledMidJob() throws Exception {
        TinyTable t = new TinyTable(dir);
        Path ref = dir.resolve("in-process/accuracy.jsonl");
        t.inProcess(ref, 16);
        try (LoopbackCluster cluster = LoopbackCluster.start(dir.resolve("cluster"), 2, 1, "1g")) {
            JavaSparkContext sc = SparkContexts.start(cluster.url(), "StandaloneClusterTableTest", 1,
                    Map.of("spark.driver.host", "127.0.0.1", "spark.driver.bindAddress", "127.0.0.1",
                            "spark.executor.memory", "768m"));
            try {
                awaitExecutors(sc, 2, cluster);
                Path table = dir.resolve("spark/accuracy.jsonl");
                AtomicLong killed = new AtomicLong(-1);
                SparkAccuracyTable.Result r = t.onSpark(sc, table, 16).optSubnetsPerTask(2).optListener(report -> {
                    // the executor that returned first has already been given its next task: kill
                    // its worker (and so the executor) while that task runs
                    if (killed.get() < 0) {
                        killed.set(report.pid());
                        LoopbackCluster.kill(cluster.workerOf(report.pid()).orElseThrow());
                    }
                }).build().run();
                List<TaskReport> tasks = r.tasks();
                assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(table), cluster.executorLogs());
                assertEquals(16, r.table().newRows());
                assertEquals(8, r.partitions());
                assertEquals(8, tasks.size());
                Set<Long> pids = tasks.stream().map(TaskReport::pid).collect(Collectors.toSet());
                assertEquals(2, pids.size(), "executor processes " + pids);
                assertTrue(!pids.contains(ProcessHandle.current().pid()));
                // the task the killed executor was running ran again elsewhere
                assertTrue(tasks.stream().anyMatch(x -> x.attempt() >= 1), "attempts " + tasks.stream()
                        .map(x -> x.partition() + "#" + x.attempt() + "@" + x.pid()).toList());
                // the killed executor returned the one task that triggered the kill, the survivor all others
                assertEquals(1, tasks.stream().filter(x -> x.pid() == killed.get()).count());

                // a fleet of two targets on the surviving executor's JVM: the in-process slices
                DeviceProfile device = SparkLocalFleetTest.profile(t.space);
                List<Fleet.Target> targets = SparkLocalFleetTest.targets(t.space, device).subList(1, 3);
                RidgeAccuracyPredictor predictor = RidgeAccuracyPredictor.fit(t.space, AccuracyDataset.read(table, t.space), 5);
                SliceStage.LoopSettings loop = new SliceStage.LoopSettings(2, 1, TinyTable.CALIBRATION_IMAGES, 0);
                SliceStage.Slices want;
                int before = Threads.set(1);
                try (Supernet net = t.file.open("the test")) {
                    want = IndependentFleet.run(t.space, t.file.sha256(), t.data, predictor, device, targets,
                            dir.resolve("fleet-in-process"), loop, null, "evolution", 300L, 5, false,
                            IndependentFleet.inProcess(net, t.data), null);
                } finally {
                    Threads.set(before);
                }
                List<SparkFleet.Jobs> jobs = new java.util.ArrayList<>();
                SliceStage.Slices got = IndependentFleet.run(t.space, t.file.sha256(), t.data, predictor, device, targets,
                        dir.resolve("fleet-spark"), loop, null, "evolution", 300L, 5, false,
                        SparkFleet.runner(sc, t.file, t.data, 1, 1, 1, jobs::add), null);
                for (int i = 0; i < 2; i++) {
                    assertEquals(want.reports().get(i).candidate().arch().key(), got.reports().get(i).candidate().arch().key());
                    assertEquals(want.reports().get(i).candidate().predictedAccuracy(),
                            got.reports().get(i).candidate().predictedAccuracy(), 0.0);
                    assertEquals(want.reports().get(i).valAccuracy(), got.reports().get(i).valAccuracy(), 0.0);
                }
                assertEquals(Set.of(tasks.stream().filter(x -> x.pid() != killed.get()).findFirst().orElseThrow().pid()),
                        jobs.get(0).tasks().stream().map(FleetTaskReport::pid).collect(Collectors.toSet()));
            } finally {
                sc.stop();
            }
        }
    }

    private static void awaitExecutors(JavaSparkContext sc, int n, LoopbackCluster cluster) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 90_000;
        while (sc.sc().statusTracker().getExecutorInfos().length < n + 1) { // the driver is listed too
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException(n + " executors did not register in 90 s:\n" + cluster.executorLogs());
            }
            Thread.sleep(200);
        }
    }
}
