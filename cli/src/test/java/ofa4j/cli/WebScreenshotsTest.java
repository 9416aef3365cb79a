package ofa4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import ofa4j.cli.serve.RunReportPage;
import ofa4j.cli.serve.SlicingServer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * Screenshots of both pages at 1280x800 into {@code docs/} and the page's timings, on a trained
 * run named by {@code OFA_WEB_RUN} (e.g. a quick run): the page load (until the predicted front is
 * drawn, first with the front computed, then again with it cached) and a slice round trip as the
 * page measures it. Run with:
 *
 * <pre>
 * OFA_WEB_RUN=runs/quick mvn -Pperf -pl cli test -Dtest=WebScreenshotsTest -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@Tag("perf")
class WebScreenshotsTest {

    @TempDir Path tmp;

    @Test
    void screenshotsAndTimingsOfBothPages() throws Exception {
        String runEnv = System.getenv("OFA_WEB_RUN");
        assumeTrue(runEnv != null, "set OFA_WEB_RUN to a trained run directory");
        assertNull(Browser.unavailable(), Browser.unavailable());
        Path run = Path.of(runEnv);
        Path docs = Path.of(System.getProperty("ofa.docs", "../docs"));
        Path report = tmp.resolve(RunReportPage.FILE);
        Files.writeString(report, RunReportPage.html(RunReportPage.read(run)));
        CandidatesOption k = new CandidatesOption();
        try (ServeCommand.Backend backend = ServeCommand.Backend.open(run, "best", new DataOptions(), 2000, k, 42, true);
                SlicingServer server = new SlicingServer(backend, SlicingServer.Options.defaults().withThreads(8, 1));
                Browser b = new Browser(Files.createDirectories(tmp.resolve("downloads")), 1280, 800)) {
            int port = server.start("127.0.0.1", 0);
            String url = "http://127.0.0.1:" + port + "/";
            long t0 = System.nanoTime();
            b.driver.get(url);
            b.waitForBodyData("front", v -> v.startsWith("cpu-ort-1t|latency|"), 120);
            double coldMs = (System.nanoTime() - t0) / 1e6;
            t0 = System.nanoTime();
            b.driver.get(url);
            b.waitForBodyData("front", v -> v.startsWith("cpu-ort-1t|latency|"), 120);
            double warmMs = (System.nanoTime() - t0) / 1e6;
            WebElement slider = b.byId("budget");
            slider.sendKeys(Keys.END);
            for (int i = 0; i < 400; i++) {
                slider.sendKeys(Keys.ARROW_LEFT);
            }
            String budget = b.byId("budget-exact").getAttribute("value");
            t0 = System.nanoTime();
            b.byId("slice").click();
            b.waitShown("result", 600);
            double sliceMs = (System.nanoTime() - t0) / 1e6;
            String pageSliceMs = b.waitForBodyData("slice-ms", v -> !v.isEmpty(), 10);
            b.waitForBodyData("front", v -> !v.endsWith("|0"), 120);
            b.byId("chart").sendKeys(Keys.HOME);
            b.js("document.getElementById('chart').ofaChart.focusSeries(2);"); // the chosen subnet's figures
            b.screenshot(docs.resolve("web-slice.png"));
            // a second slice of the same budget comes from the cache
            b.byId("slice").click();
            String cachedMs = b.waitForBodyData("slice-ms", v -> !v.equals(pageSliceMs), 60);
            b.driver.get(report.toUri().toString());
            assertEquals("true", b.waitForBodyData("ready", v -> !v.isEmpty(), 30));
            b.screenshot(docs.resolve("web-report.png"));
            b.driver.get(url + "report.html");
            double t1 = System.nanoTime();
            assertEquals("true", b.waitForBodyData("ready", v -> !v.isEmpty(), 30));
            double reportMs = (System.nanoTime() - t1) / 1e6;
            b.viewport(390, 844, true);
            b.driver.get(url);
            b.waitForBodyData("front", v -> v.startsWith("cpu-ort-1t|latency|"), 120);
            b.screenshot(tmp.resolve("web-slice-phone.png"));
            Files.copy(tmp.resolve("web-slice-phone.png"), Path.of(System.getProperty("java.io.tmpdir"), "web-slice-phone.png"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            System.out.printf(Locale.ROOT, "[web] run %s: page load until the front is drawn %.0f ms (front computed),"
                    + " %.0f ms (front cached); slice at max_latency_ms %s: %.0f ms round trip (page's fetch %s ms),"
                    + " again from the cache %s ms; report page through the server %.0f ms%n", run, coldMs, warmMs, budget,
                    sliceMs, pageSliceMs, cachedMs, reportMs);
        }
    }
}
