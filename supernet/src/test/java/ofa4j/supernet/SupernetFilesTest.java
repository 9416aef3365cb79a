package ofa4j.supernet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A parameter file written before {@code params.bin} went through {@code TensorFiles} (fixture
 * {@code micro-params-v1.bin}: {@code Supernet.create(TestSpaces.micro(), 7)}, then {@code
 * TestSpaces.randomize(net, 11)}) still loads, and saving it again gives the same bytes.
 */
class SupernetFilesTest {

    @TempDir Path tmp;

    private static final Path FIXTURE = Path.of("src/test/resources/fixtures/micro-params-v1.bin");

    @Test
    void parameterFileOfTheFirstWriterLoadsWithItsValues() throws IOException {
        try (Supernet net = Supernet.create(TestSpaces.micro(), 1)) {
            net.loadParameters(FIXTURE);
            Map<String, ai.djl.nn.Parameter> p = net.trainableParameters();
            assertEquals(43, p.size());
            assertEquals(63, p.size() + net.runningStatistics().size());
            // values read from the fixture by a separate parser of the layout
            assertEquals((float) 0.11705086380243301, p.get("stem.conv.weight").getArray().toFloatArray()[0]);
            assertEquals((float) -0.22458454966545105, p.get("blocks.1.dw.ktrans.5to3").getArray().toFloatArray()[1]);
            assertEquals((float) -0.07823443412780762, p.get("classifier.bias").getArray().toFloatArray()[1]);
            assertEquals((float) 0.16874593496322632, net.runningStatistics().get("stem.bn.mean").toFloatArray()[0]);
            assertEquals((float) 1.4572234153747559, net.runningStatistics().get("stem.bn.var").toFloatArray()[1]);
        }
    }

    @Test
    void savingALoadedFileGivesTheSameBytes() throws IOException {
        Path again = tmp.resolve("params.bin");
        try (Supernet net = Supernet.create(TestSpaces.micro(), 1)) {
            net.loadParameters(FIXTURE);
            net.saveParameters(again);
        }
        assertArrayEquals(Files.readAllBytes(FIXTURE), Files.readAllBytes(again));
    }
}
