package ofa4j.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import ofa4j.exporter.OnnxExporter;
import ofa4j.exporter.Verifier;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.supernet.Supernet;
import ofa4j.supernet.data.ImageSet;
import ofa4j.supernet.fixed.FixedNetwork;
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
 * After training, per subnet of the {@code fmnist} space (max and min): extraction from the
 * supernet, BN recalibration on 2000 images, ONNX export, and batch-1 inference latency in ONNX
 * Runtime (1 intra-op thread) next to DJL's forward of the same extracted subnet. Times in ms.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 3)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1"})
public class SubnetBench {

    @Param({"max", "min"})
    public String arch;

    private final SearchSpace space = SearchSpace.fmnist();
    private Supernet net;
    private ArchConfig a;
    private Subnet subnet;
    private byte[] onnx;
    private Verifier ort;
    private FixedNetwork fixed;
    private NDManager manager;
    private NDArray x1;
    private float[] input1;
    private ImageSet calib;
    private final float[] mean = {0.286f};
    private final float[] std = {0.353f};

    @Setup(Level.Trial)
    public void setup() {
        net = Supernet.create(space, 1);
        a = arch.equals("max") ? space.max() : space.min();
        subnet = net.extract(a);
        onnx = OnnxExporter.toBytes(subnet, Map.of());
        ort = Verifier.open(onnx, 1);
        fixed = new FixedNetwork(subnet);
        manager = NDManager.newBaseManager();
        int r = a.resolution();
        SplittableRandom rng = new SplittableRandom(3);
        input1 = new float[r * r];
        for (int i = 0; i < input1.length; i++) {
            input1[i] = (float) rng.nextGaussian();
        }
        x1 = manager.create(input1, new Shape(1, 1, r, r));
        int n = 2000;
        float[] px = new float[n * 28 * 28];
        int[] labels = new int[n];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) rng.nextDouble();
        }
        calib = new ImageSet("bench", 1, 28, 28, px, labels, 10);
    }

    /** Cutting the subnet's tensors out of the supernet (kernel transforms applied). */
    @Benchmark
    public Subnet extract() {
        return net.extract(a);
    }

    /** OFA's BN recalibration on 2000 images at the subnet's resolution, plus extraction. */
    @Benchmark
    public Subnet extractCalibrated() {
        return net.extractCalibrated(a, calib, 2000, mean, std, 1);
    }

    /** Subnet to ONNX bytes (BN folding in double, protobuf serialisation). */
    @Benchmark
    public byte[] export() {
        return OnnxExporter.toBytes(subnet, Map.of());
    }

    /** Batch-1 inference in ONNX Runtime, 1 intra-op thread. */
    @Benchmark
    public Verifier.Output ortBatch1() {
        int r = a.resolution();
        return ort.run(input1, 1, 1, r, r);
    }

    /** Batch-1 inference of the same subnet in DJL (PyTorch, 1 thread). */
    @Benchmark
    public float djlBatch1() {
        try (NDManager scope = manager.newSubManager()) {
            return fixed.forward(scope, x1).getFloat(0, 0);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ort.close();
        fixed.close();
        manager.close();
        net.close();
    }
}
// How to run: java -Dai.djl.offline=true -jar jmh/target/benchmarks.jar SubnetBench
