package ofa4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
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
import ofa4j.predictor.AccuracyTableInfo;
import ofa4j.predictor.DeviceProfile;
import ofa4j.predictor.LatencyPredictor;
import ofa4j.predictor.PredictorStage;
import ofa4j.predictor.SupernetScorer;
import ofa4j.slicer.ClosedLoop;
import ofa4j.slicer.Constraint;
import ofa4j.slicer.EvolutionSearch;
import ofa4j.slicer.Fleet;
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
        description = "Serve on-demand slicing over HTTP: POST a device and constraints, get the arch and its ONNX.",
        footer = {"", "Examples:", "  ofa serve --run runs/quick --port 8080",
                "  curl -s localhost:8080/v1/slice -d '{\"device\":\"cpu-ort-1t\",\"max_latency_ms\":0.3}'"})
final class ServeCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Mixin DataOptions dataOptions;

    @Option(names = "--run", required = true, description = "Directory of 'ofa run' (supernet/, devices/, predictor/).")
    Path runDir;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port, 0 for any free one (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--calibration-images", defaultValue = "2000",
            description = "BN recalibration images when the run's accuracy table records none (default ${DEFAULT-VALUE}; otherwise the table's).")
    int calibrationImages;

    @Mixin CandidatesOption candidates;

    @Mixin PredictorOption predictor;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be in [0, 65535], found " + port);
        }
        common.applyThreads();
        try (Backend backend = Backend.open(runDir, predictor.which, dataOptions, calibrationImages, candidates,
                        common.seed, common.quiet);
                SlicingServer server = new SlicingServer(backend, 16, 2)) {
            int bound = server.start(host, port);
            spec.commandLine().getOut().println("serving " + runDir + " on http://" + host + ":" + bound + "/v1/ (devices "
                    + backend.devices() + ", accuracy predictor " + backend.predictor.predictor().name() + ": "
                    + backend.predictor.why() + "); Ctrl-C to stop");
            spec.commandLine().getOut().flush();
            new CountDownLatch(1).await();
        }
        return 0;
    }

    /**
     * The real backend: a trained run, its accuracy predictor and its device profiles; every slice
     * goes through the closed loop (measurements are shared by all requests).
     */
    static final class Backend implements ServeBackend, AutoCloseable {
        /** Answers kept, by constraint. */
        static final int ANSWER_CACHE = 256;

        private final SupernetRun run;
        private final PredictorStage.LoadedPredictor predictor;
        private final SlicingService service;
        private final ClosedLoop loop;
        private final SupernetBackend measuring;
        private final long calibrationSeed;
        private final long seed;
        private final Map<String, HttpBodies.SliceAnswer> answers = java.util.Collections.synchronizedMap(
                new LinkedHashMap<>(16, 0.75f, true) {
                    @Override
                    protected boolean removeEldestEntry(Map.Entry<String, HttpBodies.SliceAnswer> e) {
                        return size() > ANSWER_CACHE;
                    }
                });

        private Backend(SupernetRun run, PredictorStage.LoadedPredictor predictor, SlicingService service, ClosedLoop loop,
                SupernetBackend measuring, long calibrationSeed, long seed) {
            this.run = run;
            this.predictor = predictor;
            this.service = service;
            this.loop = loop;
            this.measuring = measuring;
            this.calibrationSeed = calibrationSeed;
            this.seed = seed;
        }

        static Backend open(Path runDir, String predictor, DataOptions data, int calibrationImages,
                CandidatesOption candidates, long seed, boolean quiet) throws Exception {
            Path devDir = runDir.resolve("devices");
            Map<String, LatencyPredictor> devices = new LinkedHashMap<>();
            Map<String, Specialiser.LocalTiming> local = new LinkedHashMap<>();
            if (Files.isDirectory(devDir)) {
                try (var files = Files.list(devDir)) {
                    for (Path f : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                        DeviceProfile p = DeviceProfile.load(f);
                        devices.put(p.name(), p);
                        Specialiser.LocalTiming t = SupernetBackend.localTiming(p);
                        if (t != null) {
                            local.put(p.name(), t);
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
                SlicingService service = new SlicingService(run.net.space(), acc.predictor(), devices,
                        EvolutionSearch.ofaDefaults(), seed);
                SupernetBackend measuring = new SupernetBackend(run.net, run.data, calib, SupernetScorer.DEFAULT_EVAL_BATCH);
                Specialiser sp = new Specialiser(measuring, runDir.resolve("served"));
                ClosedLoop loop = new ClosedLoop(run.net.space(), service.predictor(), EvolutionSearch.ofaDefaults(),
                        sp.measurer(calibSeed), null, local, candidates.k, 1, null)
                        .screening(candidates.screenImages(run.data.val().size(), false));
                return new Backend(run, acc, service, loop, measuring, calibSeed, seed);
            } catch (Exception | Error e) {
                acc.close();
                throw e;
            }
        }

        @Override
        public HttpBodies.SpaceBody space() {
            return new HttpBodies.SpaceBody(SpaceJson.of(run.net.space()), run.checkpointSha);
        }

        @Override
        public List<String> devices() {
            return new ArrayList<>(service.devices());
        }

        @Override
        public HttpBodies.SliceAnswer slice(SliceRequest r) {
            Constraint c = service.constraint(r.device(), r.maxLatencyMs(), r.maxMacs(), r.maxParams(),
                    r.maxPeakMemoryBytes(), r.minResolution(), r.maxResolution());
            String key = r.device() + "|" + c.describe();
            HttpBodies.SliceAnswer cached = answers.get(key);
            if (cached != null) {
                return cached;
            }
            long t0 = System.nanoTime();
            ClosedLoop.Outcome out;
            synchronized (run) { // measurements share the supernet's engine state
                out = loop.run(new Fleet.Target("request", c), seed);
            }
            ClosedLoop.MeasuredCandidate d = out.delivered();
            ArchConfig a = d.arch();
            double lat = d.measuredLatencyMs(r.device());
            HttpBodies.SliceAnswer o = new HttpBodies.SliceAnswer(a.toJsonRecord(), a.key(),
                    new HttpBodies.Predicted(d.candidate().predictedAccuracy(), d.predictor(),
                            service.device(r.device()).predictMs(a)),
                    new HttpBodies.Measured(d.measurement().valAccuracy(), Double.isFinite(lat) ? lat : null,
                            out.latencyMeasured() ? "measurement" : "prediction"),
                    out.proposed().size(), d.candidate().costs().macs(), d.candidate().costs().params(),
                    d.candidate().costs().peakActivationBytes(),
                    out.searches().stream().mapToDouble(SearchResult::wallMs).sum(), (System.nanoTime() - t0) / 1e6,
                    null, null, null);
            answers.put(key, o);
            return o;
        }

        @Override
        public byte[] onnx(HttpBodies.SliceAnswer result) {
            ArchConfig a = run.net.space().validate(result.arch().toArch());
            synchronized (run) { // one extraction at a time: they share the supernet's engine state
                return OnnxExporter.toBytes(measuring.extract(a, calibrationSeed), Map.of(
                        "ofa4j.served.predicted_accuracy", String.valueOf(result.predicted().accuracy())));
            }
        }

        @Override
        public void close() {
            predictor.close();
            run.close();
        }
    }
}
