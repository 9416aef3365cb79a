import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.GraphicsEnvironment;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Writes an image folder of rendered digits for trying ofa4j on data of one's own: one sub-folder
 * per class (0-9), 28x28 grey PNGs drawn in the fonts installed here with random size, rotation,
 * shear, offset, stroke weight, contrast and noise.
 *
 * <p>Usage (no build needed): {@code java scripts/RenderDigits.java OUT_DIR [PER_CLASS=150] [SEED=7]}
 */
public final class RenderDigits {

    private RenderDigits() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: java scripts/RenderDigits.java OUT_DIR [PER_CLASS=150] [SEED=7]");
            System.exit(2);
        }
        System.setProperty("java.awt.headless", "true");
        Path out = Path.of(args[0]);
        int perClass = args.length > 1 ? Integer.parseInt(args[1]) : 150;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 7;
        if (perClass < 1) {
            System.err.println("PER_CLASS must be >= 1, found " + perClass);
            System.exit(2);
        }
        List<String> families = new ArrayList<>();
        for (String f : GraphicsEnvironment.getLocalGraphicsEnvironment().getAvailableFontFamilyNames()) {
            if (!f.startsWith("Dialog") && !f.equals("Monospaced") && !f.equals("Serif") && !f.equals("SansSerif")) {
                families.add(f);
            }
        }
        if (families.isEmpty()) {
            families.add(Font.SANS_SERIF);
            families.add(Font.SERIF);
            families.add(Font.MONOSPACED);
        }
        Random rng = new Random(seed);
        int written = 0;
        for (int digit = 0; digit < 10; digit++) {
            Path dir = out.resolve(Integer.toString(digit));
            Files.createDirectories(dir);
            for (int i = 0; i < perClass; i++) {
                BufferedImage img = render(digit, families.get(rng.nextInt(families.size())), rng);
                ImageIO.write(img, "png", dir.resolve(String.format("%d_%04d.png", digit, i)).toFile());
                written++;
            }
        }
        System.out.println("wrote " + written + " images of 10 classes to " + out + " (" + families.size() + " font families)");
    }

    private static BufferedImage render(int digit, String family, Random rng) {
        int size = 28;
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        int background = rng.nextInt(60);
        int ink = 150 + rng.nextInt(106);
        g.setColor(new Color(background, background, background));
        g.fillRect(0, 0, size, size);
        int style = rng.nextInt(4); // plain, bold, italic, bold italic
        Font font = new Font(family, style, 15 + rng.nextInt(10));
        AffineTransform t = new AffineTransform();
        t.translate(size / 2.0 + rng.nextGaussian() * 1.5, size / 2.0 + rng.nextGaussian() * 1.5);
        t.rotate(Math.toRadians(rng.nextGaussian() * 12));
        t.shear(rng.nextGaussian() * 0.15, 0);
        g.setTransform(t);
        g.setFont(font);
        g.setColor(new Color(ink, ink, ink));
        String s = Integer.toString(digit);
        var fm = g.getFontMetrics();
        g.drawString(s, -fm.stringWidth(s) / 2f, (fm.getAscent() - fm.getDescent()) / 2f);
        g.dispose();
        var raster = img.getRaster();
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int v = raster.getSample(x, y, 0) + (int) Math.round(rng.nextGaussian() * 18);
                raster.setSample(x, y, 0, Math.max(0, Math.min(255, v)));
            }
        }
        return img;
    }
}
