package ofa4j.cli.serve;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import ofa4j.models.Hashing;
import ofa4j.models.JsonFiles;
import ofa4j.slicer.LruCache;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP service for slicing on demand (Javalin 7 on Jetty 12). Endpoints:
 *
 * <ul>
 *   <li>{@code GET /v1/space}: the search space;
 *   <li>{@code GET /v1/devices}: device profile names;
 *   <li>{@code GET /v1/health}: the work queue and every cache with its limits;
 *   <li>{@code POST /v1/slice} with a {@link SliceRequest} JSON body ({@code Content-Type:
 *       application/json}): the chosen subnet, its predicted figures, an {@code id} and the {@code
 *       onnx} download path;
 *   <li>{@code GET /v1/models/{id}.onnx}: the ONNX file of a result;
 *   <li>{@code GET /v1/front?device=D&metric=latency|macs|params}: the predicted Pareto front, the
 *       budget ranges and the measured candidates ({@link HttpBodies.FrontBody});
 *   <li>{@code GET /v1/report}: the served run's report data (what {@code report.html} draws);
 *   <li>{@code GET /}, {@code GET /report.html}, {@code GET /static/*}: the web page for slicing
 *       and the run report page ({@link WebAssets}: fixed files from the application's classpath,
 *       the chart library included, with a strict {@code Content-Security-Policy}).
 * </ul>
 *
 * <p>Every request must name an allowed {@code Host}. The token, when set, is needed by every
 * request except the page's own files: they hold code and no data, and a browser cannot send a
 * header when it opens a page; the page sends the token with each data request.
 *
 * <p>Searches and ONNX builds run on a {@link WorkQueue} of their own, never on Jetty's threads, so
 * cheap requests never wait behind them; at most {@link Options#queue()} are admitted at once and
 * beyond that the answer is 503 with {@code Retry-After} at once. The same request waits for the
 * same search; each request has a time limit (503 naming it) and a search nobody waits for any
 * more (time limits passed, clients gone: {@link ClientWatch}) is cancelled. Answers, model ids
 * and ONNX bytes are kept in {@link LruCache}s bounded by count and bytes.
 *
 * <p>Every error is one JSON shape, {@link HttpBodies.ErrorBody}: 400 names the bad field, 401
 * (bearer token), 403 (a {@code Host} not allowed, see {@link Access}), 404 unknown device, model
 * or endpoint, 413 a body over {@link Options#maxBodyBytes()} whatever its transfer encoding (read
 * through a bounded stream), 415 a body that is not {@code application/json}, 422 a constraint no
 * subnet meets, 503 busy or over the time limit, 500 a failure of the server. Model ids are hex
 * strings matched against the cache; nothing from a request reaches the file system.
 */
public final class SlicingServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SlicingServer.class);
    private static final Pattern ID = Pattern.compile("[0-9a-f]{16}");

    /** Default largest request body, bytes (a request is a few hundred). */
    public static final long MAX_BODY_BYTES = 16 * 1024;

    /**
     * Limits and access rules of a server.
     *
     * @param jettyThreads Jetty worker threads (cheap requests and I/O; >= 4)
     * @param searchThreads searches (and ONNX builds) run at once (>= 1)
     * @param queue searches admitted at once, running and waiting (>= searchThreads); beyond: 503
     * @param requestTimeout time limit of one request (>= 1 s)
     * @param maxBodyBytes largest request body (bytes, >= 1 KiB)
     * @param cacheEntries answers kept (request cache) and model ids kept (id cache), each
     * @param cacheBytes estimated bytes of each of those two caches
     * @param onnxEntries ONNX models kept
     * @param onnxBytes bytes of ONNX models kept
     * @param allowHosts hosts the {@code Host} header may name besides the bound address and the
     *     loopback names ({@code *}: any)
     * @param token bearer token every request must carry, or null for none
     */
    public record Options(int jettyThreads, int searchThreads, int queue, Duration requestTimeout, long maxBodyBytes,
            int cacheEntries, long cacheBytes, int onnxEntries, long onnxBytes, List<String> allowHosts, String token) {

        /** Checks every limit, naming it. */
        public Options {
            allowHosts = List.copyOf(allowHosts);
            if (jettyThreads < 4 || jettyThreads > 1024) {
                throw new IllegalArgumentException("Jetty threads must be in [4, 1024], found " + jettyThreads);
            }
            if (searchThreads < 1 || searchThreads > 64) {
                throw new IllegalArgumentException("search threads must be in [1, 64], found " + searchThreads);
            }
            if (queue < searchThreads || queue > 10_000) {
                throw new IllegalArgumentException("--queue (searches running and waiting) must be in [" + searchThreads
                        + ", 10000], found " + queue);
            }
            if (requestTimeout.toSeconds() < 1 || requestTimeout.toHours() > 24) {
                throw new IllegalArgumentException("--request-timeout must be in [1, 86400] s, found "
                        + requestTimeout.toSeconds());
            }
            if (maxBodyBytes < 1024 || maxBodyBytes > (64 << 20)) {
                throw new IllegalArgumentException("largest request body must be in [1 KiB, 64 MiB], found " + maxBodyBytes);
            }
            if (cacheEntries < 1 || cacheBytes < 1 || onnxEntries < 1 || onnxBytes < 1) {
                throw new IllegalArgumentException("cache limits must be >= 1, found " + cacheEntries + " entries, "
                        + cacheBytes + " bytes, " + onnxEntries + " models, " + onnxBytes + " model bytes");
            }
            if (token != null && token.isBlank()) {
                throw new IllegalArgumentException("the bearer token must not be empty");
            }
        }

        /**
         * The defaults: 16 Jetty threads, 1 search thread (the real backend measures one subnet at a
         * time), 8 searches admitted, 120 s per request, 16 KiB bodies, 1024 answers and ids (32 MB
         * each), 32 ONNX models (256 MB), no extra host, no token.
         *
         * @return the defaults
         */
        public static Options defaults() {
            return new Options(16, 1, 8, Duration.ofSeconds(120), MAX_BODY_BYTES, 1024, 32L << 20, 32, 256L << 20,
                    List.of(), null);
        }

        /**
         * @param jetty Jetty worker threads
         * @param search searches run at once
         * @return these options with those thread counts
         */
        public Options withThreads(int jetty, int search) {
            return new Options(jetty, search, Math.max(queue, search), requestTimeout, maxBodyBytes, cacheEntries,
                    cacheBytes, onnxEntries, onnxBytes, allowHosts, token);
        }

        /**
         * @param admitted searches admitted at once, running and waiting
         * @return these options with that queue
         */
        public Options withQueue(int admitted) {
            return new Options(jettyThreads, searchThreads, admitted, requestTimeout, maxBodyBytes, cacheEntries,
                    cacheBytes, onnxEntries, onnxBytes, allowHosts, token);
        }

        /**
         * @param limit time limit of one request
         * @return these options with that limit
         */
        public Options withRequestTimeout(Duration limit) {
            return new Options(jettyThreads, searchThreads, queue, limit, maxBodyBytes, cacheEntries, cacheBytes,
                    onnxEntries, onnxBytes, allowHosts, token);
        }

        /**
         * @param entries answers (and ids) kept
         * @param bytes estimated bytes of each cache
         * @return these options with those cache limits
         */
        public Options withCaches(int entries, long bytes) {
            return new Options(jettyThreads, searchThreads, queue, requestTimeout, maxBodyBytes, entries, bytes,
                    onnxEntries, onnxBytes, allowHosts, token);
        }

        /**
         * @param entries ONNX models kept
         * @param bytes bytes of ONNX models kept
         * @return these options with those limits
         */
        public Options withOnnxCache(int entries, long bytes) {
            return new Options(jettyThreads, searchThreads, queue, requestTimeout, maxBodyBytes, cacheEntries, cacheBytes,
                    entries, bytes, allowHosts, token);
        }

        /**
         * @param hosts extra hosts the {@code Host} header may name
         * @return these options with those hosts
         */
        public Options withAllowHosts(List<String> hosts) {
            return new Options(jettyThreads, searchThreads, queue, requestTimeout, maxBodyBytes, cacheEntries, cacheBytes,
                    onnxEntries, onnxBytes, hosts, token);
        }

        /**
         * @param bearer the token requests must carry, or null for none
         * @return these options with that token
         */
        public Options withToken(String bearer) {
            return new Options(jettyThreads, searchThreads, queue, requestTimeout, maxBodyBytes, cacheEntries, cacheBytes,
                    onnxEntries, onnxBytes, allowHosts, bearer);
        }

        /** {@inheritDoc} The token is not shown. */
        @Override
        public String toString() {
            return "Options[jettyThreads=" + jettyThreads + ", searchThreads=" + searchThreads + ", queue=" + queue
                    + ", requestTimeout=" + requestTimeout + ", maxBodyBytes=" + maxBodyBytes + ", cacheEntries="
                    + cacheEntries + ", cacheBytes=" + cacheBytes + ", onnxEntries=" + onnxEntries + ", onnxBytes="
                    + onnxBytes + ", allowHosts=" + allowHosts + ", token=" + (token == null ? "none" : "set") + "]";
        }
    }

    private final ServeBackend backend;
    private final Options options;
    private final Javalin app;
    private final QueuedThreadPool jettyPool;
    private final WorkQueue work;
    private final ClientWatch watch;
    private final LruCache<String, HttpBodies.SliceAnswer> answers;
    private final LruCache<String, HttpBodies.SliceAnswer> ids;
    private final LruCache<String, byte[]> models;
    private final AtomicLong searches = new AtomicLong();
    private final WebAssets web = WebAssets.load();
    private volatile Access access;

    /**
     * Creates (but does not start) a server with the {@link Options#defaults()}.
     *
     * @param backend what to serve
     */
    public SlicingServer(ServeBackend backend) {
        this(backend, Options.defaults());
    }

    /**
     * Creates (but does not start) a server.
     *
     * @param backend what to serve
     * @param options limits and access rules
     */
    public SlicingServer(ServeBackend backend, Options options) {
        this.backend = backend;
        this.options = options;
        this.work = new WorkQueue(options.searchThreads(), options.queue());
        try {
            this.watch = new ClientWatch();
        } catch (IOException e) {
            work.close();
            throw new IllegalStateException("cannot open a selector to watch clients: " + e.getMessage(), e);
        }
        // an answer is a few KB of small objects: about 4 bytes of heap per character of its JSON
        this.answers = new LruCache<>("answers (request cache)", options.cacheEntries(), options.cacheBytes(),
                (k, v) -> LruCache.stringBytes(k) + 4L * JsonFiles.toLine(v).length());
        this.ids = new LruCache<>("model ids (id cache)", options.cacheEntries(), options.cacheBytes(),
                (k, v) -> LruCache.stringBytes(k) + 4L * JsonFiles.toLine(v).length());
        this.models = new LruCache<>("onnx models", options.onnxEntries(), options.onnxBytes(),
                (k, v) -> LruCache.stringBytes(k) + 16 + v.length);
        this.jettyPool = new QueuedThreadPool(options.jettyThreads(), 2);
        jettyPool.setName("ofa-serve");
        this.app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.startup.showOldJavalinVersionWarning = false;
            cfg.startup.startupWatcherEnabled = false;
            cfg.http.maxRequestSize = options.maxBodyBytes(); // Javalin's own body() is bounded too
            cfg.jetty.threadPool = jettyPool;
            cfg.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrors()));
            cfg.router.javaLangErrorHandler((res, err) -> {
                LOG.error("request failed", err);
                res.setStatus(500);
                res.setContentType("application/json");
                try {
                    res.getWriter().write(JsonFiles.toLine(new HttpBodies.ErrorBody(
                            "internal error: " + err.getClass().getSimpleName(), null, 500)));
                } catch (IOException | IllegalStateException ignored) {
                    // the response is gone already
                }
            });
            cfg.routes.before(ctx -> access.check(ctx.header("Host"), ctx.header("Authorization"),
                    !WebAssets.isPageFile(ctx.path())));
            cfg.routes.get("/", ctx -> page(ctx, WebAssets.INDEX));
            cfg.routes.get("/report.html", ctx -> page(ctx, WebAssets.REPORT_SHELL));
            cfg.routes.get("/static/{file}", ctx -> page(ctx, ctx.pathParam("file")));
            cfg.routes.get("/v1/front", this::front);
            cfg.routes.get("/v1/report", this::report);
            cfg.routes.get("/v1/space", ctx -> json(ctx, 200, backend.space()));
            cfg.routes.get("/v1/devices", ctx -> {
                java.util.Map<String, List<String>> precisions = new java.util.LinkedHashMap<>();
                backend.devices().forEach(d -> precisions.put(d, backend.precisions(d)));
                json(ctx, 200, new HttpBodies.DevicesBody(backend.devices(), precisions));
            });
            cfg.routes.get("/v1/health", ctx -> json(ctx, 200, health()));
            cfg.routes.post("/v1/slice", this::slice);
            cfg.routes.get("/v1/models/{file}", this::model);
            cfg.routes.exception(HttpResponseException.class, (e, ctx) -> {
                ApiError a = e.getStatus() == 404
                        ? new ApiError(404, null, "no such endpoint: " + ctx.method() + " " + ApiError.shown(ctx.path()))
                        : e.getStatus() == 413 ? tooLarge() : new ApiError(e.getStatus(), null, e.getMessage());
                error(ctx, a);
            });
            cfg.routes.exception(Exception.class, (e, ctx) -> error(ctx, toError(e)));
        });
    }

    /**
     * Starts listening. Requests must name the bound address, {@code localhost}, {@code 127.0.0.1}
     * or {@code [::1]} in their {@code Host} header, or a host of {@link Options#allowHosts()}.
     *
     * @param host address to bind (e.g. 127.0.0.1)
     * @param port port, 0 for any free one
     * @return the bound port
     */
    public int start(String host, int port) {
        Set<String> hosts = new LinkedHashSet<>(Access.LOOPBACK_NAMES);
        hosts.add(host);
        hosts.addAll(options.allowHosts());
        access = new Access(hosts, options.token());
        app.start(host, port);
        return app.port();
    }

    /**
     * Whether binding to an address exposes the server beyond this machine.
     *
     * @param host the address to bind
     * @return true unless it is a loopback address
     */
    public static boolean beyondLoopback(String host) {
        return !Access.loopback(host);
    }

    /** @return number of searches run so far (cache misses) */
    public long searches() {
        return searches.get();
    }

    /** @return what {@code GET /v1/health} answers now */
    public HttpBodies.HealthBody health() {
        List<LruCache.Stats> caches = new ArrayList<>(List.of(answers.stats(), ids.stats(), models.stats()));
        caches.addAll(backend.caches());
        return new HttpBodies.HealthBody("ok", searches.get(), work.stats(), caches, options.requestTimeout().toSeconds(),
                options.maxBodyBytes(), access != null && access.tokenRequired(),
                access == null ? List.of() : List.copyOf(access.hosts()));
    }

    private void slice(Context ctx) throws Exception {
        requireJson(ctx);
        SliceRequest req = SliceRequest.parse(readBody(ctx));
        if (!backend.devices().contains(req.device())) {
            throw new ServeBackend.UnknownDeviceException(req.device(), backend.devices());
        }
        String key = req.cacheKey();
        HttpBodies.SliceAnswer hit = answers.get(key);
        if (hit != null) {
            json(ctx, 200, hit.withCached(true));
            return;
        }
        backend.check(req); // impossible constraints: 422 at once, without queueing
        CompletableFuture<HttpBodies.SliceAnswer> mine = work.join("slice " + key, cancel -> {
            searches.incrementAndGet();
            HttpBodies.SliceAnswer r = backend.slice(req, cancel);
            if (r.precision() == null) { // a backend that exports the request's precision of the subnet it found
                r = r.withPrecision("auto".equals(req.precision()) ? SliceRequest.PRECISIONS.get(0) : req.precision());
            }
            r = r.withId(id(key));
            ids.put(r.id(), r);
            answers.put(key, r); // before the job ends: a request arriving then finds it here
            return r;
        }, options.requestTimeout());
        AutoCloseable watching = watch.watch(ctx, () -> mine.completeExceptionally(new WorkQueue.ClientGone()));
        respond(ctx, mine, watching, r -> json(ctx, 200, r.withCached(false)));
    }

    /** One of the page's fixed files, or 404. */
    private void page(Context ctx, String name) {
        WebAssets.Asset a = web.get(name);
        if (a == null) {
            throw new ApiError(404, null, "no such page file: " + ApiError.shown(name));
        }
        WebAssets.headers().forEach(ctx::header);
        ctx.status(200);
        ctx.contentType(a.contentType());
        ctx.result(a.bytes());
    }

    private void front(Context ctx) {
        String device = ctx.queryParam("device");
        String metric = ctx.queryParam("metric") == null ? ServeBackend.METRICS.get(0) : ctx.queryParam("metric");
        if (device == null || device.isBlank()) {
            throw new SliceRequest.BadRequest("device", "query parameter 'device' (a device profile name) is required;"
                    + " known devices: " + backend.devices());
        }
        if (!ServeBackend.METRICS.contains(metric)) {
            throw new SliceRequest.BadRequest("metric", "query parameter 'metric' must be one of " + ServeBackend.METRICS
                    + ", found '" + ApiError.shown(metric) + "'");
        }
        if (!backend.devices().contains(device)) {
            throw new ServeBackend.UnknownDeviceException(device, backend.devices());
        }
        CompletableFuture<HttpBodies.FrontBody> mine = work.join("front " + device + " " + metric,
                cancel -> backend.front(device, metric, cancel), options.requestTimeout());
        respond(ctx, mine, () -> {}, f -> json(ctx, 200, f));
    }

    private void report(Context ctx) throws IOException {
        Object r = backend.report();
        if (r == null) {
            throw new ApiError(404, null, "this server serves no run report");
        }
        json(ctx, 200, r);
    }

    private void model(Context ctx) throws Exception {
        String file = ctx.pathParam("file");
        String id = file.endsWith(".onnx") ? file.substring(0, file.length() - 5) : "";
        if (!ID.matcher(id).matches()) {
            throw new SliceRequest.BadRequest("id", "model id must be 16 hex digits followed by .onnx, found '"
                    + ApiError.shown(file) + "'");
        }
        HttpBodies.SliceAnswer r = ids.get(id);
        if (r == null) {
            throw new ApiError(404, "id", "no sliced model with id " + id + " (ids are kept for the "
                    + options.cacheEntries() + " most recent answers); POST /v1/slice first");
        }
        byte[] kept = models.get(id);
        if (kept != null) {
            onnx(ctx, id, kept);
            return;
        }
        CompletableFuture<byte[]> mine = work.join("onnx " + id, cancel -> {
            try {
                byte[] b = backend.onnx(r);
                models.put(id, b);
                return b;
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, options.requestTimeout());
        respond(ctx, mine, () -> {}, b -> onnx(ctx, id, b));
    }

    /** Answers a request from its future, on a Jetty thread, whatever the future ends with. */
    private <T> void respond(Context ctx, CompletableFuture<T> mine, AutoCloseable watching,
            java.util.function.Consumer<T> write) {
        ctx.future(() -> mine.handleAsync((r, e) -> {
            try {
                watching.close();
            } catch (Exception ignored) {
                // closing a watch does not fail
            }
            if (e == null) {
                write.accept(r);
            } else {
                error(ctx, toError(e));
            }
            return null;
        }, jettyPool));
    }

    private static void onnx(Context ctx, String id, byte[] bytes) {
        ctx.status(200);
        ctx.contentType("application/octet-stream");
        ctx.header("Content-Disposition", "attachment; filename=\"" + id + ".onnx\"");
        ctx.result(bytes);
    }

    /** Refuses a body that is not JSON: {@code application/json}, optionally with {@code charset=utf-8}. */
    private static void requireJson(Context ctx) {
        String sent = ctx.header("Content-Type");
        String allowed = "allowed: application/json (charset utf-8)";
        if (sent == null || sent.isBlank()) {
            throw new ApiError(415, "Content-Type", "a POST body needs Content-Type: application/json; none was sent");
        }
        String[] parts = sent.split(";");
        if (!parts[0].trim().equalsIgnoreCase("application/json")) {
            throw new ApiError(415, "Content-Type", "Content-Type '" + ApiError.shown(sent.trim()) + "' is not accepted; "
                    + allowed);
        }
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (kv[0].trim().equalsIgnoreCase("charset")
                    && !(kv.length == 2 && kv[1].trim().replace("\"", "").equalsIgnoreCase("utf-8"))) {
                throw new ApiError(415, "Content-Type", "charset of '" + ApiError.shown(sent.trim()) + "' is not accepted; "
                        + allowed);
            }
        }
    }

    /**
     * Reads the request body through a bounded stream: at most {@link Options#maxBodyBytes()} + 1
     * bytes are ever read, whatever the transfer encoding (a declared length above the limit is
     * refused before reading).
     */
    private byte[] readBody(Context ctx) throws IOException {
        long max = options.maxBodyBytes();
        if (ctx.req().getContentLengthLong() > max) {
            throw tooLarge();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        InputStream in = ctx.req().getInputStream();
        for (int n; (n = in.read(buf, 0, (int) Math.min(buf.length, max + 1 - out.size()))) > 0; ) {
            out.write(buf, 0, n);
            if (out.size() > max) {
                throw tooLarge();
            }
        }
        return out.toByteArray();
    }

    private ApiError tooLarge() {
        // the rest of the body is not read: the connection is closed after the answer
        return new ApiError(413, "body", "request body exceeds " + options.maxBodyBytes() + " bytes",
                java.util.Map.of("Connection", "close"));
    }

    /** The error answer of a failure: one place maps every exception to a status. */
    private ApiError toError(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ApiError a) {
            return a;
        }
        if (t instanceof SliceRequest.BadRequest b) {
            return new ApiError(400, b.field(), b.getMessage());
        }
        if (t instanceof ServeBackend.UnknownDeviceException) {
            return new ApiError(404, "device", t.getMessage());
        }
        if (t instanceof WorkQueue.TimeLimitExceeded || t instanceof WorkQueue.ClientGone) {
            return new ApiError(503, null, t.getMessage());
        }
        if (t instanceof CancellationException) {
            return new ApiError(503, null, "the search was cancelled (no request waited for it); send the request again",
                    java.util.Map.of("Retry-After", "1"));
        }
        if (t instanceof IllegalArgumentException) {
            return new ApiError(422, "constraint", t.getMessage());
        }
        if (t instanceof UnsupportedOperationException) {
            return new ApiError(404, null, t.getMessage());
        }
        if (t instanceof HttpResponseException h) {
            return new ApiError(h.getStatus(), null, h.getMessage());
        }
        LOG.warn("request failed", t);
        return new ApiError(500, null, "internal error: " + t.getClass().getSimpleName()
                + (t.getMessage() == null ? "" : ": " + ApiError.shown(t.getMessage())));
    }

    /** The first 16 hex digits of the request key's SHA-256. */
    private static String id(String key) {
        return Hashing.sha256Hex(key).substring(0, 16);
    }

    private static void json(Context ctx, int status, Object body) {
        ctx.status(status);
        ctx.contentType("application/json");
        ctx.result(JsonFiles.toLine(body).getBytes(StandardCharsets.UTF_8));
    }

    private static void error(Context ctx, ApiError e) {
        e.headers().forEach(ctx::header);
        json(ctx, e.status(), e.body());
    }

    /**
     * Jetty's own errors (a malformed request, headers over 8 KiB: answered before any handler of
     * ours runs) in the same JSON shape as every other error.
     */
    static final class JsonErrors extends ErrorHandler {
        private static byte[] body(int code, String message) {
            String m = message == null || message.isBlank() ? HttpStatus.getMessage(code) : message;
            return JsonFiles.toLine(new HttpBodies.ErrorBody("bad request: " + ApiError.shown(m), null, code))
                    .getBytes(StandardCharsets.UTF_8);
        }

        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                Callback callback) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, ByteBuffer.wrap(body(code, message)), callback);
        }
    }

    /** Stops the server, its search threads and its client watch. */
    @Override
    public void close() {
        try {
            app.stop();
        } finally {
            work.close();
            try {
                watch.close();
            } catch (IOException e) {
                LOG.debug("closing the client watch", e);
            }
        }
    }

    /** For log lines: the options, the token hidden. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "SlicingServer[%s]", options);
    }
}
