package ofa4j.slicer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.CostModel;
import ofa4j.models.SearchSpace;
import org.junit.jupiter.api.Test;

class CostTableTest {

    private static void agrees(SearchSpace space, int samples) {
        CostTable table = new CostTable(space);
        CostModel model = new CostModel(space);
        assertEquals(model.cost(space.max()), table.cost(space.max()));
        assertEquals(model.cost(space.min()), table.cost(space.min()));
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < samples; i++) {
            ArchConfig a = space.sample(rng);
            assertEquals(model.cost(a), table.cost(a), a.key());
        }
    }

    @Test
    void tableEqualsCostModelOnFmnist() {
        agrees(SearchSpace.fmnist(), 2000);
    }

    @Test
    void tableEqualsCostModelOnOfaImageNetSpace() {
        agrees(SearchSpace.ofaMbv3W10(), 300);
    }

    @Test
    void unknownChoiceIsNamed() {
        SearchSpace space = SearchSpace.fmnist();
        ArchConfig bad = new ArchConfig(space.min().blocks(), space.min().depths(), 32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CostTable(space).cost(bad));
        assertTrue(e.getMessage().contains("32") && e.getMessage().contains("[20, 24, 28]"), e.getMessage());
    }
}
