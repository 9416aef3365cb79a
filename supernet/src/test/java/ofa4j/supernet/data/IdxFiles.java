package ofa4j.supernet.data;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small fabricated IDX files for tests. */
final class IdxFiles {

    private IdxFiles() {}

    static byte[] images(int n, int h, int w) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bos);
        out.writeInt(0x00000803);
        out.writeInt(n);
        out.writeInt(h);
        out.writeInt(w);
        for (int i = 0; i < n * h * w; i++) {
            out.writeByte((i * 7) & 0xff);
        }
        return bos.toByteArray();
    }

    static byte[] labels(int n) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bos);
        out.writeInt(0x00000801);
        out.writeInt(n);
        for (int i = 0; i < n; i++) {
            out.writeByte(i % 10);
        }
        return bos.toByteArray();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(raw);
        }
        return bos.toByteArray();
    }

    /** Writes the four files of a tiny Fashion-MNIST look-alike (gzipped) into {@code dir}. */
    static void writeDataset(Path dir, int nTrain, int nTest) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve(FashionMnist.TRAIN_IMAGES), gzip(images(nTrain, 28, 28)));
        Files.write(dir.resolve(FashionMnist.TRAIN_LABELS), gzip(labels(nTrain)));
        Files.write(dir.resolve(FashionMnist.TEST_IMAGES), gzip(images(nTest, 28, 28)));
        Files.write(dir.resolve(FashionMnist.TEST_LABELS), gzip(labels(nTest)));
    }
}
