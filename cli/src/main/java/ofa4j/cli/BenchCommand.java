package ofa4j.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import ofa4j.models.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ofa bench}: runs the fixed, short JMH suite of {@code jmh/target/benchmarks.jar} in a
 * child JVM (one fork, short iterations: figures for comparing within one run, not absolute
 * claims) and writes {@code bench.json} (JMH's own) and {@code bench.md} (a table).
 */
@Command(
        name = "bench",
        description = "Run the short benchmark suite (JMH) and write bench.json and a bench.md table.",
        footer = {"", "Examples:", "  ofa bench --out runs/bench", "  ofa bench --include 'Search|Predictor' --out runs/bench"})
final class BenchCommand implements Callable<Integer> {

    /** The fixed suite: one regex over benchmark class names. */
    static final String SUITE = "ofa4j\\.jmh\\..*";

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Option(names = "--include", description = "Regex of benchmarks to run (default: the whole suite).")
    String include = SUITE;

    @Option(names = "--jar", description = "Benchmarks jar (default: <ofa home>/jmh/target/benchmarks.jar).")
    Path jar;

    @Option(names = "--iterations", defaultValue = "3", description = "Measurement iterations (default ${DEFAULT-VALUE}).")
    int iterations;

    @Override
    public Integer call() throws Exception {
        Path benchJar = jar != null ? jar : CommonOptions.home().resolve("jmh/target/benchmarks.jar");
        if (!Files.isRegularFile(benchJar)) {
            throw new IllegalArgumentException(
                    "benchmarks jar " + benchJar + " not found; build it with: mvn -B -DskipTests -pl jmh -am package");
        }
        if (iterations < 1 || iterations > 50) {
            throw new IllegalArgumentException("--iterations must be in [1, 50], found " + iterations);
        }
        Path out = common.outDir("bench");
        Files.createDirectories(out);
        Path json = out.resolve("bench.json");
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-jar", benchJar.toString(), include,
                "-f", "1", "-wi", "1", "-w", "2s", "-i", Integer.toString(iterations), "-r", "2s",
                // prepend, so that each benchmark's own @Fork(jvmArgsAppend) (e.g. 1 PyTorch thread) still applies
                "-jvmArgsPrepend", "-Dai.djl.offline=true",
                "-rf", "json", "-rff", json.toString()));
        PrintWriter w = spec.commandLine().getOut();
        w.println("running: " + String.join(" ", cmd));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
        Process p = pb.inheritIO().redirectOutput(common.quiet ? ProcessBuilder.Redirect.DISCARD
                : ProcessBuilder.Redirect.INHERIT).start();
        int code = p.waitFor();
        if (code != 0 || !Files.isRegularFile(json)) {
            throw new IOException("JMH exited with code " + code + " and wrote no results to " + json);
        }
        String table = table(JsonParser.parseString(Files.readString(json)).getAsJsonArray());
        AtomicFiles.writeString(out.resolve("bench.md"), table);
        w.print(table);
        w.println("wrote " + json + " and " + out.resolve("bench.md"));
        return 0;
    }

    /**
     * Formats JMH JSON results as a Markdown table.
     *
     * @param results JMH's JSON array
     * @return the table
     */
    static String table(JsonArray results) {
        StringBuilder sb = new StringBuilder("| benchmark | params | mode | score | error | unit |\n|---|---|---|---|---|---|\n");
        for (JsonElement e : results) {
            JsonObject r = e.getAsJsonObject();
            String name = r.get("benchmark").getAsString();
            name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
            StringBuilder params = new StringBuilder();
            if (r.has("params")) {
                r.getAsJsonObject("params").entrySet().forEach(p ->
                        params.append(params.length() == 0 ? "" : ", ").append(p.getKey()).append('=').append(p.getValue().getAsString()));
            }
            JsonObject m = r.getAsJsonObject("primaryMetric");
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %.4g | %.2g | %s |%n", name, params,
                    r.get("mode").getAsString(), m.get("score").getAsDouble(),
                    m.get("scoreError").isJsonPrimitive() && !m.get("scoreError").getAsString().equals("NaN")
                            ? m.get("scoreError").getAsDouble() : Double.NaN,
                    m.get("scoreUnit").getAsString()));
        }
        return sb.toString();
    }
}
