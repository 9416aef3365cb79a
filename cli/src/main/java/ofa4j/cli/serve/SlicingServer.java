package ofa4j.cli.serve;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import ofa4j.models.Hashing;
import ofa4j.models.JsonFiles;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP service for slicing on demand (Javalin on Jetty). Endpoints:
 *
 * <ul>
 *   <li>{@code GET /v1/space}: the search space;
 *   <li>{@code GET /v1/devices}: device profile names;
 *   <li>{@code POST /v1/slice} with a {@link SliceRequest} JSON body: the chosen subnet, its
 *       predicted figures, an {@code id} and the {@code onnx} download path;
 *   <li>{@code GET /v1/models/{id}.onnx}: the ONNX file of a result.
 * </ul>
 *
 * <p>Results are cached by the request's canonical form, so the same request costs one search, and
 * concurrent identical requests wait for the same search. Searches run at most {@code
 * maxConcurrentSlices} at a time; Jetty's worker pool and the request body size are bounded. Bad
 * parameters give 400 with a JSON error naming the field, unknown devices 404, oversized bodies
 * 413. Model ids are hex strings matched against the cache; nothing from a request reaches the file
 * system.
 */
public final class SlicingServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SlicingServer.class);
    private static final Pattern ID = Pattern.compile("[0-9a-f]{16}");

    /** Largest accepted request body, bytes. */
    public static final long MAX_BODY_BYTES = 16 * 1024;

    private final ServeBackend backend;
    private final Javalin app;
    private final Semaphore slicing;
    private final Map<String, CompletableFuture<HttpBodies.SliceAnswer>> byRequest = new ConcurrentHashMap<>();
    private final Map<String, HttpBodies.SliceAnswer> byId = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<byte[]>> models = new ConcurrentHashMap<>();
    private final AtomicLong searches = new AtomicLong();

    /**
     * Creates (but does not start) a server.
     *
     * @param backend what to serve
     * @param maxThreads Jetty worker threads (default 16)
     * @param maxConcurrentSlices searches allowed at once (default 2, the core count here)
     */
    public SlicingServer(ServeBackend backend, int maxThreads, int maxConcurrentSlices) {
        this.backend = backend;
        this.slicing = new Semaphore(maxConcurrentSlices);
        this.app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.http.maxRequestSize = MAX_BODY_BYTES;
            QueuedThreadPool pool = new QueuedThreadPool(Math.max(maxThreads, 4), 2);
            pool.setName("ofa-serve");
            cfg.jetty.threadPool = pool;
        });
        app.get("/v1/space", ctx -> json(ctx, HttpStatus.OK, backend.space()));
        app.get("/v1/devices", ctx -> json(ctx, HttpStatus.OK, new HttpBodies.DevicesBody(backend.devices())));
        app.post("/v1/slice", this::slice);
        app.get("/v1/models/{file}", this::model);
        app.exception(SliceRequest.BadRequest.class, (e, ctx) -> error(ctx, HttpStatus.BAD_REQUEST, e.field(), e.getMessage()));
        app.exception(ServeBackend.UnknownDeviceException.class,
                (e, ctx) -> error(ctx, HttpStatus.NOT_FOUND, "device", e.getMessage()));
        app.exception(IllegalArgumentException.class,
                (e, ctx) -> error(ctx, HttpStatus.UNPROCESSABLE_CONTENT, "constraint", e.getMessage()));
        app.exception(Exception.class, (e, ctx) -> {
            LOG.warn("request {} failed", ctx.path(), e);
            error(ctx, HttpStatus.INTERNAL_SERVER_ERROR, null, "internal error: " + e.getClass().getSimpleName());
        });
        app.error(HttpStatus.NOT_FOUND, ctx -> {
            if (ctx.result() == null) {
                error(ctx, HttpStatus.NOT_FOUND, null, "no such endpoint: " + ctx.method() + " " + ctx.path());
            }
        });
        app.error(HttpStatus.CONTENT_TOO_LARGE, ctx ->
                error(ctx, HttpStatus.CONTENT_TOO_LARGE, "body", "request body exceeds " + MAX_BODY_BYTES + " bytes"));
    }

    /**
     * Starts listening.
     *
     * @param host address to bind (e.g. 127.0.0.1)
     * @param port port, 0 for any free one
     * @return the bound port
     */
    public int start(String host, int port) {
        app.start(host, port);
        return app.port();
    }

    /** @return number of searches run so far (cache misses) */
    public long searches() {
        return searches.get();
    }

    private void slice(Context ctx) throws Exception {
        if (ctx.contentLength() > MAX_BODY_BYTES) {
            throw new SliceRequest.BadRequest("body", "request body exceeds " + MAX_BODY_BYTES + " bytes");
        }
        SliceRequest req = SliceRequest.parse(ctx.body());
        if (!backend.devices().contains(req.device())) {
            throw new ServeBackend.UnknownDeviceException(req.device(), backend.devices());
        }
        String key = req.cacheKey();
        boolean[] miss = {false};
        CompletableFuture<HttpBodies.SliceAnswer> f = byRequest.computeIfAbsent(key, k -> {
            miss[0] = true;
            return new CompletableFuture<>();
        });
        if (miss[0]) {
            try {
                slicing.acquire();
                try {
                    searches.incrementAndGet();
                    HttpBodies.SliceAnswer r = backend.slice(req).withId(id(key));
                    byId.put(r.id(), r);
                    f.complete(r);
                } finally {
                    slicing.release();
                }
            } catch (Exception e) {
                byRequest.remove(key); // failures are not cached
                f.completeExceptionally(e);
                throw e;
            }
        }
        HttpBodies.SliceAnswer r;
        try {
            r = f.join().withCached(!miss[0]);
        } catch (java.util.concurrent.CompletionException e) {
            throw (e.getCause() instanceof Exception ex) ? ex : e;
        }
        json(ctx, HttpStatus.OK, r);
    }

    private void model(Context ctx) throws Exception {
        String file = ctx.pathParam("file");
        String id = file.endsWith(".onnx") ? file.substring(0, file.length() - 5) : "";
        if (!ID.matcher(id).matches()) {
            throw new SliceRequest.BadRequest("id", "model id must be 16 hex digits followed by .onnx");
        }
        HttpBodies.SliceAnswer r = byId.get(id);
        if (r == null) {
            error(ctx, HttpStatus.NOT_FOUND, "id", "no sliced model with id " + id + "; POST /v1/slice first");
            return;
        }
        CompletableFuture<byte[]> f = models.computeIfAbsent(id, k -> CompletableFuture.supplyAsync(() -> {
            try {
                return backend.onnx(r);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }));
        byte[] bytes;
        try {
            bytes = f.join();
        } catch (java.util.concurrent.CompletionException e) {
            models.remove(id);
            throw (e.getCause() instanceof Exception ex) ? ex : e;
        }
        ctx.contentType("application/octet-stream");
        ctx.header("Content-Disposition", "attachment; filename=\"" + id + ".onnx\"");
        ctx.result(bytes);
    }

    /** The first 16 hex digits of the request key's SHA-256. */
    private static String id(String key) {
        return Hashing.sha256Hex(key).substring(0, 16);
    }

    private static void json(Context ctx, HttpStatus status, Object body) {
        ctx.status(status);
        ctx.contentType("application/json");
        ctx.result(JsonFiles.toLine(body));
    }

    private static void error(Context ctx, HttpStatus status, String field, String message) {
        json(ctx, status, new HttpBodies.ErrorBody(message, field, status.getCode()));
    }

    /** Stops the server. */
    @Override
    public void close() {
        app.stop();
    }
}
