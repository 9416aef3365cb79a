package ofa4j.cli.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report page's escaping and its refusal of a directory that is not a finished run. */
class RunReportPageTest {

    @Test
    void dataInsideTheScriptElementCannotCloseIt() {
        String json = "{\"key\":\"</script><img src=x onerror=alert(1)>&amp;\\u2028\"}";
        String safe = RunReportPage.scriptSafe(json);
        assertFalse(safe.contains("<") || safe.contains(">") || safe.contains("&"), safe);
        assertEquals(JsonParser.parseString(json), JsonParser.parseString(safe));
    }

    @Test
    void aDirectoryWithoutReportJsonIsNamed(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class, () -> RunReportPage.read(dir));
        assertEquals("run " + dir + " has no report.json; 'ofa run' writes it at the end of a run", e.getMessage());
    }

    @Test
    void theServedShellLoadsOnlyTheServersOwnFiles() {
        String shell = WebAssets.load().text(WebAssets.REPORT_SHELL);
        assertTrue(shell.contains("<script src=\"/static/uPlot.iife.min.js\"></script>"), shell);
        assertFalse(shell.contains("http://") || shell.contains("https://"), shell);
        assertFalse(shell.contains("<!--"), "every placeholder is filled");
    }
}
