package ofa4j.cli.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Exercises the server over loopback with a real HTTP client and a backend whose answers are known. */
class SlicingServerTest {

    /** Answers with the request's latency bound echoed; counts calls; slow enough to overlap. */
    static final class FakeBackend implements ServeBackend {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public HttpBodies.SpaceBody space() {
            return new HttpBodies.SpaceBody(ofa4j.models.SpaceJson.of(ofa4j.models.SearchSpace.fmnist()), "abc");
        }

        @Override
        public List<String> devices() {
            return List.of("cpu-ort-1t", "phone");
        }

        @Override
        public HttpBodies.SliceAnswer slice(SliceRequest r) {
            calls.incrementAndGet();
            if (r.maxMacs() != null && r.maxMacs() < 1000) {
                throw new IllegalArgumentException("max_macs " + r.maxMacs() + " is below the cheapest subnet (1409496 MACs)");
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new HttpBodies.SliceAnswer(ofa4j.models.SearchSpace.fmnist().min().toJsonRecord(),
                    "r20-k3e3|" + r.device() + "|" + r.maxLatencyMs(),
                    new HttpBodies.Predicted(null, null, r.maxLatencyMs() == null ? 1.0 : r.maxLatencyMs() / 2), null, 0, 0,
                    0, 0, 0, 0, null, null, null);
        }

        @Override
        public byte[] onnx(HttpBodies.SliceAnswer result) {
            return result.key().getBytes(StandardCharsets.UTF_8);
        }
    }

    private FakeBackend backend;
    private SlicingServer server;
    private HttpClient http;
    private String base;

    @BeforeEach
    void start() {
        backend = new FakeBackend();
        server = new SlicingServer(backend, 16, 2);
        int port = server.start("127.0.0.1", 0);
        base = "http://127.0.0.1:" + port;
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<byte[]> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static JsonObject json(HttpResponse<String> r) {
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    @Test
    void listsDevicesAndSpace() throws Exception {
        HttpResponse<byte[]> r = get("/v1/devices");
        assertEquals(200, r.statusCode());
        assertEquals("{\"devices\":[\"cpu-ort-1t\",\"phone\"]}", new String(r.body(), StandardCharsets.UTF_8));
        assertEquals(200, get("/v1/space").statusCode());
    }

    @Test
    void sameRequestCostsOneSearchAndModelDownloads() throws Exception {
        HttpResponse<String> first = post("/v1/slice", "{\"device\":\"phone\",\"max_latency_ms\":5}");
        assertEquals(200, first.statusCode(), first.body());
        JsonObject a = json(first);
        assertFalse(a.get("cached").getAsBoolean());
        assertEquals(2.5, a.getAsJsonObject("predicted").get("latency_ms").getAsDouble());
        // same constraint written differently (5.0 vs 5, field order) hits the cache
        JsonObject b = json(post("/v1/slice", "{\"max_latency_ms\":5.0,\"device\":\"phone\"}"));
        assertTrue(b.get("cached").getAsBoolean());
        assertEquals(a.get("id"), b.get("id"));
        assertEquals(1, backend.calls.get());
        HttpResponse<byte[]> m = get(a.get("onnx").getAsString());
        assertEquals(200, m.statusCode());
        assertArrayEquals("r20-k3e3|phone|5.0".getBytes(StandardCharsets.UTF_8), m.body());
    }

    @Test
    void fiftyConcurrentRequestsShareSearches() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(50);
        try {
            List<Future<HttpResponse<String>>> fs = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String body = "{\"device\":\"cpu-ort-1t\",\"max_latency_ms\":" + (1 + i % 5) + "}";
                fs.add(pool.submit(() -> post("/v1/slice", body)));
            }
            for (int i = 0; i < 50; i++) {
                HttpResponse<String> r = fs.get(i).get();
                assertEquals(200, r.statusCode(), r.body());
                assertEquals((1 + i % 5) / 2.0, json(r).getAsJsonObject("predicted").get("latency_ms").getAsDouble());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(5, backend.calls.get(), "5 distinct requests, 5 searches");
        assertEquals(5, server.searches());
    }

    @Test
    void badRequestsNameTheField() throws Exception {
        HttpResponse<String> r = post("/v1/slice", "{\"device\":\"phone\",\"max_latency_ms\":-1}");
        assertEquals(400, r.statusCode());
        assertEquals("max_latency_ms", json(r).get("field").getAsString());
        r = post("/v1/slice", "{\"device\":\"phone\",\"max_macs\":\"lots\"}");
        assertEquals(400, r.statusCode());
        assertEquals("max_macs", json(r).get("field").getAsString());
        r = post("/v1/slice", "{\"device\":\"phone\",\"colour\":1}");
        assertEquals(400, r.statusCode());
        assertEquals("colour", json(r).get("field").getAsString());
        r = post("/v1/slice", "{not json");
        assertEquals(400, r.statusCode());
        assertEquals("body", json(r).get("field").getAsString());
        r = post("/v1/slice", "{\"max_latency_ms\":3}");
        assertEquals(400, r.statusCode());
        assertEquals("device", json(r).get("field").getAsString());
        r = post("/v1/slice", "{\"device\":\"phone\",\"min_resolution\":28,\"max_resolution\":20}");
        assertEquals(400, r.statusCode());
        assertEquals("min_resolution", json(r).get("field").getAsString());
        // a resolution beyond an int is refused by name, not wrapped (4294967316 would wrap to 20)
        r = post("/v1/slice", "{\"device\":\"phone\",\"max_resolution\":4294967316}");
        assertEquals(400, r.statusCode());
        assertEquals("max_resolution", json(r).get("field").getAsString());
        r = post("/v1/slice", "{\"device\":\"phone\",\"min_resolution\":3e9}");
        assertEquals(400, r.statusCode());
        assertEquals("min_resolution", json(r).get("field").getAsString());
        assertEquals(0, backend.calls.get(), "bad requests never reach the search");
    }

    @Test
    void unknownDeviceIs404AndImpossibleConstraintIs422() throws Exception {
        HttpResponse<String> r = post("/v1/slice", "{\"device\":\"toaster\"}");
        assertEquals(404, r.statusCode());
        assertTrue(json(r).get("error").getAsString().contains("'toaster'"), r.body());
        r = post("/v1/slice", "{\"device\":\"phone\",\"max_macs\":10}");
        assertEquals(422, r.statusCode());
        assertTrue(json(r).get("error").getAsString().contains("1409496"), r.body());
    }

    @Test
    void oversizedBodiesAndPathTricksAreRefused() throws Exception {
        String big = "{\"device\":\"phone\",\"pad\":\"" + "x".repeat(40_000) + "\"}";
        HttpResponse<String> r = post("/v1/slice", big);
        assertTrue(r.statusCode() == 413 || r.statusCode() == 400, r.statusCode() + " " + r.body());
        assertEquals(400, get("/v1/models/..%2F..%2Fetc%2Fpasswd").statusCode());
        assertEquals(400, get("/v1/models/report.json").statusCode());
        assertEquals(404, get("/v1/models/0123456789abcdef.onnx").statusCode());
        assertEquals(404, get("/v1/nothing").statusCode());
    }
}
