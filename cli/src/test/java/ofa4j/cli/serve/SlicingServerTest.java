package ofa4j.cli.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Exercises the server over loopback with a real HTTP client and a backend whose answers are known:
 * one test per probe of the service's hardening (status code and the error body's field and
 * message). Waits are bounded; nothing asserts a duration.
 */
class SlicingServerTest {

    /**
     * Answers with the request's latency bound echoed; counts calls. A closed {@link #gate} makes
     * searches wait for it (or for their cancellation, at most 30 s); {@link #errorOnce} makes the
     * next search throw an {@link Error}.
     */
    static final class FakeBackend implements ServeBackend {
        final AtomicInteger calls = new AtomicInteger();
        volatile long delayMs = 200;
        volatile CountDownLatch gate;
        final CountDownLatch sawCancel = new CountDownLatch(1);
        final AtomicBoolean errorOnce = new AtomicBoolean();

        @Override
        public HttpBodies.SpaceBody space() {
            return new HttpBodies.SpaceBody(ofa4j.models.SpaceJson.of(ofa4j.models.SearchSpace.fmnist()), "abc");
        }

        @Override
        public List<String> devices() {
            return List.of("cpu-ort-1t", "phone");
        }

        @Override
        public void check(SliceRequest r) {
            if (r.maxMacs() != null && r.maxMacs() < 100) {
                throw new IllegalArgumentException("max_macs " + r.maxMacs() + " is below the cheapest subnet (1409496 MACs)");
            }
        }

