package ofa4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Files written by earlier builds still load (fixtures under src/test/resources/fixtures). */
class FormatFixturesTest {

    static Path fixture(String name) throws URISyntaxException {
        return Path.of(FormatFixturesTest.class.getResource("/fixtures/" + name).toURI());
    }

    @Test
    void spaceFileLoads() throws Exception {
        SearchSpace s = JsonFiles.read(fixture("space-fmnist.json"), SpaceJson.class).toSpace();
        assertEquals(SearchSpace.fmnist(), s);
    }

    @Test
    void archFileLoads() throws Exception {
        ArchConfig a = ArchConfig.fromJson(JsonFiles.readText(fixture("arch.json")));
        assertEquals(List.of(3, 2, 3, 2), a.depths());
        assertEquals(28, a.resolution());
        assertEquals("r28-k7e6.k7e6.k5e6|k7e6.k3e4|k7e4.k3e4.k3e4|k7e4.k3e3", a.key());
        SearchSpace.fmnist().validate(a);
    }

    @Test
    void subnetFileV1Loads() throws Exception {
        Subnet s = Subnet.load(fixture("subnet-v1.subnet"));
        assertEquals("fixture", s.space().name());
        assertEquals(42, s.tensors().size());
        assertEquals(-0.7730993f, s.tensors().get("stem.conv.weight").data()[0]);
        assertEquals("abc123", s.metadata().get("checkpoint_sha256"));
        assertEquals(1e-5, s.bnEps());
    }

    @Test
    void recordsWriteWhatTheyRead() throws IOException {
        SpaceJson j = SpaceJson.of(SearchSpace.fmnist());
        assertEquals(j, JsonFiles.parse(JsonFiles.GSON.toJson(j), SpaceJson.class, "test"));
    }
}
