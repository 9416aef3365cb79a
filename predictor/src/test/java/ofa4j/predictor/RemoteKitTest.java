package ofa4j.predictor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import ofa4j.models.ArchConfig;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kit for a remote device, timings CSV written here as the device would, imported back. */
class RemoteKitTest {

    private final SearchSpace space = SearchSpace.fmnist();

    @TempDir Path dir;

    @Test
    void kitRoundTripBuildsTheProfileFromACsv() throws IOException {
        Path kit = dir.resolve("kit");
        List<RemoteKit.Entry> entries = RemoteKit.write(space, new ExporterModels(), kit, 4, 1, 5);
        Map<String, LayerSpec> variants = LayerVariants.enumerate(space);
        assertEquals(variants.size() + 4, entries.size());
        assertEquals(entries.size(), RemoteKit.readManifest(kit).size());
        for (RemoteKit.Entry e : entries) {
            assertTrue(Files.size(kit.resolve(e.file())) > 0, e.file());
            if (e.kind().equals("layer")) {
                LayerSpec l = variants.get(e.key());
                long[] want = l.kind() == LayerSpec.Kind.FEATURE_MIX || l.kind() == LayerSpec.Kind.CLASSIFIER
                        ? new long[] {1, l.inChannels()}
                        : new long[] {1, l.inChannels(), l.inResolution(), l.inResolution()};
                assertArrayEquals(want, e.inputShape(), e.key());
            }
        }
        // the "device": a layer takes 0.01 ms + 1 ns per MAC; a subnet 0.1 ms + 0.8 x the sum
        StringBuilder csv = new StringBuilder("key,median_ms\n");
        Map<String, Double> layerMs = new java.util.HashMap<>();
        for (Map.Entry<String, LayerSpec> v : variants.entrySet()) {
            double ms = 0.01 + ofa4j.models.CostModel.macs(v.getValue()) * 1e-6;
            layerMs.put(v.getKey(), ms);
            csv.append(v.getKey()).append(',').append(String.format(Locale.ROOT, "%.9f", ms)).append('\n');
        }
        List<ArchConfig> archs = AccuracyDatasetBuilder.sampleDistinct(space, 4, 5);
        for (ArchConfig a : archs) {
            double sum = 0;
            for (LayerSpec l : space.layers(a)) {
                sum += layerMs.get(l.key());
            }
            csv.append(a.key()).append(',').append(String.format(Locale.ROOT, "%.9f", 0.1 + 0.8 * sum)).append('\n');
        }
        Path timings = dir.resolve("timings.csv");
        Files.writeString(timings, csv);
        DeviceProfile p = RemoteKit.importTimings(kit, timings, "phone-ort-4t", "onnxruntime", 4);
        assertEquals("phone-ort-4t", p.deviceName());
        assertEquals(4, p.threads());
        assertEquals(variants.size(), p.lutMs().size());
        assertEquals(0.1, p.interceptMs(), 1e-6);
        assertEquals(0.8, p.scale(), 1e-6);
        ArchConfig other = space.max();
        double sum = 0;
        for (LayerSpec l : space.layers(other)) {
            sum += layerMs.get(l.key());
        }
        assertEquals(0.1 + 0.8 * sum, p.predictMs(other), 1e-5);

        // a CSV naming a key the kit does not have, or lacking one, is refused with the key
        Files.writeString(timings, csv + "BLOCK:r99:bogus,0.5\n");
        IOException e = assertThrows(IOException.class, () -> RemoteKit.importTimings(kit, timings, "x", "onnxruntime", 1));
        assertTrue(e.getMessage().contains("BLOCK:r99:bogus"), e.getMessage());
        String firstKey = variants.keySet().iterator().next();
        Files.writeString(timings, csv.toString().replace(firstKey + ",", "#" + firstKey + ","));
        IOException e2 = assertThrows(IOException.class, () -> RemoteKit.importTimings(kit, timings, "x", "onnxruntime", 1));
        assertTrue(e2.getMessage().contains(firstKey), e2.getMessage());
        Files.writeString(timings, "key,median_ms\n" + firstKey + ",fast\n");
        IOException e3 = assertThrows(IOException.class, () -> RemoteKit.importTimings(kit, timings, "x", "onnxruntime", 1));
        assertTrue(e3.getMessage().contains("line 2") && e3.getMessage().contains("fast"), e3.getMessage());
    }
}