        @Override
        public HttpBodies.SliceAnswer slice(SliceRequest r, Cancel cancel) {
            calls.incrementAndGet();
            if (errorOnce.getAndSet(false)) {
                throw new AssertionError("backend broke");
            }
            if (r.maxMacs() != null && r.maxMacs() < 1000) { // passes check(), fails in the search
                throw new IllegalArgumentException("no measured candidate meets max_macs " + r.maxMacs());
            }
            CountDownLatch g = gate;
            try {
                if (g != null) {
                    for (int i = 0; i < 3000 && !g.await(10, TimeUnit.MILLISECONDS); i++) {
                        if (cancel.cancelled()) {
                            sawCancel.countDown();
                            cancel.check();
                        }
                    }
                } else if (delayMs > 0) {
                    Thread.sleep(delayMs);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new HttpBodies.SliceAnswer(ofa4j.models.SearchSpace.fmnist().min().toJsonRecord(),
                    "r20-k3e3|" + r.device() + "|" + r.maxLatencyMs(),
                    new HttpBodies.Predicted(null, null, r.maxLatencyMs() == null ? 1.0 : r.maxLatencyMs() / 2), null, 0, 0,
                    0, 0, 0, 0, null, null, null, null);
        }

        @Override
        public byte[] onnx(HttpBodies.SliceAnswer result) {
            return result.key().getBytes(StandardCharsets.UTF_8);
        }
    }

    private final FakeBackend backend = new FakeBackend();
    private SlicingServer server;
    private int port;
    private String base;
    private String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private void start(SlicingServer.Options options) {
        server = new SlicingServer(backend, options);
        port = server.start("127.0.0.1", 0);
        base = "http://127.0.0.1:" + port;
        token = options.token();
    }

    private void start() {
        start(SlicingServer.Options.defaults().withThreads(16, 2));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        return token == null ? b : b.header("Authorization", "Bearer " + token);
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private CompletableFuture<HttpResponse<String>> postAsync(String body) {
        return http.sendAsync(request("/v1/slice").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<byte[]> getBytes(String path) throws Exception {
        return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static JsonObject json(HttpResponse<String> r) {
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    private JsonObject health() throws Exception {
        HttpResponse<String> r = get("/v1/health");
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    private static JsonObject cache(JsonObject health, String prefix) {
        for (JsonElement e : health.getAsJsonArray("caches")) {
            if (e.getAsJsonObject().get("name").getAsString().startsWith(prefix)) {
                return e.getAsJsonObject();
            }
        }
        throw new AssertionError("no cache '" + prefix + "' in " + health);
    }

    /** Polls the health report until {@code test} holds (at most 30 s), returning the last report. */
    private JsonObject healthUntil(java.util.function.Predicate<JsonObject> test) throws Exception {
        JsonObject h = health();
        for (int i = 0; i < 600 && !test.test(h); i++) {
            Thread.sleep(50);
            h = health();
        }
        return h;
    }

    /** One exchange over a socket of our own (headers the JDK client refuses to send, early closes). */
    record Raw(int status, Map<String, String> headers, String body) {
        JsonObject json() {
            return JsonParser.parseString(body).getAsJsonObject();
        }
    }

    private Raw raw(String head, byte[] body) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write((head + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            return readResponse(s.getInputStream());
        }
    }

    private static Raw readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) > 0; ) {
            all.write(buf, 0, n);
        }
        String text = all.toString(StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        String[] lines = text.substring(0, end).split("\r\n");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
        }
        String body = text.substring(end + 4);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            StringBuilder sb = new StringBuilder();
            int at = 0;
            while (true) {
                int eol = body.indexOf("\r\n", at);
                int size = Integer.parseInt(body.substring(at, eol).trim(), 16);
                if (size == 0) {
                    break;
                }
                sb.append(body, eol + 2, eol + 2 + size);
                at = eol + 2 + size + 2;
            }
            body = sb.toString();
        }
        return new Raw(Integer.parseInt(lines[0].split(" ")[1]), headers,
                new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
    }

    @Test
    void listsDevicesAndSpace() throws Exception {
        start();
        HttpResponse<String> r = get("/v1/devices");
        assertEquals(200, r.statusCode());
        assertEquals("{\"devices\":[\"cpu-ort-1t\",\"phone\"],\"precisions\":{\"cpu-ort-1t\":[\"fp32\",\"int8\",\"auto\"],"
                + "\"phone\":[\"fp32\",\"int8\",\"auto\"]}}", r.body());
        assertEquals(200, get("/v1/space").statusCode());
        JsonObject h = health();
        assertEquals("ok", h.get("status").getAsString());
        assertEquals(120, h.get("request_timeout_s").getAsLong());
        assertEquals(SlicingServer.MAX_BODY_BYTES, h.get("max_body_bytes").getAsLong());
        assertEquals(8, h.getAsJsonObject("queue").get("capacity").getAsInt());
    }

    @Test
    void sameRequestCostsOneSearchAndModelDownloads() throws Exception {
        start();
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
        HttpResponse<byte[]> m = getBytes(a.get("onnx").getAsString());
        assertEquals(200, m.statusCode());
        assertArrayEquals("r20-k3e3|phone|5.0".getBytes(StandardCharsets.UTF_8), m.body());
    }

    @Test
    void fiftyConcurrentRequestsShareSearches() throws Exception {
        start();
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
        start();
        String[][] cases = {
            {"{\"device\":\"phone\",\"max_latency_ms\":-1}", "max_latency_ms", "positive"},
            {"{\"device\":\"phone\",\"max_macs\":\"lots\"}", "max_macs", "\"lots\""},
            {"{\"device\":\"phone\",\"colour\":1}", "colour", "allowed"},
            {"{not json", "body", "not valid JSON"},
            {"{'device':'phone'}", "body", "not valid JSON"}, // strict JSON: no single quotes
            {"{\"device\":\"phone\"} trailing", "body", "not valid JSON"},
            {"[1,2]", "body", "JSON object"},
            {"{\"max_latency_ms\":3}", "device", "required"},
            {"{\"device\":7}", "device", "found 7"},
            {"{\"device\":\"phone\",\"device\":\"cpu-ort-1t\"}", "device", "given twice"},
            {"{\"device\":\"phone\",\"min_resolution\":28,\"max_resolution\":20}", "min_resolution", "exceeds"},
            // a resolution beyond an int is refused by name, not wrapped (4294967316 would wrap to 20)
            {"{\"device\":\"phone\",\"max_resolution\":4294967316}", "max_resolution", "4294967316"},
            {"{\"device\":\"phone\",\"min_resolution\":3e9}", "min_resolution", "3e9"},
            {"{\"device\":\"phone\",\"max_params\":2.5}", "max_params", "integer"},
            {"{\"device\":\"phone\",\"max_macs\":1e400}", "max_macs", "finite"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = post("/v1/slice", c[0]);
            assertEquals(400, r.statusCode(), c[0] + " -> " + r.body());
            JsonObject e = json(r);
            assertEquals(c[1], e.get("field").getAsString(), c[0] + " -> " + r.body());
            assertTrue(e.get("error").getAsString().contains(c[2]), c[0] + " -> " + r.body());
            assertEquals(400, e.get("status").getAsInt());
        }
        // bytes that are not UTF-8 are named with their offset
        byte[] latin1 = "{\"device\":\"ph\u00ffone\"}".getBytes(StandardCharsets.ISO_8859_1);
        Raw r = raw("POST /v1/slice HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + latin1.length + "\r\n", latin1);
        assertEquals(400, r.status(), r.body());
        assertEquals("body", r.json().get("field").getAsString());
        assertTrue(r.json().get("error").getAsString().contains("byte 0xff at offset 13"), r.body());
        assertEquals(0, backend.calls.get(), "bad requests never reach the search");
    }

    @Test
    void unknownDeviceIs404AndImpossibleConstraintIs422() throws Exception {
        start();
        HttpResponse<String> r = post("/v1/slice", "{\"device\":\"toaster\"}");
        assertEquals(404, r.statusCode());
        assertEquals("device", json(r).get("field").getAsString());
        assertTrue(json(r).get("error").getAsString().contains("'toaster'"), r.body());
        // impossible at once (the backend's check, before any queueing) ...
        r = post("/v1/slice", "{\"device\":\"phone\",\"max_macs\":10}");
        assertEquals(422, r.statusCode());
        assertEquals("constraint", json(r).get("field").getAsString());
        assertTrue(json(r).get("error").getAsString().contains("1409496"), r.body());
        assertEquals(0, backend.calls.get());
        // ... or found impossible by the search
        r = post("/v1/slice", "{\"device\":\"phone\",\"max_macs\":500}");
        assertEquals(422, r.statusCode());
        assertTrue(json(r).get("error").getAsString().contains("no measured candidate"), r.body());
    }

    @Test
    void oversizedBodiesAndPathTricksAreRefused() throws Exception {
        start();
        String big = "{\"device\":\"phone\",\"pad\":\"" + "x".repeat(40_000) + "\"}";
        HttpResponse<String> r = post("/v1/slice", big);
        assertEquals(413, r.statusCode(), r.body());
        assertEquals("body", json(r).get("field").getAsString());
        assertTrue(json(r).get("error").getAsString().contains("exceeds 16384 bytes"), r.body());
        assertEquals(400, get("/v1/models/..%2F..%2Fetc%2Fpasswd").statusCode());
        assertEquals(400, get("/v1/models/report.json").statusCode());
        HttpResponse<String> unknown = get("/v1/models/0123456789abcdef.onnx");
        assertEquals(404, unknown.statusCode());
        assertEquals("id", json(unknown).get("field").getAsString());
        // Jetty's own refusals come in the same shape
        Raw garbage = raw("GARBAGE\r\n", new byte[0]);
        assertEquals(400, garbage.status(), garbage.body());
        assertEquals(400, garbage.json().get("status").getAsInt(), garbage.body());
        Raw hugeHeader = raw("GET /v1/devices HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + "p".repeat(20_000) + "\r\n",
                new byte[0]);
        assertEquals(431, hugeHeader.status(), hugeHeader.body());
        assertEquals(431, hugeHeader.json().get("status").getAsInt(), hugeHeader.body());
        HttpResponse<String> nothing = get("/v1/nothing");
        assertEquals(404, nothing.statusCode());
        assertTrue(json(nothing).get("error").getAsString().contains("no such endpoint: GET /v1/nothing"), nothing.body());
    }

    @Test
    void aChunkedBodyOfFiftyMegabytesIs413WithoutBeingRead() throws Exception {
        start();
        long total = 50L << 20;
        AtomicLong sent = new AtomicLong();
        Raw r;
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/slice HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            byte[] chunk = ("10000\r\n" + "{".repeat(65536) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
            Thread writer = new Thread(() -> { // generated bytes; stops when the server stops reading
                try {
                    while (sent.get() < total) {
                        out.write(chunk);
                        sent.addAndGet(65536);
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                } catch (IOException e) {
                    // the server closed the connection: expected
                }
            });
            writer.start();
            r = readResponse(s.getInputStream());
            s.close();
            writer.join(30_000);
        }
        assertEquals(413, r.status(), r.body());
        assertEquals("body", r.json().get("field").getAsString());
        assertTrue(r.json().get("error").getAsString().contains("exceeds 16384 bytes"), r.body());
        assertTrue(sent.get() < total, "the server read " + sent.get() + " bytes of " + total + " before refusing");
        assertEquals(200, get("/v1/devices").statusCode());
        assertEquals(0, backend.calls.get());
    }

    @Test
    void aBodyThatIsNotJsonIs415NamingWhatWasSent() throws Exception {
        start();
        HttpResponse<String> r = http.send(request("/v1/slice").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"device\":\"phone\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(415, r.statusCode(), r.body());
        assertEquals("Content-Type", json(r).get("field").getAsString());
        assertTrue(json(r).get("error").getAsString().contains("'text/plain'")
                && json(r).get("error").getAsString().contains("application/json"), r.body());
        r = http.send(request("/v1/slice").POST(HttpRequest.BodyPublishers.ofString("{\"device\":\"phone\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(415, r.statusCode(), r.body());
        assertTrue(json(r).get("error").getAsString().contains("none was sent"), r.body());
        r = http.send(request("/v1/slice").header("Content-Type", "application/json; charset=latin1")
                .POST(HttpRequest.BodyPublishers.ofString("{\"device\":\"phone\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(415, r.statusCode(), r.body());
        assertTrue(json(r).get("error").getAsString().contains("charset"), r.body());
        r = http.send(request("/v1/slice").header("Content-Type", "Application/JSON; charset=\"UTF-8\"")
                .POST(HttpRequest.BodyPublishers.ofString("{\"device\":\"phone\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(1, backend.calls.get(), "refused bodies never reach the search");
    }

    @Test
    void aHostThatIsNotAllowedIs403NamingIt() throws Exception {
        start(SlicingServer.Options.defaults().withAllowHosts(List.of("ofa.lan")));
        Raw evil = raw("GET /v1/space HTTP/1.1\r\nHost: evil.example\r\n", new byte[0]);
        assertEquals(403, evil.status(), evil.body());
        assertEquals("Host", evil.json().get("field").getAsString());
        assertTrue(evil.json().get("error").getAsString().contains("'evil.example'"), evil.body());
        Raw post = raw("POST /v1/slice HTTP/1.1\r\nHost: evil.example:" + port + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: 18\r\n", "{\"device\":\"phone\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals(403, post.status(), post.body());
        assertEquals(0, backend.calls.get());
        for (String ok : List.of("localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "LOCALHOST", "ofa.lan:" + port)) {
            Raw r = raw("GET /v1/devices HTTP/1.1\r\nHost: " + ok + "\r\n", new byte[0]);
            assertEquals(200, r.status(), ok + ": " + r.body());
        }
        assertEquals("[\"127.0.0.1\",\"[::1]\",\"localhost\",\"ofa.lan\"]",
                health().getAsJsonArray("allowed_hosts").toString());
    }

    @Test
    void aTokenIsRequiredWhenSet() throws Exception {
        start(SlicingServer.Options.defaults().withToken("s3cret-token"));
        token = null;
        HttpResponse<String> r = get("/v1/devices");
        assertEquals(401, r.statusCode(), r.body());
        assertEquals("Authorization", json(r).get("field").getAsString());
        assertEquals("Bearer realm=\"ofa serve\"", r.headers().firstValue("WWW-Authenticate").orElse(""));
        token = "wrong-token";
        r = post("/v1/slice", "{\"device\":\"phone\"}");
        assertEquals(401, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").contains("error=\"invalid_token\""),
                r.headers().map().toString());
        assertEquals(0, backend.calls.get());
        token = "s3cret-token";
        assertEquals(200, get("/v1/devices").statusCode());
        assertEquals(200, post("/v1/slice", "{\"device\":\"phone\"}").statusCode());
        assertTrue(health().get("token_required").getAsBoolean());
    }

    @Test
    void beyondTheQueueIs503AtOnceWithRetryAfterAndCheapGetsStillAnswer() throws Exception {
        backend.gate = new CountDownLatch(1);
        start(SlicingServer.Options.defaults().withThreads(8, 1).withQueue(2));
        CompletableFuture<HttpResponse<String>> running = postAsync("{\"device\":\"phone\",\"max_latency_ms\":1}");
        CompletableFuture<HttpResponse<String>> waiting = postAsync("{\"device\":\"phone\",\"max_latency_ms\":2}");
        JsonObject h = healthUntil(x -> x.getAsJsonObject("queue").get("running").getAsInt() == 1
                && x.getAsJsonObject("queue").get("waiting").getAsInt() == 1);
        assertEquals(1, h.getAsJsonObject("queue").get("waiting").getAsInt(), h.toString());
        HttpResponse<String> busy = post("/v1/slice", "{\"device\":\"phone\",\"max_latency_ms\":3}");
        assertEquals(503, busy.statusCode(), busy.body());
        assertTrue(Long.parseLong(busy.headers().firstValue("Retry-After").orElse("0")) >= 1, busy.headers().map().toString());
        assertTrue(json(busy).get("error").getAsString().contains("limit 2"), busy.body());
        // the cheap requests are answered on Jetty's threads while both search slots are taken
        assertEquals(200, get("/v1/devices").statusCode());
        assertEquals(200, get("/v1/space").statusCode());
        // an identical request joins its search instead of being refused
        CompletableFuture<HttpResponse<String>> joined = postAsync("{\"device\":\"phone\",\"max_latency_ms\":1}");
        backend.gate.countDown();
        assertEquals(200, running.get(30, TimeUnit.SECONDS).statusCode());
        assertEquals(200, waiting.get(30, TimeUnit.SECONDS).statusCode());
        assertEquals(200, joined.get(30, TimeUnit.SECONDS).statusCode());
        assertEquals(2, backend.calls.get());
        assertEquals(1, health().getAsJsonObject("queue").get("rejected").getAsLong());
    }

    @Test
    void anErrorInTheBackendIs500AndTheSameRequestIsAnsweredNextTime() throws Exception {
        start();
        backend.errorOnce.set(true);
        HttpResponse<String> broken = post("/v1/slice", "{\"device\":\"phone\",\"max_latency_ms\":4}");
        assertEquals(500, broken.statusCode(), broken.body());
        assertTrue(json(broken).get("error").getAsString().contains("AssertionError"), broken.body());
        HttpResponse<String> again = post("/v1/slice", "{\"device\":\"phone\",\"max_latency_ms\":4}"); // 30 s client timeout
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(2.0, json(again).getAsJsonObject("predicted").get("latency_ms").getAsDouble());
        assertEquals(2, backend.calls.get());
    }

    @Test
    void theTimeLimitIs503NamingItAndCancelsTheSearch() throws Exception {
        backend.gate = new CountDownLatch(1);
        start(SlicingServer.Options.defaults().withRequestTimeout(Duration.ofSeconds(1)));
        HttpResponse<String> r = post("/v1/slice", "{\"device\":\"phone\",\"max_latency_ms\":6}");
        assertEquals(503, r.statusCode(), r.body());
        assertTrue(json(r).get("error").getAsString().contains("time limit of 1 s")
                && json(r).get("error").getAsString().contains("--request-timeout"), r.body());
        assertTrue(backend.sawCancel.await(30, TimeUnit.SECONDS), "the search saw its cancellation");
        JsonObject h = healthUntil(x -> x.getAsJsonObject("queue").get("running").getAsInt() == 0);
        assertEquals(0, h.getAsJsonObject("queue").get("running").getAsInt(), h.toString());
        assertEquals(1, h.getAsJsonObject("queue").get("cancelled").getAsLong());
        assertEquals(1, h.getAsJsonObject("queue").get("timed_out").getAsLong());
        backend.gate.countDown();
    }

    @Test
    void aClientThatGoesAwayCancelsItsSearch() throws Exception {
        backend.gate = new CountDownLatch(1);
        start();
        byte[] body = "{\"device\":\"phone\",\"max_latency_ms\":7}".getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(("POST /v1/slice HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().write(body);
            s.getOutputStream().flush();
            healthUntil(x -> x.getAsJsonObject("queue").get("running").getAsInt() == 1);
        } // the client leaves without its answer
        assertTrue(backend.sawCancel.await(30, TimeUnit.SECONDS), "the search saw its cancellation");
        JsonObject h = healthUntil(x -> x.getAsJsonObject("queue").get("running").getAsInt() == 0);
        assertEquals(1, h.getAsJsonObject("queue").get("cancelled").getAsLong(), h.toString());
        backend.gate.countDown();
        // a client that stays gets its answer over the same kind of connection
        HttpResponse<String> r = post("/v1/slice", "{\"device\":\"phone\",\"max_latency_ms\":7}");
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void healthShowsBoundedCachesAfterManyDistinctRequests() throws Exception {
        backend.delayMs = 0;
        start(SlicingServer.Options.defaults().withCaches(4, 1 << 20).withOnnxCache(2, 1 << 20));
        List<String> onnx = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            HttpResponse<String> r = post("/v1/slice", "{\"device\":\"phone\",\"max_latency_ms\":" + i + "}");
            assertEquals(200, r.statusCode(), r.body());
            onnx.add(json(r).get("onnx").getAsString());
        }
        for (String path : onnx.subList(17, 20)) {
            assertEquals(200, getBytes(path).statusCode());
        }
        assertEquals(404, getBytes(onnx.get(0)).statusCode(), "the oldest id was evicted");
        JsonObject h = health();
        assertEquals(20, h.get("searches_run").getAsLong());
        for (String name : List.of("answers", "model ids")) {
            JsonObject c = cache(h, name);
            assertEquals(4, c.get("entries").getAsInt(), c.toString());
            assertEquals(4, c.get("max_entries").getAsInt(), c.toString());
            assertEquals(16, c.get("evictions").getAsLong(), c.toString());
            assertTrue(c.get("bytes").getAsLong() > 0 && c.get("bytes").getAsLong() <= c.get("max_bytes").getAsLong(),
                    c.toString());
        }
        JsonObject models = cache(h, "onnx");
        assertEquals(2, models.get("entries").getAsInt(), models.toString());
        assertEquals(1, models.get("evictions").getAsLong(), models.toString());
    }

    @Test
    void pageFilesNeedAnAllowedHostButNoTokenAndCarryAStrictPolicy() throws Exception {
        start(SlicingServer.Options.defaults().withThreads(16, 2).withToken("s3cret"));
        Raw page = raw("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n", new byte[0]);
        assertEquals(200, page.status(), page.body());
        assertTrue(page.headers().get("content-type").startsWith("text/html"), page.headers().toString());
        assertEquals(WebAssets.HEADERS.get("Content-Security-Policy"), page.headers().get("content-security-policy"));
        assertTrue(page.headers().get("content-security-policy").contains("script-src 'self'"));
        assertEquals("nosniff", page.headers().get("x-content-type-options"));
        assertTrue(page.body().contains("<script src=\"/static/app.js\"></script>"), page.body());
        Raw lib = raw("GET /static/" + WebAssets.UPLOT_JS + " HTTP/1.1\r\nHost: localhost\r\n", new byte[0]);
        assertEquals(200, lib.status());
        assertTrue(lib.body().startsWith("/*! https://github.com/leeoniya/uPlot (v" + WebAssets.load().uplotVersion() + ")"),
                lib.body().substring(0, 80));
        assertEquals("1.6.30", WebAssets.load().uplotVersion());
        Raw report = raw("GET /report.html HTTP/1.1\r\nHost: localhost\r\n", new byte[0]);
        assertEquals(200, report.status());
        assertTrue(report.body().contains("/static/report.js") && !report.body().contains("report-data"), report.body());
        // another host gets 403 for the page too (DNS rebinding), data needs the token, unknown files are 404
        Raw evil = raw("GET / HTTP/1.1\r\nHost: evil.example\r\n", new byte[0]);
        assertEquals(403, evil.status());
        assertEquals("Host", evil.json().get("field").getAsString());
        Raw data = raw("GET /v1/front?device=phone HTTP/1.1\r\nHost: localhost\r\n", new byte[0]);
        assertEquals(401, data.status(), data.body());
        Raw none = raw("GET /static/secret.txt HTTP/1.1\r\nHost: localhost\r\n", new byte[0]);
        assertEquals(404, none.status());
        assertEquals("no such page file: secret.txt", none.json().get("error").getAsString());
        Raw deeper = raw("GET /static/a/b.js HTTP/1.1\r\nHost: localhost\r\n", new byte[0]);
        assertEquals(401, deeper.status(), "a path beyond the page's files is not exempt from the token");
    }

    @Test
    void frontAndReportNameTheBadQueryOrWhatIsMissing() throws Exception {
        start();
        HttpResponse<String> noDevice = get("/v1/front");
        assertEquals(400, noDevice.statusCode());
        assertEquals("device", json(noDevice).get("field").getAsString());
        HttpResponse<String> badMetric = get("/v1/front?device=phone&metric=flops");
        assertEquals(400, badMetric.statusCode());
        assertEquals("query parameter 'metric' must be one of [latency, macs, params], found 'flops'",
                json(badMetric).get("error").getAsString());
        HttpResponse<String> unknown = get("/v1/front?device=toaster");
        assertEquals(404, unknown.statusCode());
        assertEquals("device", json(unknown).get("field").getAsString());
        HttpResponse<String> noFront = get("/v1/front?device=phone&metric=macs");
        assertEquals(404, noFront.statusCode());
        assertEquals("this server has no Pareto front to show", json(noFront).get("error").getAsString());
        HttpResponse<String> noReport = get("/v1/report");
        assertEquals(404, noReport.statusCode());
        assertEquals("this server serves no run report", json(noReport).get("error").getAsString());
    }

    @Test
    void precisionIsCheckedAndChoosesTheModel() throws Exception {
        start();
        backend.delayMs = 0;
        HttpResponse<String> bad = post("/v1/slice", "{\"device\":\"phone\",\"precision\":\"fp16\"}");
        assertEquals(400, bad.statusCode());
        assertEquals("precision", json(bad).get("field").getAsString());
        assertEquals("field 'precision' must be one of [fp32, int8, auto], found \"fp16\"", json(bad).get("error").getAsString());
        HttpResponse<String> fp32 = post("/v1/slice", "{\"device\":\"phone\",\"max_latency_ms\":2}");
        HttpResponse<String> int8 = post("/v1/slice", "{\"device\":\"phone\",\"max_latency_ms\":2,\"precision\":\"int8\"}");
        assertEquals(200, fp32.statusCode(), fp32.body());
        assertEquals(200, int8.statusCode(), int8.body());
        assertEquals("fp32", json(fp32).get("precision").getAsString());
        assertEquals("int8", json(int8).get("precision").getAsString());
        assertEquals(json(fp32).get("key"), json(int8).get("key"));
        assertFalse(json(fp32).get("id").equals(json(int8).get("id")), "each precision has its own model id");
        // a backend without precision-aware search delivers auto as the default precision, cached under auto
        HttpResponse<String> auto = post("/v1/slice", "{\"device\":\"phone\",\"max_latency_ms\":2,\"precision\":\"auto\"}");
        assertEquals(200, auto.statusCode(), auto.body());
        assertEquals("fp32", json(auto).get("precision").getAsString());
        assertFalse(json(auto).get("id").equals(json(fp32).get("id")), "auto is its own request");
        // the devices list says which precisions each device can be searched in
        JsonObject devices = json(get("/v1/devices")).getAsJsonObject("precisions");
        assertEquals("[\"fp32\",\"int8\",\"auto\"]", devices.get("phone").toString());
    }
}
