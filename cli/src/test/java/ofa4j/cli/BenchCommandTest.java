package ofa4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {

    @TempDir Path dir;

    @Test
    void missingJarIsAUsageErrorNamingTheBuildCommand() {
        CliRunner.Result r = CliRunner.run("bench", "--jar", dir.resolve("none.jar").toString(), "--out", dir.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("none.jar") && r.err().contains("mvn -B -DskipTests -pl jmh -am package"), r.err());
    }

    @Test
    void runsTheJarAndWritesJsonAndTable() throws Exception {
        // a jar whose main class is FakeJmh, written from the compiled test class
        Path jar = dir.resolve("fake-benchmarks.jar");
        java.util.jar.Manifest mf = new java.util.jar.Manifest();
        mf.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(java.util.jar.Attributes.Name.MAIN_CLASS, FakeJmh.class.getName());
        String entry = FakeJmh.class.getName().replace('.', '/') + ".class";
        try (java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(java.nio.file.Files.newOutputStream(jar), mf);
                java.io.InputStream in = FakeJmh.class.getClassLoader().getResourceAsStream(entry)) {
            out.putNextEntry(new java.util.jar.JarEntry(entry));
            in.transferTo(out);
            out.closeEntry();
        }
        CliRunner.Result r = CliRunner.run("bench", "--jar", jar.toString(), "--out", dir.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(java.nio.file.Files.readString(dir.resolve("bench.md")).contains("| FakeBench.run | n=14 | thrpt | 42.00 | 1.5 | ops/s |"),
                java.nio.file.Files.readString(dir.resolve("bench.md")));
        assertTrue(java.nio.file.Files.size(dir.resolve("bench.json")) > 50);
    }

    @Test
    void tableShowsScoresAndParams() {
        String json = "[{\"benchmark\":\"ofa4j.jmh.SearchBench.evolution\",\"mode\":\"avgt\","
                + "\"params\":{\"space\":\"fmnist\"},"
                + "\"primaryMetric\":{\"score\":123.456,\"scoreError\":4.5,\"scoreUnit\":\"ms/op\"}}]";
        String t = BenchCommand.table(JsonParser.parseString(json).getAsJsonArray());
        assertTrue(t.contains("| SearchBench.evolution | space=fmnist | avgt | 123.5 | 4.5 | ms/op |"), t);
    }
}
