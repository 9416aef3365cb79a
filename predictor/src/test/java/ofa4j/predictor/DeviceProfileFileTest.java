package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The device profile file: a profile written by an earlier build loads, and writing it gives the same bytes. */
class DeviceProfileFileTest {

    @TempDir Path dir;

    static Path fixture(String name) {
        try {
            return Path.of(DeviceProfileFileTest.class.getResource("/fixtures/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aProfileOfTheQuickRunLoadsWithItsFigures() throws IOException {
        DeviceProfile p = DeviceProfile.load(fixture("cpu-ort-1t.json"));
        assertEquals("cpu-ort-1t", p.name());
        assertEquals("onnxruntime", p.engine());
        assertEquals(1, p.threads());
        assertEquals(1, p.batchSize());
        assertEquals(153, p.lutMs().size());
        assertEquals(0.00515, p.lutMs().get("STEM:r20:i1:o16:k3:s2:h_swish"));
        assertEquals(0.012613, p.lutMs().get("BLOCK:r4:i40:h240:o64:k7:s2:h_swish:se0:res0"));
        assertEquals(0.0, p.interceptMs());
        assertEquals(1.0, p.scale());
        assertEquals(SearchSpace.fmnist(), p.space());
        DeviceProfile.Measurement m = p.measurement();
        assertEquals("AMD EPYC x2", m.cpuModel());
        assertEquals("2026-12-04T19:25:24Z", m.date());
        assertEquals(200, m.repeats());
        assertEquals(153, m.layerVariants());
        assertEquals(16.60730958600923, m.fitMapePercent());
        assertEquals(0.379021, m.anchorMs());
        assertTrue(p.predictMs(p.space().min()) > 0);
    }

    @Test
    void writingALoadedProfileGivesTheSameBytesAsVersion2WithItsPrecision() throws IOException {
        Path f = dir.resolve("again.json");
        DeviceProfile p = DeviceProfile.load(fixture("cpu-ort-1t.json"));
        assertEquals(Precision.FP32, p.precision()); // a version 1 file holds an FP32 profile
        p.save(f);
        String v1 = Files.readString(fixture("cpu-ort-1t.json"));
        String v2 = v1.replace("\"version\": 1", "\"version\": 2");
        v2 = v2.substring(0, v2.lastIndexOf('}')).stripTrailing() + ",\n  \"precision\": \"fp32\"\n}";
        assertEquals(v2, Files.readString(f).stripTrailing());
        DeviceProfile again = DeviceProfile.load(f);
        assertEquals(p, again);
    }

    @Test
    void anInt8ProfileKeepsItsPrecisionAndRefusesFp32ModelsAndBack() throws IOException {
        DeviceProfile fp32 = DeviceProfile.load(fixture("cpu-ort-1t.json"));
        DeviceProfile int8 = new DeviceProfile("cpu-ort-1t-int8", "onnxruntime", 1, 1, fp32.space(), fp32.measurement(),
                fp32.lutMs(), 0.01, 0.8, Precision.INT8);
        Path f = dir.resolve("int8.json");
        int8.save(f);
        assertTrue(Files.readString(f).contains("\"precision\": \"int8\""));
        DeviceProfile back = DeviceProfile.load(f);
        assertEquals(Precision.INT8, back.precision());
        assertEquals(Precision.INT8, back.withFit(0, 1, null).precision());
        assertEquals(back, back.requirePrecision(Precision.INT8));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> back.requirePrecision(Precision.FP32));
        assertEquals("device profile 'cpu-ort-1t-int8' times int8 models, but fp32 models are asked for: use a profile"
                + " of fp32 models (measure one with 'ofa profile --precision fp32')", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> fp32.requirePrecision(Precision.INT8));
        assertTrue(e.getMessage().startsWith("device profile 'cpu-ort-1t' times fp32 models, but int8"), e.getMessage());
        // a version 2 file names its precision; a bad one is refused naming it
        Files.writeString(f, Files.readString(f).replace("\"precision\": \"int8\"", "\"precision\": \"int4\""));
        IOException io = assertThrows(IOException.class, () -> DeviceProfile.load(f));
        assertTrue(io.getMessage().contains("precision must be one of [fp32, int8], found 'int4'"), io.getMessage());
        Files.writeString(f, Files.readString(f).replace(",\n  \"precision\": \"int4\"", ""));
        io = assertThrows(IOException.class, () -> DeviceProfile.load(f));
        assertTrue(io.getMessage().contains("precision"), io.getMessage());
        // INT8 models are ONNX models: no INT8 profile of the PyTorch engine
        e = assertThrows(IllegalArgumentException.class, () -> new DeviceProfile("pt", "pytorch", 1, 1, fp32.space(), null,
                fp32.lutMs(), 0, 1, Precision.INT8));
        assertTrue(e.getMessage().contains("INT8 profiles are measured in onnxruntime, found engine 'pytorch'"),
                e.getMessage());
    }

    @Test
    void anUndefinedErrorIsWrittenAsNullAndReadBackAsNaN() throws IOException {
        DeviceProfile p = DeviceProfile.load(fixture("cpu-ort-1t.json"));
        DeviceProfile.Measurement m = new DeviceProfile.Measurement("remote", "unknown", "unknown",
                "2026-01-01T00:00:00Z", -1, -1, 153, 0, 0, Double.NaN, Double.NaN);
        Path f = dir.resolve("imported.json");
        p.withFit(0.25, 0.9, m).save(f);
        String text = Files.readString(f);
        assertTrue(text.contains("\"fitMapePercent\": null") && !text.contains("anchorMs"), text.substring(0, 600));
        DeviceProfile back = DeviceProfile.load(f);
        assertTrue(Double.isNaN(back.measurement().fitMapePercent()));
        assertNull(back.measurement().anchorMs());
        assertEquals(0.25, back.interceptMs());
        assertEquals(0.9, back.scale());
        assertEquals(p.lutMs(), back.lutMs());
        assertEquals(p.predictMs(p.space().max()) * 0.9 + 0.25, back.predictMs(p.space().max()), 1e-12);
    }

    @Test
    void anotherFormatOrVersionIsRefusedNamingFileAndValue() throws IOException {
        String text = Files.readString(fixture("cpu-ort-1t.json"));
        Path f = dir.resolve("p.json");
        Files.writeString(f, text.replace("\"version\": 1", "\"version\": 7"));
        IOException e = assertThrows(IOException.class, () -> DeviceProfile.load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("version 7")
                && e.getMessage().contains("v1-2"), e.getMessage());
        Files.writeString(f, text.replace("ofa4j-device-profile", "ofa4j-kit"));
        e = assertThrows(IOException.class, () -> DeviceProfile.load(f));
        assertTrue(e.getMessage().contains("'ofa4j-kit'"), e.getMessage());
        Files.writeString(f, text.replace("\"threads\": 1", "\"threads\": 0"));
        e = assertThrows(IOException.class, () -> DeviceProfile.load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("threads"), e.getMessage());
        Files.writeString(f, text.replace("0.00515", "-1"));
        e = assertThrows(IOException.class, () -> DeviceProfile.load(f));
        assertTrue(e.getMessage().contains("STEM:r20:i1:o16:k3:s2:h_swish") && e.getMessage().contains("-1"),
                e.getMessage());
        Map<String, Double> none = Map.of();
        assertThrows(IllegalArgumentException.class,
                () -> new DeviceProfile("x", "onnxruntime", 1, 1, SearchSpace.fmnist(), null, none, 0, 1));
    }
}
