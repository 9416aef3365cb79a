package ofa4j.predictor;

import static ofa4j.predictor.DeviceProfileFileTest.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files of a profiling kit: a kit written by an earlier build (its kit.json, manifest.csv and
 * subnet architecture, without the ONNX models) loads and writes back the same, and timings CSV
 * files as spreadsheets and scripts write them (byte-order mark, quotes, CRLF, comments) import.
 */
class RemoteKitFilesTest {

    private static final SearchSpace SPACE = SearchSpace.fmnist();

    @TempDir Path dir;

    private static Path kit() {
        return fixture("kit/kit.json").getParent();
    }

    @Test
    void aKitOfAnEarlierBuildLoadsAndWritesBackTheSameFiles() throws IOException {
        RemoteKit.Kit k = RemoteKit.Kit.read(kit());
        assertEquals(1, k.batchSize());
        assertEquals("2026-12-04T20:36:40Z", k.created());
        assertEquals(SPACE, k.space());
        List<RemoteKit.Entry> m = RemoteKit.readManifest(kit());
        assertEquals(154, m.size());
        assertEquals("layer", m.get(0).kind());
        assertEquals("STEM:r20:i1:o16:k3:s2:h_swish", m.get(0).key());
        assertEquals("layers/L0000.onnx", m.get(0).file());
        assertArrayEquals(new long[] {1, 1, 20, 20}, m.get(0).inputShape());
        RemoteKit.Entry s = m.get(153);
        assertEquals("subnet", s.kind());
        assertEquals("r28-k3e6.k7e3.k5e3|k7e3.k5e3.k7e6|k7e3.k5e3.k7e6|k5e4.k7e3.k7e6.k3e4", s.key());
        assertEquals("subnets/S000.onnx", s.file());
        assertEquals(LayerVariants.enumerate(SPACE).keySet(),
                new java.util.LinkedHashSet<>(m.stream().filter(e -> e.kind().equals("layer")).map(RemoteKit.Entry::key).toList()));

        k.write(dir);
        assertEquals(Files.readString(kit().resolve("kit.json")), Files.readString(dir.resolve(RemoteKit.KIT_FILE)));
        List<List<String>> rows = new ArrayList<>();
        for (RemoteKit.Entry e : m) {
            StringBuilder shape = new StringBuilder();
            for (long d : e.inputShape()) {
                shape.append(shape.length() == 0 ? "" : "x").append(d);
            }
            rows.add(List.of(e.kind(), e.key(), e.file(), shape.toString()));
        }
        KitCsv.write(dir.resolve(RemoteKit.MANIFEST), RemoteKit.MANIFEST_COLUMNS, rows);
        assertEquals(Files.readString(kit().resolve("manifest.csv")), Files.readString(dir.resolve(RemoteKit.MANIFEST)));
    }

    /** Timings of every manifest key: a layer takes 0.01 ms + its index / 1000, the subnet 2 ms. */
    private static List<String[]> timings() throws IOException {
        List<String[]> out = new ArrayList<>();
        int i = 0;
        for (RemoteKit.Entry e : RemoteKit.readManifest(kit())) {
            double ms = e.kind().equals("layer") ? 0.01 + i++ / 1000.0 : 2.0;
            out.add(new String[] {e.key(), String.format(Locale.ROOT, "%.4f", ms)});
        }
        return out;
    }

    @Test
    void timingsWithAByteOrderMarkQuotesCrlfAndCommentsImport() throws IOException {
        StringBuilder csv = new StringBuilder("\uFEFF\"key\",\"median_ms\"\r\n# measured on a phone, ORT 1.23\r\n\r\n");
        for (String[] t : timings()) {
            csv.append('"').append(t[0]).append("\", ").append(t[1]).append("\r\n");
        }
        Path f = dir.resolve("timings.csv");
        Files.write(f, csv.toString().getBytes(StandardCharsets.UTF_8));
        Map<String, Double> read = RemoteKit.readTimings(f);
        assertEquals(154, read.size());
        assertEquals(0.01, read.get("STEM:r20:i1:o16:k3:s2:h_swish"));
        assertEquals(2.0, read.get("r28-k3e6.k7e3.k5e3|k7e3.k5e3.k7e6|k7e3.k5e3.k7e6|k5e4.k7e3.k7e6.k3e4"));

        DeviceProfile p = RemoteKit.importTimings(kit(), f, "phone-ort-1t", "onnxruntime", 1);
        assertEquals(153, p.lutMs().size());
        assertEquals(0.01 + 152 / 1000.0, p.lutMs().get("BLOCK:r4:i40:h240:o64:k7:s2:h_swish:se0:res0"), 1e-12);
        // one subnet timing is too few to fit the correction: none, and the fit error is undefined
        assertEquals(0.0, p.interceptMs());
        assertEquals(1.0, p.scale());
        assertEquals(1, p.measurement().subnets());
        assertTrue(Double.isNaN(p.measurement().fitMapePercent()));
        Path saved = dir.resolve("phone.json");
        p.save(saved);
        assertEquals(p.lutMs(), DeviceProfile.load(saved).lutMs());
    }

