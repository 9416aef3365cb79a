package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunReportTest {

    @TempDir Path dir;

    @Test
    void aReportOfTheCurrentVersionLoadsAndRendersItsSummary() throws Exception {
        RunReport r = RunReport.read(SliceJsonTest.fixture("run-report-quick.json"));
        assertEquals("quick", r.preset());
        assertEquals(ofa4j.models.SearchSpace.fmnist(), r.searchSpace().toSpace());
        assertEquals(1716, r.training().steps());
        assertEquals(0.8536, r.slices().get(1).testAccuracy());
        assertEquals("lat-0.253ms", r.slices().get(1).target());
        assertEquals(872.89, r.costs().totalCpuS());
        assertEquals(179, r.predictor().afterRefinement().rows());
        assertEquals("95% interval 85.6-88.5% (+-1.5 points, 2000 images)", r.valInterval95());
        assertNull(r.valIntervalWide()); // not written by the build of the fixture
        String md = r.summary();
        assertTrue(md.contains("| lat-0.253ms | `" + r.slices().get(1).key() + "` |"), md);
        assertTrue(md.contains("85.36%"), md);

        r.write(dir);
        assertEquals(r, RunReport.read(dir.resolve("report.json")));
        assertEquals(md, Files.readString(dir.resolve("summary.md")));
    }
}
