package ofa4j.jmh;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import ofa4j.exporter.Int8Exporter;
import ofa4j.exporter.OnnxExporter;
import ofa4j.exporter.Verifier;
import ofa4j.models.ArchConfig;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
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
 * ONNX Runtime latency of a subnet's FP32 model against its INT8 QDQ model ({@link Int8Exporter}),
 * 1 intra-op thread, batch 1, times in ms; the INT8 / FP32 ratio per subnet is the quotient of two
 * rows of one run. The models are either exported here from the untrained supernet ({@code max},
 * {@code mid}, {@code min} of the fmnist space; INT8 calibrated on 64 random inputs: the latency does
 * not depend on the weights' values), or read from {@code dir}: {@code <arch>.onnx} and {@code
 * <arch>.<method>.int8.onnx}, as {@code scripts/int8-accuracy.sh} writes them for a trained run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true"})
public class Int8Bench {

    /** Subnet: max, mid or min of the fmnist space, or a file name stem in {@code dir}. */
    @Param({"max", "mid", "min"})
    public String arch;

    /** fp32 or int8. */
    @Param({"fp32", "int8"})
    public String precision;

    /** Directory of exported models; empty to export them here. */
    @Param("")
    public String dir;

    /** Calibration method in the INT8 file names of {@code dir}. */
    @Param("minmax")
    public String method;

    private Verifier ort;
    private float[] input;
    private int c;
    private int r;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        byte[] onnx;
        if (dir.isEmpty()) {
            SearchSpace space = SearchSpace.fmnist();
            ArchConfig a = switch (arch) {
                case "max" -> space.max();
                case "min" -> space.min();
                case "mid" -> space.uniform(5, 4, 3, 24);
                default -> throw new IllegalArgumentException("arch must be max, mid or min without dir, found " + arch);
            };
            Subnet s;
            try (Supernet net = Supernet.create(space, 1)) {
                s = net.extract(a);
            }
            float[] cal = new float[64 * a.resolution() * a.resolution()];
            SplittableRandom rng = new SplittableRandom(5);
            for (int i = 0; i < cal.length; i++) {
                cal[i] = (float) rng.nextGaussian();
            }
            onnx = precision.equals("fp32") ? OnnxExporter.toBytes(s, Map.of())
                    : Int8Exporter.toBytes(s, Int8Exporter.Calibration.minMax(cal, 64, "64 random inputs"), Map.of());
        } else {
            onnx = Files.readAllBytes(Path.of(dir, precision.equals("fp32") ? arch + ".onnx" : arch + "." + method + ".int8.onnx"));
        }
        ort = Verifier.open(onnx, 1);
        long[] shape = ort.inputShape();
        c = (int) shape[1];
        r = (int) shape[2];
        SplittableRandom rng = new SplittableRandom(3);
        input = new float[c * r * r];
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) rng.nextGaussian();
        }
    }

    /** @return the logits of one image */
    @Benchmark
    public Verifier.Output ortBatch1() {
        return ort.run(input, 1, c, r, r);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ort.close();
    }
}
// How to run: java -Dai.djl.offline=true -jar jmh/target/benchmarks.jar Int8Bench
//   on a trained run's models (scripts/int8-accuracy.sh OUT first):
//   java -Dai.djl.offline=true -jar jmh/target/benchmarks.jar Int8Bench -p dir=OUT -p arch=max,min,<target>...
