package ofa4j.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import ofa4j.models.AtomicFiles;
import ofa4j.models.LayerSpec;
import ofa4j.models.SearchSpace;
import ofa4j.models.testing.RandomSubnets;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs Debian's onnx checker (python3-onnx, {@code full_check=True}) on exported files. */
class OnnxCheckerTest {

    private static final String PYTHON = "/usr/bin/python3";

    private static final String CHECK =
            "import onnx, sys\n"
                    + "for f in sys.argv[1:]:\n"
                    + "    onnx.checker.check_model(onnx.load(f), full_check=True)\n"
                    + "    print('OK', f)\n";

    private record Run(int exit, String output) {}

    private static Run python(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(PYTHON));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("python onnx checker timed out");
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static void assumeOnnxImportable() throws Exception {
        boolean exists = Files.isExecutable(Path.of(PYTHON));
        Assumptions.assumeTrue(exists, PYTHON + " is missing: install python3-onnx to run the ONNX checker test");
        Run r = python(List.of("-c", "import onnx"));
        Assumptions.assumeTrue(
                r.exit() == 0, PYTHON + " cannot import onnx (apt-get install python3-onnx): " + r.output().trim());
    }

    @Test
    void exportedModelsPassOnnxFullCheck(@TempDir Path dir) throws Exception {
        assumeOnnxImportable();
        List<String> files = new ArrayList<>();
        List<SearchSpace> spaces = List.of(SearchSpace.fmnist(), OnnxExporterTest.smallOfa());
        SplittableRandom rng = new SplittableRandom(21);
        for (SearchSpace space : spaces) {
            List<ofa4j.models.ArchConfig> archs = new ArrayList<>(List.of(space.max(), space.min(), space.sample(rng)));
            for (int i = 0; i < archs.size(); i++) {
                Path f = dir.resolve(space.name() + "-" + i + ".onnx");
                OnnxExporter.export(RandomSubnets.create(space, archs.get(i), i), f, Map.of("predicted.accuracy", "0.5"));
                files.add(f.toString());
            }
        }
        int k = 0;
        for (LayerSpec l : LayerModelTest.allLayers()) {
            Path f = dir.resolve("layer-" + k++ + ".onnx");
            AtomicFiles.writeBytes(f, OnnxExporter.layerModel(l, k));
            files.add(f.toString());
        }
        List<String> args = new ArrayList<>(List.of("-c", CHECK));
        args.addAll(files);
        Run r = python(args);
        assertEquals(0, r.exit(), "onnx checker refused a model:\n" + r.output());
        long ok = r.output().lines().filter(s -> s.startsWith("OK ")).count();
        assertEquals(files.size(), ok, r.output());
    }

    /** INT8 models, QDQ and QOperator forms, pass the full check (shape inference included). */
    @Test
    void int8ModelsPassOnnxFullCheck(@TempDir Path dir) throws Exception {
        assumeOnnxImportable();
        List<String> files = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(22);
        for (SearchSpace space : List.of(SearchSpace.fmnist(), OnnxExporterTest.smallOfa())) {
            List<ofa4j.models.ArchConfig> archs = List.of(space.max(), space.min(), space.sample(rng));
            for (int i = 0; i < archs.size(); i++) {
                ofa4j.models.ArchConfig a = archs.get(i);
                Int8Exporter.Method m = Int8Exporter.Method.values()[i % 2];
                Path f = dir.resolve(space.name() + "-int8-" + i + ".onnx");
                Int8Exporter.export(RandomSubnets.create(space, a, i), f, Int8ExporterTest.calibration(space, a, m, i),
                        Map.of("predicted.accuracy", "0.5"));
                files.add(f.toString());
                // and its QOperator form (the one OpenCV DNN runs)
                Path qop = dir.resolve(space.name() + "-int8-" + i + ".opencv.onnx");
                java.nio.file.Files.write(qop, Int8Exporter.toQOperator(java.nio.file.Files.readAllBytes(f)));
                files.add(qop.toString());
            }
        }
        List<String> args = new ArrayList<>(List.of("-c", CHECK));
        args.addAll(files);
        Run r = python(args);
        assertEquals(0, r.exit(), "onnx checker refused an INT8 model:\n" + r.output());
        assertEquals(files.size(), r.output().lines().filter(s -> s.startsWith("OK ")).count(), r.output());
    }

    @Test
    void checkerRefusesABrokenModel(@TempDir Path dir) throws Exception {
        assumeOnnxImportable();
        // proves the checker really checks: a node reading a value nobody produces is invalid
        ofa4j.exporter.onnx.ModelProto good =
                ofa4j.exporter.onnx.ModelProto.parseFrom(OnnxExporter.layerModel(LayerModelTest.allLayers().get(0), 1));
        ofa4j.exporter.onnx.ModelProto.Builder bad = good.toBuilder();
        bad.getGraphBuilder().getNodeBuilder(0).setInput(0, "no_such_value");
        Path f = dir.resolve("bad.onnx");
        AtomicFiles.writeBytes(f, bad.build().toByteArray());
        Run r = python(List.of("-c", CHECK, f.toString()));
        assertTrue(r.exit() != 0, "the checker accepted a node reading an undefined value:\n" + r.output());
    }
}
