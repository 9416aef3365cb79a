package ofa4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import ofa4j.exporter.Int8Exporter;
import ofa4j.exporter.OnnxExporter;
import ofa4j.exporter.Verifier;
import ofa4j.models.ArchConfig;
import ofa4j.models.AtomicFiles;
import ofa4j.models.Subnet;
import ofa4j.slicer.Specialiser;
import ofa4j.slicer.SupernetBackend;
import ofa4j.supernet.fixed.FixedNetwork;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ofa export}: cuts one subnet out of a trained supernet, recalibrates BN and writes ONNX, FP32
 * or post-training INT8 (QDQ, and its QOperator form for OpenCV DNN).
 */
@Command(
        name = "export",
        description = "Extract a subnet from a trained supernet (BN recalibrated) and write it as ONNX (FP32 or INT8;"
                + " INT8 also in the QOperator form OpenCV DNN runs, next to it as <name>.opencv.onnx).",
        footer = {"", "Examples:", "  ofa export --supernet runs/quick --arch max --out max.onnx --verify",
                "  ofa export --supernet runs/quick --arch runs/quick/slices/lat-2ms/arch.json --out m.onnx",
                "  ofa export --supernet runs/quick --arch min --precision int8 --out min.int8.onnx --verify"})
final class ExportCommand implements Callable<Integer> {

    /** Tolerance of --verify: ONNX Runtime vs the DJL subnet, absolute, on logits. */
    static final double VERIFY_TOLERANCE = 1e-4;

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Mixin DataOptions dataOptions;

    @Option(names = "--supernet", required = true, description = "Run directory written by 'ofa train'.")
    Path supernet;

    @Option(names = "--arch", required = true, description = "max, min, an arch JSON file or inline JSON.")
    String arch;

    @Option(names = "--calibration-images", defaultValue = "2000", description = "BN recalibration images (default ${DEFAULT-VALUE}, as OFA).")
    int calibrationImages;

    @Option(names = "--verify", description = "FP32: run the file in ONNX Runtime and compare with the DJL subnet on"
            + " validation images (tolerance 1e-4). INT8: measure the validation and test top-1 of the FP32 and the"
            + " INT8 model in ONNX Runtime.")
    boolean verify;

    @Option(names = "--precision", defaultValue = "fp32", description = "fp32 (default) or int8: post-training"
            + " quantization in ONNX QDQ form, activation ranges calibrated on training images (--int8-*).")
    String precision;

    @Mixin Int8Option int8Options;

    @Override
    public Integer call() throws Exception {
        if (!precision.equals("fp32") && !precision.equals("int8")) {
            throw new IllegalArgumentException("--precision must be one of [fp32, int8], found '" + precision + "'");
        }
        boolean int8 = precision.equals("int8");
        Specialiser.Int8Settings int8Settings = int8 ? int8Options.settings() : null;
        common.applyThreads();
        Path out = common.out != null ? common.out : Path.of(int8 ? "model.int8.onnx" : "model.onnx");
        PrintWriter w = spec.commandLine().getOut();
        try (SupernetRun run = SupernetRun.open(supernet, dataOptions, common.quiet)) {
            ArchConfig a = ArchOption.parse(arch, run.net.space());
            long t0 = System.nanoTime();
            Subnet s = run.calibrated(a, calibrationImages, common.seed);
            if (int8) {
                SupernetBackend backend = new SupernetBackend(run.net, run.data, calibrationImages, 500);
                byte[] q = backend.exportInt8(s, Map.of(), int8Settings, common.seed);
                if (verify) {
                    byte[] fp32 = OnnxExporter.toBytes(s, Map.of());
                    w.printf(Locale.ROOT, "ONNX Runtime top-1, FP32 -> INT8: validation %.2f%% -> %.2f%%, test %.2f%%"
                                    + " -> %.2f%% (%s)%n",
                            100 * backend.top1(fp32, s, Specialiser.Split.VAL), 100 * backend.top1(q, s, Specialiser.Split.VAL),
                            100 * backend.top1(fp32, s, Specialiser.Split.TEST), 100 * backend.top1(q, s, Specialiser.Split.TEST),
                            OnnxExporter.readMetadata(q).get(Int8Exporter.META_CALIBRATION_METHOD) + " on "
                                    + OnnxExporter.readMetadata(q).get(Int8Exporter.META_CALIBRATION_SOURCE));
                }
                byte[] qop = Int8Exporter.toQOperator(q);
                Path openCv = openCvFile(out);
                if (verify) {
                    w.printf(Locale.ROOT, "ONNX Runtime top-1 of the QOperator form (for OpenCV DNN): validation %.2f%%,"
                                    + " test %.2f%%%n", 100 * backend.top1(qop, s, Specialiser.Split.VAL),
                            100 * backend.top1(qop, s, Specialiser.Split.TEST));
                }
                AtomicFiles.writeBytes(out, q);
                AtomicFiles.writeBytes(openCv, qop);
                w.printf(Locale.ROOT, "exported %s as INT8 to %s (%d bytes, QDQ form) and %s (%d bytes, QOperator form for"
                                + " OpenCV DNN); %.0f ms incl. BN recalibration%n", a.key(), out, q.length, openCv, qop.length,
                        (System.nanoTime() - t0) / 1e6);
                return 0;
            }
            byte[] onnx = OnnxExporter.toBytes(s, Map.of());
            if (verify) {
                // verified under a temporary name first: a model that fails leaves the old file alone
                Path abs = out.toAbsolutePath();
                Files.createDirectories(abs.getParent());
                Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName() + ".", ".tmp");
                try {
                    Files.write(tmp, onnx);
                    Verifier.Comparison c = verify(s, tmp, run);
                    w.println(c.report());
                    if (!c.passed()) {
                        throw new IllegalStateException("ONNX Runtime output differs from the DJL subnet: " + c.report()
                                + "; " + out + " was not written");
                    }
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            AtomicFiles.writeBytes(out, onnx);
            w.printf("exported %s to %s (%.0f ms incl. BN recalibration)%n", a.key(), out, (System.nanoTime() - t0) / 1e6);
        }
        return 0;
    }

    /**
     * Where the QOperator form of an INT8 model goes: {@code x.onnx -> x.opencv.onnx} (so {@code
     * min.int8.onnx -> min.int8.opencv.onnx}), any other name gets {@code .opencv.onnx} appended.
     */
    static Path openCvFile(Path out) {
        String n = out.getFileName().toString();
        String stem = n.endsWith(".onnx") ? n.substring(0, n.length() - ".onnx".length()) : n;
        return out.resolveSibling(stem + ".opencv.onnx");
    }

    /**
     * Compares ONNX Runtime with the DJL static network on 8 validation images.
     *
     * @param s the subnet
     * @param onnx the exported file
     * @param run the run (for data)
     * @return the comparison
     * @throws Exception on failure
     */
    static Verifier.Comparison verify(Subnet s, Path onnx, SupernetRun run) throws Exception {
        int n = Math.min(8, run.data.val().size());
        int[] idx = new int[n];
        java.util.Arrays.setAll(idx, i -> i);
        int r = s.arch().resolution();
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager();
                FixedNetwork fixed = new FixedNetwork(s);
                Verifier v = Verifier.open(onnx, 1)) {
            ai.djl.ndarray.NDArray x = ofa4j.supernet.data.Batches.images(m, run.data.val(), idx, r, run.data.mean(), run.data.std());
            float[] input = x.toFloatArray();
            float[] ref = fixed.forward(m, x).toFloatArray();
            return v.compare(input, new long[] {n, s.space().inChannels(), r, r}, ref, VERIFY_TOLERANCE);
        }
    }
}
