package ofa4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import ofa4j.cli.serve.HttpBodies;
import ofa4j.cli.serve.ServeBackend;
import ofa4j.cli.serve.SliceRequest;
import ofa4j.cli.serve.SlicingServer;
import ofa4j.exporter.OnnxExporter;
import ofa4j.models.ArchConfig;
import ofa4j.models.SpaceJson;
import ofa4j.predictor.AccuracyDatasetBuilder;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.AccuracyTableInfo;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.LatencyPredictor;
import ofa4j.predictor.PredictorStage;
import ofa4j.predictor.SupernetScorer;
import ofa4j.slicer.ClosedLoop;
import ofa4j.slicer.ConstrainedSpace;
import ofa4j.slicer.Constraint;
import ofa4j.slicer.CostTable;
import ofa4j.slicer.EvolutionSearch;
import ofa4j.slicer.Fleet;
import ofa4j.slicer.LruCache;
import ofa4j.slicer.SearchResult;
import ofa4j.slicer.SlicingService;
import ofa4j.slicer.Specialiser;
import ofa4j.slicer.SupernetBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ofa serve}: slicing on demand over HTTP for a trained run. */
@Command(
        name = "serve",
        description = "Serve on-demand slicing over HTTP: POST a device and constraints, get the arch and its ONNX;"
                + " a web page at / (budget slider, chart, downloads) and the run report at /report.html.",
        footer = {"", "Examples:", "  ofa serve --run runs/quick --port 8080        # then open http://127.0.0.1:8080/",
                "  curl -s localhost:8080/v1/slice -H 'Content-Type: application/json' \\",
                "       -d '{\"device\":\"cpu-ort-1t\",\"max_latency_ms\":0.3}'",
                "  OFA_SERVE_TOKEN=$(cat token) ofa serve --run runs/quick --host 0.0.0.0 --allow-host myhost.lan",
                "", "A token is read from --token-file or from the environment variable " + ServeCommand.TOKEN_ENV
                        + " (never from the command line, which other users can read); with it every request needs"
                        + " 'Authorization: Bearer <token>'."})
final class ServeCommand implements Callable<Integer> {

    /** Environment variable holding the bearer token. */
    static final String TOKEN_ENV = "OFA_SERVE_TOKEN";

    /** Largest token file read, bytes (a token is one short line). */
    static final int MAX_TOKEN_FILE = 4096;

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Mixin DataOptions dataOptions;

