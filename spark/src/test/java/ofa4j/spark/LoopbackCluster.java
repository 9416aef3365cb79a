package ofa4j.spark;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.launcher.JavaModuleOptions;

/**
 * A real Spark standalone cluster on 127.0.0.1, started from the Spark jars on this JVM's class
 * path (no Spark download): a Master and N Workers, each a separate JVM that this class starts and
 * stops by its own process handle. A Spark home is made of links to the jars plus a {@code RELEASE}
 * file (without it, and without {@code SPARK_SCALA_VERSION}, a Worker takes the home for a source
 * build and cannot launch executors).
 */
final class LoopbackCluster implements AutoCloseable {

    private static final long REGISTER_TIMEOUT_MS = 90_000;

    private final Path dir;
    private final int port;
    private final Process master;
    private final List<Process> workers = new ArrayList<>();

    private LoopbackCluster(Path dir, int port, Process master) {
        this.dir = dir;
        this.port = port;
        this.master = master;
    }

    /**
     * Starts a Master and {@code n} Workers and waits until every Worker has registered.
     *
     * @param dir a scratch directory (Spark home, logs, work directories)
     * @param n workers
     * @param cores cores each worker offers
     * @param memory memory each worker offers, e.g. {@code 2g}
     * @return the running cluster
     */
    static LoopbackCluster start(Path dir, int n, int cores, String memory) throws IOException, InterruptedException {
        Path home = sparkHome(dir.resolve("spark-home"));
        int port = freePort();
        Process m = java(home, dir.resolve("master.log"), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                "--port", Integer.toString(port), "--webui-port", Integer.toString(freePort()));
        LoopbackCluster c = new LoopbackCluster(dir, port, m);
        try {
            for (int i = 0; i < n; i++) {
                Path work = Files.createDirectories(dir.resolve("worker-" + i));
                c.workers.add(java(home, dir.resolve("worker-" + i + ".log"), "org.apache.spark.deploy.worker.Worker",
                        "--host", "127.0.0.1", "--cores", Integer.toString(cores), "--memory", memory, "--webui-port",
                        Integer.toString(freePort()), "--work-dir", work.toString(), c.url()));
            }
            c.awaitLog(dir.resolve("master.log"), "Registering worker", n);
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** @return the master URL */
    String url() {
        return "spark://127.0.0.1:" + port;
    }

    /** @return the workers' processes */
    List<Process> workers() {
        return workers;
    }

    /**
     * The worker whose child is the executor process {@code pid}.
     *
     * @param pid an executor's process id
     * @return its worker, if one of ours
     */
    Optional<Process> workerOf(long pid) {
        return workers.stream().filter(w -> w.descendants().anyMatch(d -> d.pid() == pid)).findFirst();
    }

    /**
     * Kills a worker and its executors at once (SIGKILL), as a machine that goes away.
     *
     * @param worker one of {@link #workers()}
     */
    static void kill(Process worker) {
        worker.descendants().forEach(ProcessHandle::destroyForcibly);
        worker.destroyForcibly();
    }

    /** @return the executors' stderr files, for messages when a test fails */
    String executorLogs() {
        StringBuilder sb = new StringBuilder();
        try (var s = Files.walk(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
                String t = Files.readString(p, StandardCharsets.UTF_8);
                sb.append("== ").append(p).append('\n').append(t, Math.max(0, t.length() - 3000), t.length());
            }
        } catch (IOException e) {
            sb.append(e);
        }
        return sb.toString();
    }

    /** Stops the workers (and their executors), then the master, and waits for them. */
    @Override
    public void close() {
        for (Process w : workers) {
            kill(w);
        }
        master.descendants().forEach(ProcessHandle::destroyForcibly);
        master.destroyForcibly();
        try {
            for (Process w : workers) {
                w.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
            }
            master.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void awaitLog(Path log, String line, int times) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + REGISTER_TIMEOUT_MS;
        while (true) {
            String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            int found = text.split(java.util.regex.Pattern.quote(line), -1).length - 1;
            if (found >= times) {
                return;
            }
            if (!master.isAlive() || System.currentTimeMillis() > deadline) {
                throw new IllegalStateException(found + " of " + times + " workers registered with " + url() + " in "
                        + REGISTER_TIMEOUT_MS / 1000 + " s; master log:\n" + text);
            }
            Thread.sleep(200);
        }
    }

    /** A Spark home: {@code jars/} linking every jar of this JVM's class path, and a RELEASE file. */
    private static Path sparkHome(Path home) throws IOException {
        Path jars = Files.createDirectories(home.resolve("jars"));
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e).toAbsolutePath();
            if (e.endsWith(".jar") && Files.isRegularFile(p) && !Files.exists(jars.resolve(p.getFileName()))) {
                Files.createSymbolicLink(jars.resolve(p.getFileName()), p);
            }
        }
        Files.writeString(home.resolve("RELEASE"), "Spark jars of the ofa4j test class path\n");
        return home;
    }

    private static Process java(Path home, Path log, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.addAll(List.of(JavaModuleOptions.defaultModuleOptionArray()));
        cmd.add("-cp");
        cmd.add(home.resolve("jars") + File.separator + "*");
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        return pb.start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
