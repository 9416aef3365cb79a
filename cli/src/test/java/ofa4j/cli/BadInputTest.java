package ofa4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input that needs no trained run: one line naming the value, the right exit code, nothing written. */
class BadInputTest {

    @TempDir Path dir;

    @Test
    void aDeviceNameThatWouldLeaveDevicesIsRefused() {
        Path kit = dir.resolve("kit");
        for (String bad : new String[] {"../../x", "a/b", ".hidden", "x..y"}) {
            CliRunner.Result r = CliRunner.run("profile", "--import", dir.resolve("t.csv").toString(), "--kit",
                    kit.toString(), "--name", bad);
            assertEquals(2, r.code(), bad + ": " + r.err());
            assertTrue(r.err().contains("device name '" + bad + "' is not allowed"), r.err());
        }
        assertFalse(Files.exists(dir.resolve("x.json")) || Files.exists(Path.of("devices")), "nothing was written");
    }

    @Test
    void anArchFileErrorNamesTheFile() throws IOException {
        SearchSpace space = SearchSpace.fmnist();
        Path f = dir.resolve("arch.json");
        Files.writeString(f, "{\"resolution\": 28, \"depths\": [2, 2], \"kernel_sizes\": [3], \"expand_ratios\": [3]}");
        IOException e = assertThrows(IOException.class, () -> ArchOption.parse(f.toString(), space));
        assertTrue(e.getMessage().startsWith("--arch file " + f + ": "), e.getMessage());
        Files.write(f, new byte[] {'{', (byte) 0xff, '}'});
        IOException io = assertThrows(IOException.class, () -> ArchOption.parse(f.toString(), space));
        assertEquals(f + " is not UTF-8 text: byte 0xff at offset 1", io.getMessage());
        Files.writeString(f, space.max().toJson());
        assertEquals(space.max(), ArchOption.parse(f.toString(), space));
    }

    @Test
    void aJvmErrorEndsWithOneLineAndExitOne() {
        java.io.StringWriter w = new java.io.StringWriter();
        int code = Errors.fatal(new OutOfMemoryError("Java heap space"), new java.io.PrintWriter(w), false);
        assertEquals(1, code);
        assertEquals("ofa: out of memory (OutOfMemoryError: Java heap space); give Java more heap, e.g."
                + " OFA_JAVA_OPTS=-Xmx16g ./ofa ..., or use fewer images (--train-images, --calibration-images)",
                w.toString().strip());
        assertEquals(1, w.toString().strip().lines().count());
    }
}
