package ofa4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubnetTest {

    @TempDir Path dir;

    private static Map<String, Tensor> randomTensors(SearchSpace s, ArchConfig a, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : Subnet.layout(s, a).entrySet()) {
            int n = 1;
            for (int d : e.getValue()) {
                n *= d;
            }
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) rng.nextDouble(-1, 1);
            }
            m.put(e.getKey(), new Tensor(e.getValue(), v));
        }
        return m;
    }

    @Test
    void layoutParamsEqualTheCostModelsCount() {
        SearchSpace s = SearchSpace.fmnist();
        SplittableRandom rng = new SplittableRandom(2);
        for (int i = 0; i < 50; i++) {
            ArchConfig a = s.sample(rng);
            long n = 0;
            for (Map.Entry<String, int[]> e : Subnet.layout(s, a).entrySet()) {
                if (e.getKey().endsWith(".mean") || e.getKey().endsWith(".var")) {
                    continue; // running statistics are not trainable parameters
                }
                long p = 1;
                for (int d : e.getValue()) {
                    p *= d;
                }
                n += p;
            }
            assertEquals(new CostModel(s).params(a), n, a.key());
        }
    }

    @Test
    void saveLoadRoundTripIsExact() throws IOException {
        SearchSpace s = SearchSpace.fmnist();
        ArchConfig a = s.sample(new SplittableRandom(4));
        Subnet sub = new Subnet(s, a, randomTensors(s, a, 1), 1e-5, Map.of("seed", "1"));
        Path f = dir.resolve("a.subnet");
        sub.save(f);
        Subnet back = Subnet.load(f);
        assertEquals(s, back.space());
        assertEquals(a, back.arch());
        assertEquals(sub.tensors(), back.tensors());
        assertEquals("1", back.metadata().get("seed"));
        assertEquals(1e-5, back.bnEps());
    }

    @Test
    void corruptOrTruncatedFilesAreRefused() throws IOException {
        SearchSpace s = SearchSpace.fmnist();
        ArchConfig a = s.min();
        Path f = dir.resolve("b.subnet");
        new Subnet(s, a, randomTensors(s, a, 2), 1e-5, Map.of()).save(f);
        byte[] bytes = Files.readAllBytes(f);
        bytes[bytes.length / 2] ^= 1;
        Path bad = dir.resolve("bad.subnet");
        Files.write(bad, bytes);
        IOException e = assertThrows(IOException.class, () -> Subnet.load(bad));
        assertTrue(e.getMessage().contains("bad.subnet") && e.getMessage().contains("SHA-256"), e.getMessage());
        Files.write(bad, java.util.Arrays.copyOf(Files.readAllBytes(f), 1000));
        assertThrows(IOException.class, () -> Subnet.load(bad));
        Files.writeString(bad, "hello");
        e = assertThrows(IOException.class, () -> Subnet.load(bad));
        assertTrue(e.getMessage().contains("OFA4JSUB"), e.getMessage());
    }

    @Test
    void missingOrMisshapenTensorsAreNamed() {
        SearchSpace s = SearchSpace.fmnist();
        ArchConfig a = s.max();
        Map<String, Tensor> t = randomTensors(s, a, 3);
        t.remove("blocks.5.dw.weight");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new Subnet(s, a, t, 1e-5, Map.of()));
        assertTrue(e.getMessage().contains("blocks.5.dw.weight") && e.getMessage().contains("[144, 1, 7, 7]"), e.getMessage());
        t.put("blocks.5.dw.weight", new Tensor(new int[] {144, 1, 5, 5}, new float[144 * 25]));
        e = assertThrows(IllegalArgumentException.class, () -> new Subnet(s, a, t, 1e-5, Map.of()));
        assertTrue(e.getMessage().contains("found [144, 1, 5, 5]"), e.getMessage());
    }
}
