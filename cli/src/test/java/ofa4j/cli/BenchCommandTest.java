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
    void tableShowsScoresAndParams() {
        String json = "[{\"benchmark\":\"ofa4j.jmh.SearchBench.evolution\",\"mode\":\"avgt\","
                + "\"params\":{\"space\":\"fmnist\"},"
                + "\"primaryMetric\":{\"score\":123.456,\"scoreError\":4.5,\"scoreUnit\":\"ms/op\"}}]";
        String t = BenchCommand.table(JsonParser.parseString(json).getAsJsonArray());
        assertTrue(t.contains("| SearchBench.evolution | space=fmnist | avgt | 123.5 | 4.5 | ms/op |"), t);
    }
}
