package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SliceJsonTest {

    @TempDir Path dir;

    static Path fixture(String name) throws Exception {
        return Path.of(SliceJsonTest.class.getResource("/fixtures/" + name).toURI());
    }

    @Test
    void aSliceReportOfTheCurrentVersionLoads() throws Exception {
        SliceJson.Report r = SliceJson.Report.read(fixture("slice-lat-0.186ms.json"));
        assertEquals("lat-0.186ms", r.target());
        assertEquals(0.186, r.constraint().maxLatencyMs().get("cpu-ort-1t"));
        assertNull(r.constraint().maxMacs());
        assertEquals("r28-k7e6.k7e6.k5e6|k7e6.k3e4|k7e4.k3e4.k3e4|k7e4.k3e3", r.arch().toArch().key());
        assertEquals(0.8685, r.measured().valAccuracy());
        assertEquals(30, r.measured().latencyWarmup());
        assertEquals(2, r.measured().machineSlowdownVsProfile().size());
        assertEquals("measurement", r.search().latencyCheckedBy());
        assertEquals(2, r.candidates().size());
        assertEquals("r28-k7e6.k7e6.k5e6|k7e6.k3e4|k7e4.k3e4.k3e4|k7e4.k7e3", r.candidates().get(1).key());
        assertFalse(r.predicted().outsideTableRange());
        assertEquals("32c37b1a5a2ae432c677a31c87e2b95d460f1fffa8396fde276b0dc91bbcba3d", r.onnx().sha256());
        assertEquals(7668.145, r.stepMs().get("total"));

        Path again = dir.resolve("again.json");
        r.write(again);
        assertEquals(r, SliceJson.Report.read(again));
    }

    @Test
    void aNewerVersionOrAMissingKeyIsRefusedNamingTheFile() throws Exception {
        String text = Files.readString(fixture("slice-lat-0.186ms.json"));
        Path f = dir.resolve("v9.json");
        Files.writeString(f, text.replace("\"format_version\": 1", "\"format_version\": 9"));
        IOException e = assertThrows(IOException.class, () -> SliceJson.Report.read(f));
        assertEquals(f + ": slice report has format_version 9; this build reads version 1", e.getMessage());
        Files.writeString(f, text.replace("\"target\":", "\"tarrget\":"));
        e = assertThrows(IOException.class, () -> SliceJson.Report.read(f));
        assertTrue(e.getMessage().equals(f + ": 'target' is missing"), e.getMessage());
    }
}