    @Test
    void aQuotedKeyMayHoldACommaAndABadValueNamesFileLineAndColumn() throws IOException {
        Path f = dir.resolve("timings.csv");
        Files.writeString(f, "key,median_ms\n\"odd,key\",0.5\n");
        assertEquals(Map.of("odd,key", 0.5), RemoteKit.readTimings(f));
        IOException e = assertThrows(IOException.class,
                () -> RemoteKit.importTimings(kit(), f, "x", "onnxruntime", 1));
        assertTrue(e.getMessage().contains("'odd,key'"), e.getMessage());

        Files.writeString(f, "key,median_ms\r\n# comment\r\n\r\nSTEM:a,0.5\r\nSTEM:b,fast\r\n");
        e = assertThrows(IOException.class, () -> RemoteKit.readTimings(f));
        assertTrue(e.getMessage().contains(f + " line 5 column 2 (median_ms)") && e.getMessage().contains("'fast'"),
                e.getMessage());
        Files.writeString(f, "STEM:a,0.5\nSTEM:a,0.6\n");
        e = assertThrows(IOException.class, () -> RemoteKit.readTimings(f));
        assertTrue(e.getMessage().contains("line 2 column 1 (key)") && e.getMessage().contains("duplicate"), e.getMessage());
        Files.writeString(f, "STEM:a,0.5,7\n");
        e = assertThrows(IOException.class, () -> RemoteKit.readTimings(f));
        assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("expected 2 values"), e.getMessage());
        Files.writeString(f, "STEM:a,-0.5\n");
        e = assertThrows(IOException.class, () -> RemoteKit.readTimings(f));
        assertTrue(e.getMessage().contains("line 1 column 2") && e.getMessage().contains("-0.5"), e.getMessage());
        Files.writeString(f, "\"STEM:a,0.5\n");
        e = assertThrows(IOException.class, () -> RemoteKit.readTimings(f));
        assertTrue(e.getMessage().contains(f + " is not valid CSV"), e.getMessage());
    }

    /** A copy of the fixture kit whose manifest's line 2 has {@code file} as its model file. */
    private Path kitWithFile(String file) throws IOException {
        Path k = dir.resolve("kit");
        Files.createDirectories(k.resolve("subnets"));
        Files.copy(kit().resolve("kit.json"), k.resolve("kit.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        List<String> lines = new ArrayList<>(Files.readAllLines(kit().resolve("manifest.csv")));
        lines.set(1, lines.get(1).replace("layers/L0000.onnx", file));
        Files.write(k.resolve("manifest.csv"), lines);
        return k;
    }

    @Test
    void aManifestFileMustStayInsideTheKitDirectory() throws IOException {
        for (String bad : List.of("/etc/passwd", "../outside.onnx", "layers/../../outside.onnx", "")) {
            Path k = kitWithFile(bad);
            IOException e = assertThrows(IOException.class, () -> RemoteKit.readManifest(k), bad);
            assertTrue(e.getMessage().contains(k.resolve("manifest.csv") + " line 2 column 3 (file)"), e.getMessage());
            assertTrue(e.getMessage().contains(bad.startsWith("/") ? "absolute path '/etc/passwd'"
                    : bad.isEmpty() ? "found nothing" : "outside the kit directory"), e.getMessage());
        }
        assertEquals("layers/../layers/L0000.onnx",
                RemoteKit.readManifest(kitWithFile("layers/../layers/L0000.onnx")).get(0).file());
    }

    @Test
    void aManifestWithABadHeaderKindOrShapeNamesLineAndColumn() throws IOException {
        Path k = kitWithFile("layers/L0000.onnx");
        Path m = k.resolve("manifest.csv");
        String text = Files.readString(m);
        Files.writeString(m, text.replace("kind,key,file,input_shape", "kind,key,path,shape"));
        IOException e = assertThrows(IOException.class, () -> RemoteKit.readManifest(k));
        assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("kind,key,file,input_shape"), e.getMessage());
        Files.writeString(m, text.replace("layer,STEM", "tensor,STEM"));
        e = assertThrows(IOException.class, () -> RemoteKit.readManifest(k));
        assertTrue(e.getMessage().contains("line 2 column 1 (kind)") && e.getMessage().contains("'tensor'"), e.getMessage());
        Files.writeString(m, text.replace("1x1x20x20", "1x1x20x"));
        e = assertThrows(IOException.class, () -> RemoteKit.readManifest(k));
        assertTrue(e.getMessage().contains("line 2 column 4 (input_shape)") && e.getMessage().contains("'1x1x20x'"),
                e.getMessage());
        // CRLF line ends and a byte-order mark are read as well
        Files.write(m, ("\uFEFF" + text.replace("\n", "\r\n")).getBytes(StandardCharsets.UTF_8));
        assertEquals(154, RemoteKit.readManifest(k).size());
    }

    @Test
    void aKitOfAnotherFormatOrVersionIsRefused() throws IOException {
        Path k = kitWithFile("layers/L0000.onnx");
        String text = Files.readString(k.resolve("kit.json"));
        Files.writeString(k.resolve("kit.json"), text.replace("\"version\": 1", "\"version\": 2"));
        IOException e = assertThrows(IOException.class, () -> RemoteKit.Kit.read(k));
        assertTrue(e.getMessage().contains(k.resolve("kit.json").toString()) && e.getMessage().contains("version 2"),
                e.getMessage());
        Files.writeString(k.resolve("kit.json"), text.replace("\"batch_size\": 1", "\"batch_size\": 0"));
        e = assertThrows(IOException.class, () -> RemoteKit.Kit.read(k));
        assertTrue(e.getMessage().contains("'batch_size' must be >= 1, found 0"), e.getMessage());
    }
}
