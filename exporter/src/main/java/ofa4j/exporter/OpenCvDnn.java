package ofa4j.exporter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an ONNX model in a second runtime: OpenCV's DNN module, through Debian's {@code
 * python3-opencv} ({@code cv2.dnn.readNetFromONNX}). OpenCV has no maintained Java binding on Maven
 * Central that matches the version users deploy with on small devices, so the model is run by the
 * very library they would use, in a child process: the model and a float32 input go to temporary
 * files, the logits come back in a third.
 *
 * <p>The interpreter is {@code /usr/bin/python3} (Debian's, where {@code python3-opencv} installs),
 * or the one named by the system property {@code ofa.python} or the environment variable {@code
 * OFA_PYTHON}.
 */
public final class OpenCvDnn {

    private OpenCvDnn() {}

    private static final String SCRIPT = """
            import sys, numpy as np, cv2
            model, inp, out, n, c, h, w, batch = sys.argv[1:9]
            n, c, h, w, batch = int(n), int(c), int(h), int(w), int(batch)
            x = np.fromfile(inp, dtype='<f4').reshape(n, c, h, w)
            net = cv2.dnn.readNetFromONNX(model)
            ys = []
            for s in range(0, n, batch):
                net.setInput(np.ascontiguousarray(x[s:s + batch]))
                ys.append(np.array(net.forward(), dtype='<f4').reshape(min(batch, n - s), -1))
            np.concatenate(ys).astype('<f4').tofile(out)
            print(cv2.__version__)
            """;

    /** Images per OpenCV forward. */
    static final int BATCH = 500;

    /**
     * What OpenCV computed.
     *
     * @param logits the model's output, row-major [n, classes]
     * @param classes outputs per image
     * @param version OpenCV's version
     */
    public record Output(float[] logits, int classes, String version) {}

    /** @return the Python interpreter used */
    public static String python() {
        String p = System.getProperty("ofa.python");
        if (p == null || p.isBlank()) {
            p = System.getenv("OFA_PYTHON");
        }
        if (p == null || p.isBlank()) {
            p = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        }
        return p;
    }

    /**
     * Whether OpenCV's DNN module can be imported.
     *
     * @return null when it can; else why not, in one line
     */
    public static String unavailable() {
        try {
            Process p = new ProcessBuilder(python(), "-c", "import cv2; cv2.dnn.readNetFromONNX")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return python() + " did not import cv2 within 60 s";
            }
            return p.exitValue() == 0 ? null : python() + " cannot import cv2 (apt-get install python3-opencv): "
                    + lastLine(out);
        } catch (IOException e) {
            return "cannot start " + python() + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /**
     * Runs a model on a batch of inputs in OpenCV DNN.
     *
     * @param onnx the model bytes
     * @param input the inputs, row-major [n, c, h, w]
     * @param n images
     * @param c channels
     * @param h height
     * @param w width
     * @return the logits
     * @throws IOException if OpenCV is missing, refuses the model or fails (its last error line is in
     *     the message)
     * @throws IllegalArgumentException if the input length is not n*c*h*w
     */
    public static Output run(byte[] onnx, float[] input, int n, int c, int h, int w) throws IOException {
        if ((long) n * c * h * w != input.length || n < 1) {
            throw new IllegalArgumentException("input of " + input.length + " floats is not " + n + "x" + c + "x" + h
                    + "x" + w);
        }
        Path dir = Files.createTempDirectory("ofa-opencv");
        try {
            Path model = Files.write(dir.resolve("model.onnx"), onnx);
            ByteBuffer bb = ByteBuffer.allocate(input.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            bb.asFloatBuffer().put(input);
            Path in = Files.write(dir.resolve("input.f32"), bb.array());
            Path out = dir.resolve("logits.f32");
            List<String> cmd = new ArrayList<>(List.of(python(), "-c", SCRIPT, model.toString(), in.toString(),
                    out.toString(), Integer.toString(n), Integer.toString(c), Integer.toString(h), Integer.toString(w),
                    Integer.toString(BATCH)));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            try {
                if (!p.waitFor(600, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException("OpenCV DNN did not finish within 600 s");
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while OpenCV DNN ran", e);
            }
            if (p.exitValue() != 0) {
                throw new IOException("OpenCV DNN failed (" + python() + ", exit " + p.exitValue() + "): "
                        + errorLine(text));
            }
            byte[] raw = Files.readAllBytes(out);
            if (raw.length % (Float.BYTES * n) != 0 || raw.length == 0) {
                throw new IOException("OpenCV DNN returned " + raw.length + " bytes for " + n + " images");
            }
            float[] logits = new float[raw.length / Float.BYTES];
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(logits);
            return new Output(logits, logits.length / n, lastLine(text));
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    /**
     * The line of a failed run that says what went wrong: the last one with OpenCV's {@code error:}
     * (its messages end with a bare {@code >} line), else the last non-blank one.
     */
    static String errorLine(String text) {
        String[] lines = text.strip().split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            if (lines[i].contains("error:")) {
                return lines[i].replaceFirst("^[>\\s]+", "").strip();
            }
        }
        return lastLine(text);
    }

    private static String lastLine(String text) {
        String[] lines = text.strip().split("\n");
        return lines.length == 0 ? "" : lines[lines.length - 1].strip();
    }
}