    @Option(names = "--run", required = true, description = "Directory of 'ofa run' (supernet/, devices/, predictor/).")
    Path runDir;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Address to bind (default ${DEFAULT-VALUE}); beyond loopback, set a token.")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port, 0 for any free one (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--allow-host", split = ",", paramLabel = "HOST",
            description = "Host name the Host header may carry besides the bound address, localhost, 127.0.0.1 and"
                    + " [::1] (repeatable; '*' allows any: only behind a proxy that checks it).")
    List<String> allowHosts = new ArrayList<>();

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File whose first line is the bearer token every request must carry (or set " + TOKEN_ENV + ").")
    Path tokenFile;

    @Option(names = "--queue", defaultValue = "8", paramLabel = "N",
            description = "Searches admitted at once, running and waiting (default ${DEFAULT-VALUE}); beyond: 503 with Retry-After.")
    int queue;

    @Option(names = "--request-timeout", defaultValue = "120", paramLabel = "SECONDS",
            description = "Time limit of one request, queueing included (default ${DEFAULT-VALUE} s); then 503, and the"
                    + " search is cancelled unless another request waits for it.")
    long requestTimeoutS;

    @Option(names = "--cache-entries", defaultValue = "1024", paramLabel = "N",
            description = "Answers (and model ids) kept, least recently used go first (default ${DEFAULT-VALUE}).")
    int cacheEntries;

    @Option(names = "--onnx-cache-mb", defaultValue = "64", paramLabel = "MB",
            description = "ONNX model bytes kept for download (default ${DEFAULT-VALUE} MB).")
    int onnxCacheMb;

    @Mixin CalibrationOption calibration;

    @Mixin CandidatesOption candidates;

    @Mixin PredictorOption predictor;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be in [0, 65535], found " + port);
        }
        if (cacheEntries < 1 || cacheEntries > 1_000_000) {
            throw new IllegalArgumentException("--cache-entries must be in [1, 1000000], found " + cacheEntries);
        }
        if (onnxCacheMb < 1 || onnxCacheMb > 65536) {
            throw new IllegalArgumentException("--onnx-cache-mb must be in [1, 65536], found " + onnxCacheMb);
        }
        for (String h : allowHosts) {
            if (h.isBlank() || h.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@')) {
                throw new IllegalArgumentException("--allow-host must be a host name or address without port, found '" + h + "'");
            }
        }
        String token = token(tokenFile, System.getenv(TOKEN_ENV));
        SlicingServer.Options options = SlicingServer.Options.defaults()
                .withQueue(queue)
                .withRequestTimeout(Duration.ofSeconds(requestTimeoutS))
                .withCaches(cacheEntries, (long) cacheEntries * 32 * 1024)
                .withOnnxCache(256, (long) onnxCacheMb << 20)
                .withAllowHosts(allowHosts)
                .withToken(token);
        if (SlicingServer.beyondLoopback(host) && token == null) {
            spec.commandLine().getErr().println("ofa serve: warning: bound to " + host + ", beyond loopback, without a"
                    + " token: anyone who reaches this port can run searches; set " + TOKEN_ENV + " or --token-file");
            spec.commandLine().getErr().flush();
        }
        common.applyThreads();
        try (Backend backend = Backend.open(runDir, predictor.which, dataOptions, calibration.images(), candidates,
                        common.seed, common.quiet);
                SlicingServer server = new SlicingServer(backend, options)) {
            int bound = server.start(host, port);
            spec.commandLine().getOut().println("serving " + runDir + " on http://" + host + ":" + bound + "/ (web page;"
                    + " API under /v1/; devices "
                    + backend.devices() + ", accuracy predictor " + backend.predictor.predictor().name() + ": "
                    + backend.predictor.why() + "; queue " + queue + ", time limit " + requestTimeoutS + " s"
                    + (token == null ? "" : ", bearer token required") + "); Ctrl-C to stop");
            spec.commandLine().getOut().flush();
            new CountDownLatch(1).await();
        }
        return 0;
    }

    /**
     * The bearer token: the first line of {@code file}, or the environment variable's value.
     *
     * @param file the token file, or null
     * @param env the environment variable's value, or null
     * @return the token, or null for none
     * @throws IllegalArgumentException if both are given, or the token is empty
     * @throws java.io.IOException naming the file when it is unreadable, too large or not UTF-8
     */
    static String token(Path file, String env) throws java.io.IOException {
        if (file != null && env != null && !env.isEmpty()) {
            throw new IllegalArgumentException("give the token once: --token-file " + file + " and " + TOKEN_ENV
                    + " are both set");
        }
        if (file != null) {
            long size = Files.size(file);
            if (size > MAX_TOKEN_FILE) {
                throw new java.io.IOException("token file " + file + " is " + size + " bytes; a token is one line of at"
                        + " most " + MAX_TOKEN_FILE + " bytes");
            }
            String t = ofa4j.models.JsonFiles.readText(file).lines().findFirst().orElse("").trim();
            if (t.isEmpty()) {
                throw new IllegalArgumentException("token file " + file + " has no token on its first line");
            }
            return t;
        }
        if (env != null && !env.isEmpty()) {
            if (env.isBlank()) {
                throw new IllegalArgumentException(TOKEN_ENV + " is blank; unset it or give a token");
            }
            return env.trim();
        }
        return null;
    }

    /**
     * The real backend: a trained run, its accuracy predictor and its device profiles; every slice
     * goes through the closed loop (measurements are shared by all requests). A search checks its
     * cancellation token before every measurement and every batch of predictions.
     */
    static final class Backend implements ServeBackend, AutoCloseable {
        /** Answers kept, by constraint. */
        static final int ANSWER_CACHE = 256;

        /** Measured candidates the closed loop keeps between requests. */
        static final int POOL = 4096;

        /**
         * Estimated heap bytes of one measured candidate: an arch of about 20 blocks, its costs and
         * latency maps, and the measurement.
         */
        static final long POOLED_BYTES = 2048;

        /** Population and generations of the NSGA-II search of a device's front (the page's chart). */
        static final int FRONT_POPULATION = 64;

        /** Generations of the front's search. */
        static final int FRONT_GENERATIONS = 60;

        private final SupernetRun run;
        private final Path runDir;
        private final PredictorStage.LoadedPredictor predictor;
        private final LruCache<String, List<HttpBodies.FrontPoint>> fronts = new LruCache<>("predicted fronts (by device and axis)",
                64, 8L << 20, (k, v) -> LruCache.stringBytes(k) + 256L * v.size());
        private final SlicingService service;
        private final ClosedLoop loop;
        /** INT8 searches: the INT8 profiles' service and loop, null when the run has no INT8 profile. */
        private final SlicingService service8;
        private final ClosedLoop loop8;
        private final SupernetBackend measuring;
        private final CostTable table;
        private final long calibrationSeed;
        private final long seed;
        private final LruCache<String, HttpBodies.SliceAnswer> answers = new LruCache<>("backend answers (by constraint)",
                ANSWER_CACHE, 8L << 20, (k, v) -> LruCache.stringBytes(k) + 4L * ofa4j.models.JsonFiles.toLine(v).length());
        /** The token of the search running now (searches run one at a time, under the run's lock). */
        private final Current current;

        /** The cancellation token of the search running now, read by the measurer and the predictor. */
        private static final class Current {
            volatile Cancel token = Cancel.NEVER;
        }

        private Backend(Path runDir, SupernetRun run, PredictorStage.LoadedPredictor predictor, SlicingService service,
                ClosedLoop loop, SlicingService service8, ClosedLoop loop8, SupernetBackend measuring,
                long calibrationSeed, long seed, Current current) {
            this.runDir = runDir;
            this.run = run;
            this.predictor = predictor;
            this.service = service;
            this.loop = loop;
            this.service8 = service8;
            this.loop8 = loop8;
            this.measuring = measuring;
            this.table = new CostTable(run.net.space());
            this.calibrationSeed = calibrationSeed;
            this.seed = seed;
            this.current = current;
        }

        static Backend open(Path runDir, String predictor, DataOptions data, int calibrationImages,
                CandidatesOption candidates, long seed, boolean quiet) throws Exception {
            Path devDir = runDir.resolve("devices");
            Map<String, LatencyPredictor> devices = new LinkedHashMap<>();
            Map<String, Specialiser.LocalTiming> local = new LinkedHashMap<>();
            Map<String, LatencyPredictor> devices8 = new LinkedHashMap<>();
            Map<String, Specialiser.LocalTiming> local8 = new LinkedHashMap<>();
            if (Files.isDirectory(devDir)) {
                try (var files = Files.list(devDir)) {
                    for (Path f : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                        DeviceProfile p = DeviceProfile.load(f);
                        // an INT8 profile serves the INT8 searches of its FP32 device (<device>-int8)
                        boolean q8 = p.precision() == ofa4j.predictor.Precision.INT8;
                        (q8 ? devices8 : devices).put(p.name(), p);
                        Specialiser.LocalTiming t = SupernetBackend.localTiming(p);
                        if (t != null) {
                            (q8 ? local8 : local).put(p.name(), t);
                        }
                    }
                }
            }
            if (devices.isEmpty()) {
                throw new IllegalArgumentException("run " + runDir + " has no device profiles in " + devDir + "; run 'ofa profile' or 'ofa run' first");
            }
            PredictorStage.LoadedPredictor acc = PredictorStage.loadPredictor(runDir.resolve("predictor"), predictor);
            try {
                SupernetRun run = SupernetRun.open(runDir.resolve("supernet"), data, quiet);
                AccuracyTableInfo info = AccuracyTableInfo.read(runDir.resolve("predictor"));
                int calib = info != null ? info.calibrationImages() : calibrationImages;
                long calibSeed = info != null ? info.calibrationSeed() : AccuracyDatasetBuilder.calibrationSeed(seed);
                Current current = new Current();
                AccuracyPredictor checked = new AccuracyPredictor() {
                    @Override
                    public double[] predict(List<ArchConfig> archs) {
                        current.token.check();
                        return acc.predictor().predict(archs);
                    }

                    @Override
                    public String name() {
                        return acc.predictor().name();
                    }
                };
                SlicingService service = new SlicingService(run.net.space(), checked, devices,
                        EvolutionSearch.ofaDefaults(), seed);
                SupernetBackend measuring = new SupernetBackend(run.net, run.data, calib, SupernetScorer.DEFAULT_EVAL_BATCH);
                Specialiser sp = new Specialiser(measuring, runDir.resolve("served"));
                ClosedLoop loop = new ClosedLoop(run.net.space(), service.predictor(), EvolutionSearch.ofaDefaults(),
                        cancellable(sp.measurer(calibSeed), current), null, local, candidates.k, 1, null)
                        .screening(candidates.screenImages(run.data.val().size(), false))
                        .maxPooled(POOL);
                SlicingService service8 = null;
                ClosedLoop loop8 = null;
                if (!devices8.isEmpty()) {
                    // as 'ofa slice --precision int8': the FP32 predictor moved by the run's INT8 offset,
                    // every candidate measured as its INT8 model and timed by the INT8 profile's meter
                    ofa4j.predictor.Int8Accuracy.Offset offset = ofa4j.predictor.Int8Accuracy.fit(runDir.resolve("predictor"));
                    service8 = new SlicingService(run.net.space(), ofa4j.predictor.Int8Accuracy.predictor(checked, offset),
                            devices8, EvolutionSearch.ofaDefaults(), seed);
                    Specialiser sp8 = new Specialiser(measuring, runDir.resolve("served"), Specialiser.Int8Settings.DEFAULT,
                            ofa4j.predictor.Precision.INT8);
                    loop8 = new ClosedLoop(run.net.space(), service8.predictor(), EvolutionSearch.ofaDefaults(),
                            cancellable(sp8.measurer(calibSeed), current), null, local8, candidates.k, 1, null)
                            .maxPooled(POOL);
                }
                return new Backend(runDir, run, acc, service, loop, service8, loop8, measuring, calibSeed, seed, current);
            } catch (Exception | Error e) {
                acc.close();
                throw e;
            }
        }

        /** A measurer that checks the running search's token before each measurement. */
        private static ClosedLoop.Measurer cancellable(ClosedLoop.Measurer m, Current current) {
            return new ClosedLoop.Measurer() {
                @Override
                public ClosedLoop.Measurement measure(ArchConfig arch, Map<String, Specialiser.LocalTiming> timings)
                        throws Exception {
                    current.token.check();
                    return m.measure(arch, timings);
                }

                @Override
                public ClosedLoop.Measurement screen(ArchConfig arch, Map<String, Specialiser.LocalTiming> timings,
                        int valImages) throws Exception {
                    current.token.check();
                    return m.screen(arch, timings, valImages);
                }

                @Override
                public double valAccuracy(ArchConfig arch) throws Exception {
                    current.token.check();
                    return m.valAccuracy(arch);
                }
            };
        }

        @Override
        public HttpBodies.SpaceBody space() {
            return new HttpBodies.SpaceBody(SpaceJson.of(run.net.space()), run.checkpointSha);
        }

        @Override
        public List<String> devices() {
            return new ArrayList<>(service.devices());
        }

        /** Suffix of the INT8 profile of a device: {@code cpu-ort-1t} is timed in INT8 by {@code cpu-ort-1t-int8}. */
        static final String INT8_PROFILE_SUFFIX = "-int8";

        /** @return the INT8 profile's name of an FP32 device, or null when the run has none */
        private String int8Device(String device) {
            String d8 = device + INT8_PROFILE_SUFFIX;
            return service8 != null && service8.devices().contains(d8) ? d8 : null;
        }

        @Override
        public List<String> precisions(String device) {
            return int8Device(device) == null ? List.of("fp32") : SliceRequest.PRECISIONS;
        }

        private Constraint constraint(SliceRequest r, boolean q8) {
            return (q8 ? service8 : service).constraint(q8 ? int8Device(r.device()) : r.device(), r.maxLatencyMs(),
                    r.maxMacs(), r.maxParams(), r.maxPeakMemoryBytes(), r.minResolution(), r.maxResolution());
        }

        /**
         * {@inheritDoc} Builds the constrained space, which fails at once for an impossible constraint;
         * an {@code int8} or {@code auto} request needs the device's INT8 profile.
         */
        @Override
        public void check(SliceRequest r) {
            if (!"fp32".equals(r.precision()) && int8Device(r.device()) == null) {
                throw new ofa4j.cli.serve.ApiError(422, "precision", "precision '" + r.precision() + "' needs an INT8"
                        + " latency profile of device '" + r.device() + "' (" + r.device() + INT8_PROFILE_SUFFIX
                        + " in " + runDir.resolve("devices") + "), and this run has none; profile it with 'ofa profile"
                        + " --supernet " + runDir.resolve("supernet") + " --precision int8 --out "
                        + runDir.resolve("devices").resolve(r.device() + INT8_PROFILE_SUFFIX + ".json")
                        + "' and restart the server, or ask for precision 'fp32'");
            }
            if (!"int8".equals(r.precision())) {
                new ConstrainedSpace(run.net.space(), constraint(r, false), List.of(service.device(r.device())), table);
            }
            if (!"fp32".equals(r.precision())) {
                new ConstrainedSpace(run.net.space(), constraint(r, true),
                        List.of(service8.device(int8Device(r.device()))), table);
            }
        }

        @Override
        public HttpBodies.SliceAnswer slice(SliceRequest r, Cancel cancel) {
            return switch (r.precision()) {
                case "int8" -> search(r, true, cancel);
                case "auto" -> auto(r, cancel);
                default -> search(r, false, cancel);
            };
        }

        /**
         * {@code auto}: both precisions searched under the same bounds, each with its own profile; the
         * higher measured validation accuracy among those within the latency budget is delivered, a
         * tie going to INT8 (as {@link ofa4j.slicer.AutoChoice}).
         */
        private HttpBodies.SliceAnswer auto(SliceRequest r, Cancel cancel) {
            HttpBodies.SliceAnswer a = search(r, false, cancel);
            HttpBodies.SliceAnswer b = search(r, true, cancel);
            HttpBodies.AutoSide sa = side(a, r);
            HttpBodies.AutoSide sb = side(b, r);
            ofa4j.slicer.AutoChoice.Decision d = ofa4j.slicer.AutoChoice.decide(sa.valAccuracy(), sa.overBudget(),
                    sb.valAccuracy(), sb.overBudget(), "measured latency is over the budget",
                    "measured latencies are over the budget");
            boolean q8 = d.int8();
            String why = d.why();
            return (q8 ? b : a).withAuto(new HttpBodies.AutoBody(q8 ? "int8" : "fp32", why, sa, sb));
        }

        private static HttpBodies.AutoSide side(HttpBodies.SliceAnswer a, SliceRequest r) {
            Double ms = a.measured().latencyMs();
            return new HttpBodies.AutoSide(a.key(), a.measured().valAccuracy(), ms, a.latencyProfile(),
                    ms != null && r.maxLatencyMs() != null && ms > r.maxLatencyMs());
        }

        /** One precision's search: its profile, its loop (INT8: candidates measured as INT8 models). */
        private HttpBodies.SliceAnswer search(SliceRequest r, boolean q8, Cancel cancel) {
            String device = q8 ? int8Device(r.device()) : r.device();
            SlicingService s = q8 ? service8 : service;
            ClosedLoop l = q8 ? loop8 : loop;
            Constraint c = constraint(r, q8);
            String key = (q8 ? "int8|" : "fp32|") + device + "|" + c.describe();
            HttpBodies.SliceAnswer cached = answers.get(key);
            if (cached != null) {
                return cached;
            }
            long t0 = System.nanoTime();
            ClosedLoop.Outcome out;
            synchronized (run) { // measurements share the supernet's engine state
                current.token = cancel;
                try {
                    cancel.check(); // cancelled while waiting for the lock
                    out = l.run(new Fleet.Target("request", c), seed);
                } finally {
                    current.token = Cancel.NEVER;
                }
            }
            ClosedLoop.MeasuredCandidate d = out.delivered();
            ArchConfig a = d.arch();
            double lat = d.measuredLatencyMs(device);
            HttpBodies.SliceAnswer o = new HttpBodies.SliceAnswer(a.toJsonRecord(), a.key(),
                    new HttpBodies.Predicted(d.candidate().predictedAccuracy(), d.predictor(),
                            s.device(device).predictMs(a)),
                    new HttpBodies.Measured(d.measurement().valAccuracy(), Double.isFinite(lat) ? lat : null,
                            out.latencyMeasured() ? "measurement" : "prediction"),
                    out.proposed().size(), d.candidate().costs().macs(), d.candidate().costs().params(),
                    d.candidate().costs().peakActivationBytes(),
                    out.searches().stream().mapToDouble(SearchResult::wallMs).sum(), (System.nanoTime() - t0) / 1e6,
                    null, null, null, q8 ? "int8" : "fp32", device, null);
            answers.put(key, o);
            return o;
        }

        @Override
        public byte[] onnx(HttpBodies.SliceAnswer result) {
            ArchConfig a = run.net.space().validate(result.arch().toArch());
            Map<String, String> meta = Map.of("ofa4j.served.predicted_accuracy", String.valueOf(result.predicted().accuracy()));
            synchronized (run) { // one extraction at a time: they share the supernet's engine state
                ofa4j.models.Subnet subnet = measuring.extract(a, calibrationSeed);
                if ("int8".equals(result.precision())) {
                    return measuring.exportInt8(subnet, meta, Specialiser.Int8Settings.DEFAULT, calibrationSeed);
                }
                return OnnxExporter.toBytes(subnet, meta);
            }
        }

        /**
         * {@inheritDoc} The front is an NSGA-II search on the accuracy predictor ({@value
         * #FRONT_POPULATION} subnets, {@value #FRONT_GENERATIONS} generations), kept per device and
         * axis; the measured candidates are the closed loop's pool at the time of the request.
         */
        @Override
        public HttpBodies.FrontBody front(String device, String metric, Cancel cancel) {
            ofa4j.predictor.LatencyPredictor lp = service.device(device);
            String cacheKey = device + "|" + metric;
            List<HttpBodies.FrontPoint> points = fronts.get(cacheKey);
            if (points == null) {
                ofa4j.slicer.CostAxis axis = switch (metric) {
                    case "macs" -> ofa4j.slicer.CostAxis.macs();
                    case "params" -> ofa4j.slicer.CostAxis.params();
                    default -> ofa4j.slicer.CostAxis.latency(lp);
                };
                SearchResult r;
                synchronized (run) { // the predictor is shared with the searches of slices
                    current.token = cancel;
                    try {
                        cancel.check();
                        r = ofa4j.slicer.Nsga2Search.builder(axis).optPopulationSize(FRONT_POPULATION)
                                .optGenerations(FRONT_GENERATIONS).build()
                                .search(run.net.space(), service.predictor(), Constraint.none(), seed);
                    } finally {
                        current.token = Cancel.NEVER;
                    }
                }
                points = r.front().stream()
                        .map(c -> new HttpBodies.FrontPoint(c.arch().key(), c.predictedAccuracy(), lp.predictMs(c.arch()),
                                c.costs().macs(), c.costs().params()))
                        .sorted(java.util.Comparator.comparingDouble(p -> switch (metric) {
                            case "macs" -> (double) p.macs();
                            case "params" -> (double) p.params();
                            default -> p.latencyMs();
                        }))
                        .toList();
                fronts.put(cacheKey, points);
            }
            List<HttpBodies.MeasuredPoint> measured = new ArrayList<>();
            for (ClosedLoop.MeasuredCandidate m : loop.measured()) {
                double ml = m.measuredLatencyMs(device);
                measured.add(new HttpBodies.MeasuredPoint(m.arch().key(), m.candidate().predictedAccuracy(),
                        m.measurement().valAccuracy(), lp.predictMs(m.arch()), Double.isFinite(ml) ? ml : null,
                        m.candidate().costs().macs(), m.candidate().costs().params()));
            }
            ArchConfig min = run.net.space().min();
            ArchConfig max = run.net.space().max();
            ofa4j.models.CostModel.Cost cMin = table.cost(min);
            ofa4j.models.CostModel.Cost cMax = table.cost(max);
            return new HttpBodies.FrontBody(device, metric, new HttpBodies.Range(lp.predictMs(min), lp.predictMs(max), "ms"),
                    new HttpBodies.Range(cMin.macs(), cMax.macs(), "MACs"),
                    new HttpBodies.Range(cMin.params(), cMax.params(), "params"), service.predictor().name(), points,
                    measured);
        }

        /** {@inheritDoc} The data of the served run's {@code report.html}, read from its files. */
        @Override
        public Object report() throws java.io.IOException {
            return ofa4j.cli.serve.RunReportPage.read(runDir);
        }

        @Override
        public List<LruCache.Stats> caches() {
            int pooled = loop.pooled();
            return List.of(answers.stats(), fronts.stats(), service.predictor().stats(),
                    new LruCache.Stats("measured candidates (closed-loop pool, bytes estimated)", pooled, POOL,
                            pooled * POOLED_BYTES, POOL * POOLED_BYTES, 0));
        }

        @Override
        public void close() {
            predictor.close();
            run.close();
        }
    }
}
