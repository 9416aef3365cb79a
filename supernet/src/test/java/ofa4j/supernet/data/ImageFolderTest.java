package ofa4j.supernet.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {

    @TempDir Path tmp;

    private static void png(Path file, int size, int rgb) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        ImageIO.write(img, file.toString().endsWith(".png") ? "png" : "jpg", file.toFile());
    }

    @Test
    void loadsClassesSortedByNameGreyAndRgb() throws IOException {
        png(tmp.resolve("zebra/a.png"), 10, 0xffffff);
        png(tmp.resolve("zebra/b.png"), 12, 0xffffff);
        png(tmp.resolve("apple/x.png"), 8, 0xff0000);
        Files.writeString(tmp.resolve("apple/readme.txt"), "not an image");
        ImageFolder.Loaded grey = ImageFolder.load(tmp, 1, 6);
        assertEquals(List.of("apple", "zebra"), grey.classNames());
        ImageSet g = grey.images();
        assertEquals(3, g.size());
        assertEquals(6, g.height());
        assertEquals(1, g.channels());
        assertEquals(0, g.labels()[0]);
        assertEquals(1, g.labels()[2]);
        assertEquals(0.299, g.pixels()[0], 0.01); // pure red in BT.601 luma
        assertEquals(1.0, g.pixels()[36 + 5], 0.01); // white
        ImageSet rgb = ImageFolder.load(tmp, 3, 4).images();
        assertEquals(3, rgb.channels());
        assertEquals(1.0, rgb.pixels()[0], 0.01); // red channel of the red image
        assertEquals(0.0, rgb.pixels()[16], 0.01); // its green channel
    }

    @Test
    void emptyClassFolderIsNamed() throws IOException {
        png(tmp.resolve("a/1.png"), 4, 0);
        Files.createDirectories(tmp.resolve("b"));
        IOException e = assertThrows(IOException.class, () -> ImageFolder.load(tmp, 1, 4));
        assertTrue(e.getMessage().contains(tmp.resolve("b").toString()) && e.getMessage().contains("no PNG or JPEG"),
                e.getMessage());
    }

    @Test
    void unreadableImageIsNamed() throws IOException {
        png(tmp.resolve("a/1.png"), 4, 0);
        Files.createDirectories(tmp.resolve("b"));
        Path bad = tmp.resolve("b/broken.jpg");
        Files.write(bad, new byte[] {1, 2, 3, 4, 5});
        IOException e = assertThrows(IOException.class, () -> ImageFolder.load(tmp, 3, 4));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
    }

    @Test
    void aJpegCutShortIsRefusedNotFilledIn() throws IOException {
        png(tmp.resolve("a/1.png"), 4, 0);
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(32, 32, java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.util.Random rnd = new java.util.Random(2);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                img.setRGB(x, y, rnd.nextInt(1 << 24));
            }
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(img, "jpg", out);
        byte[] jpeg = out.toByteArray();
        Path cut = tmp.resolve("b/cut.jpg");
        Files.createDirectories(cut.getParent());
        Files.write(cut, java.util.Arrays.copyOf(jpeg, jpeg.length * 2 / 3)); // the decoder only warns
        IOException e = assertThrows(IOException.class, () -> ImageFolder.load(tmp, 3, 4));
        assertTrue(e.getMessage().startsWith("cannot decode image " + cut + ": damaged image data ("), e.getMessage());
        Files.write(cut, jpeg);
        assertEquals(2, ImageFolder.load(tmp, 3, 4).images().size());
    }

    @Test
    void anImageDeclaringTooManyPixelsIsRefusedBeforeDecoding() throws IOException {
        png(tmp.resolve("a/1.png"), 4, 0);
        Path huge = tmp.resolve("b/huge.png");
        png(huge, 4, 0);
        // patch the IHDR chunk to claim 46,000 x 46,000 pixels (with its CRC): a few bytes on disk
        byte[] b = Files.readAllBytes(huge);
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b);
        bb.putInt(16, 46_000).putInt(20, 46_000);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b, 12, 17); // "IHDR" and its 13 data bytes
        bb.putInt(29, (int) crc.getValue());
        Files.write(huge, b);
        IOException e = assertThrows(IOException.class, () -> ImageFolder.load(tmp, 1, 4));
        assertEquals("image " + huge + " declares 46000 x 46000 pixels, more than the " + ImageFolder.MAX_PIXELS
                + " allowed (raise with -Dofa.maxImagePixels=N in OFA_JAVA_OPTS)", e.getMessage());
    }

    @Test
    void missingOrSingleClassFolderIsRefused() throws IOException {
        IOException e = assertThrows(IOException.class, () -> ImageFolder.load(tmp.resolve("nope"), 1, 4));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        png(tmp.resolve("only/1.png"), 4, 0);
        IOException e2 = assertThrows(IOException.class, () -> ImageFolder.load(tmp, 1, 4));
        assertTrue(e2.getMessage().contains("at least 2 class"), e2.getMessage());
        IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class, () -> ImageFolder.load(tmp, 2, 4));
        assertTrue(e3.getMessage().contains("found 2"), e3.getMessage());
    }

    @Test
    void detectsColourFromHeadersOnly() throws IOException {
        Path grey = tmp.resolve("grey");
        for (String c : List.of("a", "b")) {
            Path f = grey.resolve(c + "/1.png");
            Files.createDirectories(f.getParent());
            ImageIO.write(new BufferedImage(5, 5, BufferedImage.TYPE_BYTE_GRAY), "png", f.toFile());
        }
        assertEquals(1, ImageFolder.detectChannels(grey));
        // one RGB file among grey ones makes the folder colour, even if its pixels are grey
        png(grey.resolve("b/2.png"), 5, 0x808080);
        assertEquals(3, ImageFolder.detectChannels(grey));
        Path bad = grey.resolve("a/0.jpg");
        Files.write(bad, new byte[] {1, 2, 3});
        IOException e = assertThrows(IOException.class, () -> ImageFolder.detectChannels(grey));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
    }
}
