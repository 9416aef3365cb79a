package ofa4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonFilesTest {

    record Sample(int formatVersion, String deviceName, double lutMs) {
        Sample {
            JsonFiles.required(deviceName, "device_name");
            if (lutMs < 0) {
                throw new IllegalArgumentException("'lut_ms' must be >= 0, found " + lutMs);
            }
        }
    }

    @TempDir Path dir;

    @Test
    void recordsRoundTripWithSnakeCaseKeys() throws IOException {
        Path f = dir.resolve("s.json");
        JsonFiles.write(f, new Sample(1, "pi<4>", 0.25));
        String text = Files.readString(f);
        assertTrue(text.contains("\"device_name\": \"pi<4>\""), text);
        assertTrue(text.contains("\"lut_ms\": 0.25"), text);
        assertEquals(new Sample(1, "pi<4>", 0.25), JsonFiles.read(f, Sample.class));
    }

    @Test
    void aRefusedValueNamesTheFileAndTheKey() throws IOException {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{\"format_version\":1,\"device_name\":\"x\",\"lut_ms\":-2}");
        IOException e = assertThrows(IOException.class, () -> JsonFiles.read(f, Sample.class));
        assertEquals(f + ": 'lut_ms' must be >= 0, found -2.0", e.getMessage());
        Files.writeString(f, "{\"format_version\":1,\"lut_ms\":2}");
        e = assertThrows(IOException.class, () -> JsonFiles.read(f, Sample.class));
        assertEquals(f + ": 'device_name' is missing", e.getMessage());
        Files.writeString(f, "{\"format_version\":1,\"device_name\":\"x\",\"lut_ms\":NaN}");
        e = assertThrows(IOException.class, () -> JsonFiles.read(f, Sample.class));
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
    }

    @Test
    void textThatIsNotJsonOfTheRightShapeGetsOneLineSayingWhereAndWhat() throws IOException {
        Path f = dir.resolve("m.json");
        Files.writeString(f, "{\"device_name\": oops}");
        IOException e = assertThrows(IOException.class, () -> JsonFiles.read(f, Sample.class));
        assertEquals(f + ": malformed JSON at line 1 column 17 path $.device_name", e.getMessage());
        Files.writeString(f, "{\"format_version\": 1, ");
        e = assertThrows(IOException.class, () -> JsonFiles.read(f, Sample.class));
        assertEquals(f + ": the JSON ends early at line 1 column 23 path $.format_version", e.getMessage());
        Files.writeString(f, "[1, 2]");
        e = assertThrows(IOException.class, () -> JsonFiles.read(f, Sample.class));
        assertEquals(f + ": expected a JSON object, found an array at line 1 column 2 path $", e.getMessage());
        Files.writeString(f, "{\"format_version\": 1, \"device_name\": [1], \"lut_ms\": 1}");
        e = assertThrows(IOException.class, () -> JsonFiles.read(f, Sample.class));
        assertEquals(f + ": expected a string, found an array at line 1 column 39 path $.device_name", e.getMessage());
    }

    @Test
    void nonUtf8TextNamesTheFileAndTheOffset() throws IOException {
        Path f = dir.resolve("latin1.json");
        Files.write(f, new byte[] {'{', '"', 'a', (byte) 0xe9, '"', '}'});
        IOException e = assertThrows(IOException.class, () -> JsonFiles.read(f, Sample.class));
        assertEquals(f + " is not UTF-8 text: byte 0xe9 at offset 3", e.getMessage());
    }

    @Test
    void jsonLinesNameTheBadLine() throws IOException {
        Path f = dir.resolve("rows.jsonl");
        Files.writeString(f, JsonFiles.toLine(new Sample(1, "a", 1)) + "\n\n{\"format_version\":1}\n");
        IOException e = assertThrows(IOException.class, () -> JsonFiles.readLines(f, Sample.class));
        assertEquals(f + " line 3: 'device_name' is missing", e.getMessage());
    }

    @Test
    void tensorFilesRoundTripAndRefuseDamage() throws IOException {
        byte[] magic = "OFA4JTST".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("w", new Tensor(new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, -6.5f}));
        t.put("b", new Tensor(new int[] {0}, new float[0]));
        JsonObject h = new JsonObject();
        h.addProperty("note", "x");
        Path f = dir.resolve("t.bin");
        TensorFiles.write(f, magic, 2, h, "tensors", t);
        TensorFiles.Contents c = TensorFiles.read(f, magic, "test file", 1, 2, "tensors");
        assertEquals(2, c.version());
        assertEquals("x", c.header().get("note").getAsString());
        assertEquals(List.of("w", "b"), new ArrayList<>(c.tensors().keySet()));
        assertArrayEquals(t.get("w").data(), c.tensors().get("w").data());
        assertArrayEquals(new int[] {2, 3}, c.tensors().get("w").shape());

        IOException e = assertThrows(IOException.class, () -> TensorFiles.read(f, magic, "test file", 3, 3, "tensors"));
        assertEquals(f + " has test file format version 2; this build reads version 3", e.getMessage());
        byte[] bytes = Files.readAllBytes(f);
        bytes[bytes.length - 40] ^= 1;
        Files.write(f, bytes);
        e = assertThrows(IOException.class, () -> TensorFiles.read(f, magic, "test file", 1, 2, "tensors"));
        assertEquals(f + " is corrupt or truncated: SHA-256 check failed", e.getMessage());
    }

    @Test
    void shuffleKeepsTheFisherYatesDrawOrder() {
        int[] p = Shuffle.permutation(10, new SplittableRandom(7));
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            l.add(i);
        }
        Shuffle.shuffle(l, new SplittableRandom(7));
        for (int i = 0; i < 10; i++) {
            assertEquals(p[i], l.get(i));
        }
        int[] sorted = p.clone();
        java.util.Arrays.sort(sorted);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, sorted);
    }

    @Test
    void aSampleIsThePrefixOfAForwardPartialShuffle() {
        // pinned: the BN calibration images of every table and slice are drawn this way
        assertArrayEquals(new int[] {6, 7, 5, 0}, Shuffle.sample(10, 4, new SplittableRandom(7)));
        assertEquals(0, Shuffle.sample(5, 0, new SplittableRandom(1)).length);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Shuffle.sample(3, 4, new SplittableRandom(1)));
    }
}
