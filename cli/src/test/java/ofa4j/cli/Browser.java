package ofa4j.cli;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A headless Debian Chromium driven through the system chromedriver (named explicitly, so Selenium
 * Manager never looks for a driver on the internet), with downloads saved into a directory of the
 * test's. Started and stopped by the test; every wait is bounded.
 */
final class Browser implements AutoCloseable {

    static final String CHROMIUM = "/usr/bin/chromium";
    static final String CHROMEDRIVER = "/usr/bin/chromedriver";

    final ChromeDriver driver;
    final Path downloads;

    /**
     * @return why no browser can run here, or null when Chromium and its driver are installed
     */
    static String unavailable() {
        if (!Files.isExecutable(Path.of(CHROMIUM)) || !Files.isExecutable(Path.of(CHROMEDRIVER))) {
            return "headless Chromium is needed: apt-get install chromium chromium-driver (.ci/run does)";
        }
        return null;
    }

    /**
     * Starts a browser.
     *
     * @param downloads where downloads go
     * @param width window width, CSS px
     * @param height window height, CSS px
     */
    Browser(Path downloads, int width, int height) {
        this.downloads = downloads;
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM);
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=" + width + "," + height, "--hide-scrollbars", "--force-device-scale-factor=1",
                "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--disable-component-update", "--disable-default-apps", "--lang=en-US");
        Map<String, Object> prefs = new HashMap<>();
        prefs.put("download.default_directory", downloads.toAbsolutePath().toString());
        prefs.put("download.prompt_for_download", false);
        prefs.put("safebrowsing.enabled", false);
        o.setExperimentalOption("prefs", prefs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort().build();
        driver = new ChromeDriver(service, o);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
        Map<String, Object> behaviour = new HashMap<>();
        behaviour.put("behavior", "allow");
        behaviour.put("downloadPath", downloads.toAbsolutePath().toString());
        driver.executeCdpCommand("Page.setDownloadBehavior", behaviour);
        viewport(width, height, false);
    }

    /**
     * Sets the page's viewport (the window's size includes the browser's own bars).
     *
     * @param width CSS px
     * @param height CSS px
     * @param mobile whether to emulate a phone (touch, mobile viewport rules)
     */
    void viewport(int width, int height, boolean mobile) {
        Map<String, Object> m = new HashMap<>();
        m.put("width", width);
        m.put("height", height);
        m.put("deviceScaleFactor", 1);
        m.put("mobile", mobile);
        driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", m);
    }

    WebElement byId(String id) {
        return driver.findElement(By.id(id));
    }

    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    /** Waits (at most {@code seconds}) until a body data attribute holds a value that passes. */
    String waitForBodyData(String name, java.util.function.Predicate<String> ok, int seconds) {
        return new WebDriverWait(driver, Duration.ofSeconds(seconds)).until(d -> {
            String v = d.findElement(By.tagName("body")).getAttribute("data-" + name);
            return v != null && ok.test(v) ? v : null;
        });
    }

    /** Waits (at most {@code seconds}) until the element is shown. */
    WebElement waitShown(String id, int seconds) {
        return new WebDriverWait(driver, Duration.ofSeconds(seconds)).until(d -> {
            WebElement e = d.findElement(By.id(id));
            return e.isDisplayed() ? e : null;
        });
    }

    /** Waits (at most {@code seconds}) for a finished download of that name. */
    Path waitForDownload(String name, int seconds) throws InterruptedException {
        Path f = downloads.resolve(name);
        for (int i = 0; i < seconds * 10; i++) {
            if (Files.isRegularFile(f) && !Files.exists(downloads.resolve(name + ".crdownload"))) {
                return f;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no download " + name + " within " + seconds + " s; in " + downloads + ": "
                + java.util.Arrays.toString(downloads.toFile().list()));
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    void screenshot(Path png) throws java.io.IOException {
        Files.createDirectories(png.toAbsolutePath().getParent());
        Files.write(png, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    WebDriver driver() {
        return driver;
    }

    @Override
    public void close() {
        driver.quit();
    }
}
