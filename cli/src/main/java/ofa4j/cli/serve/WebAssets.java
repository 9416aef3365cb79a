package ofa4j.cli.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The web pages' fixed files, read once from the application's classpath: the slicing page ({@code
 * index.html}, {@code app.js}, {@code app.css}), the run report's script ({@code report.js}) and
 * the chart library, uPlot, from its WebJar (a pinned Maven dependency: the pages never load
 * anything from another site). Nothing from a request chooses a file beyond this fixed set.
 */
public final class WebAssets {

    /** The slicing page. */
    public static final String INDEX = "index.html";

    /** The run report page as the server sends it: its data comes from {@code GET /v1/report}. */
    public static final String REPORT_SHELL = "report.html";

    /** The chart library's script and style sheet. */
    public static final String UPLOT_JS = "uPlot.iife.min.js";

    /** The chart library's style sheet. */
    public static final String UPLOT_CSS = "uPlot.min.css";

    /** The pages' style sheet. */
    public static final String APP_CSS = "app.css";

    /** The report page's script. */
    public static final String REPORT_JS = "report.js";

    /** Where the project's page files live on the classpath. */
    static final String BASE = "/ofa4j/web/";

    /** The WebJar of uPlot: its version is read from its own Maven metadata. */
    static final String UPLOT_POM = "/META-INF/maven/org.webjars.npm/uplot/pom.properties";

    /**
     * Response headers of every page file: a policy that lets the pages run only their own scripts
     * and styles, talk only to this server and never be framed; no MIME sniffing; no referrer.
     */
    static final Map<String, String> HEADERS = Map.of(
            "Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:"
                    + " blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            "X-Content-Type-Options", "nosniff",
            "Referrer-Policy", "no-referrer",
            "Cache-Control", "no-cache");

    /**
     * One file.
     *
     * @param name its name under {@code /static/} (or the page's name)
     * @param contentType its media type
     * @param bytes its content
     */
    public record Asset(String name, String contentType, byte[] bytes) {

        /** @return the content as UTF-8 text */
        public String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static volatile WebAssets loaded;

    private final Map<String, Asset> files;
    private final String uplotVersion;

    private WebAssets(Map<String, Asset> files, String uplotVersion) {
        this.files = Map.copyOf(files);
        this.uplotVersion = uplotVersion;
    }

    /**
     * Reads the files once (later calls return the same instance).
     *
     * @return the page files
     * @throws IllegalStateException naming a file missing from the classpath (a broken build)
     */
    public static WebAssets load() {
        WebAssets w = loaded;
        if (w == null) {
            synchronized (WebAssets.class) {
                if (loaded == null) {
                    loaded = read();
                }
                w = loaded;
            }
        }
        return w;
    }

    private static WebAssets read() {
        Properties pom = new Properties();
        try (InputStream in = WebAssets.class.getResourceAsStream(UPLOT_POM)) {
            if (in == null) {
                throw new IllegalStateException("the uPlot WebJar is missing from the classpath (" + UPLOT_POM + ")");
            }
            pom.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + UPLOT_POM, e);
        }
        String version = pom.getProperty("version");
        String dist = "/META-INF/resources/webjars/uplot/" + version + "/dist/";
        Map<String, Asset> m = new LinkedHashMap<>();
        put(m, INDEX, BASE + INDEX, "text/html; charset=utf-8");
        put(m, "app.js", BASE + "app.js", "text/javascript; charset=utf-8");
        put(m, APP_CSS, BASE + APP_CSS, "text/css; charset=utf-8");
        put(m, REPORT_JS, BASE + REPORT_JS, "text/javascript; charset=utf-8");
        put(m, "charts.js", BASE + "charts.js", "text/javascript; charset=utf-8");
        put(m, "report-template.html", BASE + "report-template.html", "text/html; charset=utf-8");
        put(m, UPLOT_JS, dist + UPLOT_JS, "text/javascript; charset=utf-8");
        put(m, UPLOT_CSS, dist + UPLOT_CSS, "text/css; charset=utf-8");
        WebAssets partial = new WebAssets(m, version);
        m.put(REPORT_SHELL, new Asset(REPORT_SHELL, "text/html; charset=utf-8",
                RunReportPage.shell(partial).getBytes(StandardCharsets.UTF_8)));
        return new WebAssets(m, version);
    }

    private static void put(Map<String, Asset> m, String name, String resource, String type) {
        try (InputStream in = WebAssets.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("page file " + resource + " is missing from the classpath");
            }
            m.put(name, new Asset(name, type, in.readAllBytes()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read page file " + resource, e);
        }
    }

    /**
     * @param name a file name
     * @return the file, or null when there is none of that name
     */
    public Asset get(String name) {
        return files.get(name);
    }

    /**
     * @param name a file that exists
     * @return its text
     * @throws IllegalArgumentException naming an unknown file
     */
    public String text(String name) {
        Asset a = files.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no page file '" + name + "'; files: " + files.keySet());
        }
        return a.text();
    }

    /** @return the version of the bundled uPlot */
    public String uplotVersion() {
        return uplotVersion;
    }

    /** @return the response headers of every page file */
    public static Map<String, String> headers() {
        return HEADERS;
    }

    /**
     * Whether a request path names a page file (served without the token: code, no data).
     *
     * @param path the request path
     * @return true for {@code /}, {@code /report.html} and {@code /static/NAME} (one segment)
     */
    static boolean isPageFile(String path) {
        if (path.equals("/") || path.equals("/" + REPORT_SHELL)) {
            return true;
        }
        return path.startsWith("/static/") && path.indexOf('/', 8) < 0 && !path.contains("..")
                && !path.contains("%") && !path.contains("\\");
    }
}
