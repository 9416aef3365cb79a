package ofa4j.spark;

import java.io.File;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Starts the Spark context of an {@code ofa} command: embedded ({@code local[N]}) or as the driver
 * of a standalone cluster ({@code spark://HOST:PORT}). Settings the user gave as {@code -Dspark.*}
 * system properties (or through {@code spark-submit}) win over the defaults here.
 */
public final class SparkContexts {

    /** Master URLs accepted by {@code --spark}. */
    public static final String MASTERS = "local, local[N], local[*], local[N,F] or spark://HOST:PORT";

    private static final Pattern MASTER = Pattern.compile(
            "local|local\\[(\\*|[1-9][0-9]*)]|local\\[(\\*|[1-9][0-9]*),[1-9][0-9]*]|spark://[^\\s/:]+:[1-9][0-9]*(,[^\\s/:]+:[1-9][0-9]*)*");

    private SparkContexts() {}

    /**
     * Checks a master URL.
     *
     * @param master the URL
     * @return the URL
     * @throws IllegalArgumentException naming the URL and the forms allowed
     */
    public static String checkMaster(String master) {
        if (master == null || !MASTER.matcher(master).matches()) {
            throw new IllegalArgumentException("--spark must be " + MASTERS + ", found '" + master + "'");
        }
        return master;
    }

    /**
     * The settings of a context for {@code master}: app name; no web UI; executors run DJL offline
     * with passive OpenMP waits and one task per {@code threadsPerTask} cores ({@code
     * spark.task.cpus}); on a cluster, the driver's own class path
     * as the executors' extra class path (ofa installed at the same path on every node) unless
     * {@code spark.jars} or {@code spark.executor.extraClassPath} is set.
     *
     * @param master the master URL
     * @param appName the application name
     * @param threadsPerTask threads of each task
     * @param extra further settings (win over the defaults, not over system properties)
     * @return the configuration
     */
    public static SparkConf conf(String master, String appName, int threadsPerTask, Map<String, String> extra) {
        checkMaster(master);
        if (threadsPerTask < 1) {
            throw new IllegalArgumentException("threads per task must be >= 1, found " + threadsPerTask);
        }
        SparkConf conf = new SparkConf(); // loads -Dspark.* system properties
        conf.setIfMissing("spark.master", master);
        conf.setIfMissing("spark.app.name", appName);
        extra.forEach(conf::setIfMissing);
        conf.setIfMissing("spark.ui.enabled", "false");
        conf.setIfMissing("spark.task.cpus", Integer.toString(threadsPerTask));
        // PyTorch's intra-op threads are set by each task (the table's calibration threads)
        conf.setIfMissing("spark.executor.extraJavaOptions", "-Dai.djl.offline=true -Dai.djl.pytorch.num_interop_threads=1");
        conf.setIfMissing("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE");
        if (master.startsWith("spark://") && !conf.contains("spark.jars") && !conf.contains("spark.executor.extraClassPath")) {
            conf.set("spark.executor.extraClassPath", driverClassPath());
        }
        return conf;
    }

    /**
     * Starts a context (stop it when done; {@link JavaSparkContext} is {@link AutoCloseable}).
     *
     * @param master the master URL
     * @param appName the application name
     * @param threadsPerTask threads of each task
     * @param extra further settings
     * @return the context, logging warnings only
     */
    public static JavaSparkContext start(String master, String appName, int threadsPerTask, Map<String, String> extra) {
        JavaSparkContext sc = new JavaSparkContext(conf(master, appName, threadsPerTask, extra));
        sc.setLogLevel("WARN");
        return sc;
    }

    /**
     * The driver's class path with each entry made absolute: the application's jars, as a worker
     * finds them when ofa is installed at the same path on every node. Launched with {@code java
     * -jar}, the class path is the jar alone and the manifest's {@code Class-Path} entries are added.
     *
     * @return the entries, separated by {@link File#pathSeparator}
     */
    static String driverClassPath() {
        String cp = System.getProperty("java.class.path", "");
        java.util.List<String> entries = new java.util.ArrayList<>();
        for (String e : cp.split(File.pathSeparator)) {
            if (e.isEmpty()) {
                continue;
            }
            File f = new File(e).getAbsoluteFile();
            entries.add(f.getPath());
            if (f.getName().endsWith(".jar")) {
                entries.addAll(manifestClassPath(f));
            }
        }
        return entries.stream().distinct().collect(Collectors.joining(File.pathSeparator));
    }

    private static java.util.List<String> manifestClassPath(File jar) {
        try (java.util.jar.JarFile j = new java.util.jar.JarFile(jar)) {
            java.util.jar.Manifest m = j.getManifest();
            String cp = m == null ? null : m.getMainAttributes().getValue(java.util.jar.Attributes.Name.CLASS_PATH);
            if (cp == null) {
                return java.util.List.of();
            }
            File dir = jar.getParentFile();
            return Arrays.stream(cp.trim().split("\\s+")).filter(s -> !s.isEmpty())
                    .map(s -> new File(dir, s).getAbsolutePath()).toList();
        } catch (java.io.IOException e) {
            return java.util.List.of();
        }
    }
}
