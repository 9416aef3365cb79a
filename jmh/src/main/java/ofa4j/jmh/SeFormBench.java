package ofa4j.jmh;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import ofa4j.exporter.OnnxExporter;
import ofa4j.exporter.Verifier;
import ofa4j.exporter.onnx.GraphProto;
import ofa4j.exporter.onnx.ModelProto;
import ofa4j.exporter.onnx.NodeProto;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.supernet.Supernet;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of the portable squeeze-excite form in ONNX Runtime (1 intra-op thread, batch 1): the
 * exported form, whose gate is broadcast by a nearest {@code Resize} before an equal-shape {@code
 * Mul} (OpenCV DNN computes it right), against the same model with the {@code Resize} nodes cut
 * out so that the {@code Mul} broadcasts (OpenCV DNN 4.6 computes it wrong). Times in ms.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true"})
public class SeFormBench {

    @Param({"max", "mid", "min"})
    public String arch;

    @Param({"resize", "broadcast"})
    public String form;

    private final SearchSpace space = SearchSpace.fmnist();
    private Verifier ort;
    private float[] input;
    private int r;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        ArchConfig a = switch (arch) {
            case "max" -> space.max();
            case "min" -> space.min();
            default -> space.uniform(5, 4, 3, 24);
        };
        byte[] onnx;
        try (Supernet net = Supernet.create(space, 1)) {
            onnx = OnnxExporter.toBytes(net.extract(a), Map.of());
        }
        if (form.equals("broadcast")) {
            onnx = withoutResize(onnx);
        }
        ort = Verifier.open(onnx, 1);
        r = a.resolution();
        SplittableRandom rng = new SplittableRandom(3);
        input = new float[r * r];
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) rng.nextGaussian();
        }
    }

    /** The model with each {@code Resize} removed and its consumer fed the Resize's input. */
    static byte[] withoutResize(byte[] onnx) throws Exception {
        ModelProto m = ModelProto.parseFrom(onnx);
        GraphProto.Builder g = m.getGraph().toBuilder();
        Map<String, String> bypass = new java.util.HashMap<>();
        java.util.List<NodeProto> kept = new java.util.ArrayList<>();
        for (NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("Resize")) {
                bypass.put(n.getOutput(0), n.getInput(0));
            } else {
                kept.add(n);
            }
        }
        g.clearNode();
        for (NodeProto n : kept) {
            NodeProto.Builder b = n.toBuilder();
            for (int i = 0; i < b.getInputCount(); i++) {
                b.setInput(i, bypass.getOrDefault(b.getInput(i), b.getInput(i)));
            }
            g.addNode(b);
        }
        return m.toBuilder().setGraph(g).build().toByteArray();
    }

    @Benchmark
    public Verifier.Output ortBatch1() {
        return ort.run(input, 1, 1, r, r);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ort.close();
    }
}
// How to run: java -Dai.djl.offline=true -jar jmh/target/benchmarks.jar SeFormBench
