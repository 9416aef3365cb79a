package ofa4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataRecordTest {

    @TempDir Path dir;

    @Test
    void aRecordOfTheCurrentVersionLoadsAndRoundTrips() throws Exception {
        Path run = Path.of(DataRecordTest.class.getResource("/fixtures/run-fmnist/data.json").toURI()).getParent();
        DataOptions.Source s = DataOptions.Source.read(run);
        assertEquals(DataOptions.Source.FASHION_MNIST, s.kind());
        assertEquals(Path.of("/usr/share/datasets/fashion-mnist"), s.dir());
        assertEquals(28, s.imageSize());
        assertEquals(10, s.classNames().size());

        DataOptions.Source folder = new DataOptions.Source(DataOptions.Source.IMAGE_FOLDER, dir.resolve("pets"), 3, 32,
                List.of("cat", "dog"));
        folder.write(dir);
        assertEquals(folder, DataOptions.Source.read(dir));
    }

    @Test
    void aBadValueIsNamedWithTheFile() throws Exception {
        Path f = dir.resolve(DataOptions.RECORD_FILE);
        Files.writeString(f, "{\"format_version\":1,\"kind\":\"image-folder\",\"dir\":\"/x\",\"channels\":2,"
                + "\"image_size\":28,\"class_names\":[\"a\"]}");
        IOException e = assertThrows(IOException.class, () -> DataOptions.Source.read(dir));
        assertEquals(f + ": 'channels' must be 1 or 3, found 2", e.getMessage());
    }
}
