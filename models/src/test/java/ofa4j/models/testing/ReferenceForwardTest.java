package ofa4j.models.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import ofa4j.models.SearchSpace;
import ofa4j.models.Subnet;
import ofa4j.models.Tensor;
import org.junit.jupiter.api.Test;

class ReferenceForwardTest {

    private static Subnet replace(Subnet s, Map<String, Float> fills) {
        Map<String, Tensor> t = new LinkedHashMap<>(s.tensors());
        fills.forEach(
                (name, v) -> {
                    float[] d = new float[t.get(name).size()];
                    Arrays.fill(d, v);
                    t.put(name, new Tensor(t.get(name).shape(), d));
                });
        return new Subnet(s.space(), s.arch(), t, s.bnEps(), s.metadata());
    }

    @Test
    void headComputesByHand() {
        // final expand conv 0, its BN gamma 0 beta 3 -> every map value h_swish(3) = 3 * relu6(6) / 6 = 3;
        // pooled 3; feature mix weights 1/F -> each feature 3, h_swish(3) = 3; classifier weights 1
        // -> logit = 3 * M + bias.
        SearchSpace space = SearchSpace.fmnist();
        Subnet s = RandomSubnets.create(space, space.min(), 1);
        int f = space.finalExpandWidth();
        int m = space.featureMixWidth();
        Subnet h =
                replace(
                        s,
                        Map.of(
                                "final_expand.conv.weight", 0f,
                                "final_expand.bn.gamma", 0f,
                                "final_expand.bn.beta", 3f,
                                "feature_mix.weight", 1f / f,
                                "classifier.weight", 1f));
        float[] x = RandomSubnets.input(2, 1, 20, 5);
        float[] logits = ReferenceForward.forward(h, x, 2);
        float[] bias = s.tensor("classifier.bias").data();
        for (int b = 0; b < 2; b++) {
            for (int k = 0; k < 10; k++) {
                assertEquals(3.0 * m + bias[k], logits[b * 10 + k], 1e-3);
            }
        }
    }

    @Test
    void zeroClassifierGivesItsBiasAndRowsAreIndependent() {
        SearchSpace space = SearchSpace.fmnist();
        Subnet s = RandomSubnets.create(space, space.max(), 2);
        float[] x = RandomSubnets.input(3, 1, 28, 6);
        float[] all = ReferenceForward.forward(s, x, 3);
        float[] second = ReferenceForward.forward(s, Arrays.copyOfRange(x, 784, 2 * 784), 1);
        assertArrayEquals(Arrays.copyOfRange(all, 10, 20), second, 0f);
        assertFalse(Arrays.equals(Arrays.copyOfRange(all, 0, 10), second), "different images, different logits");

        Subnet z = replace(s, Map.of("classifier.weight", 0f));
        assertArrayEquals(s.tensor("classifier.bias").data(), ReferenceForward.forward(z, Arrays.copyOf(x, 784), 1), 0f);
    }

    @Test
    void wrongInputLengthNamesTheSizes() {
        SearchSpace space = SearchSpace.fmnist();
        Subnet s = RandomSubnets.create(space, space.min(), 2);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ReferenceForward.forward(s, new float[399], 1));
        assertTrue(e.getMessage().contains("1 x 1 x 20 x 20 = 400") && e.getMessage().contains("found 399"), e.getMessage());
    }

    @Test
    void randomSubnetsAreSeededAndPlausible() {
        SearchSpace space = SearchSpace.fmnist();
        Subnet a = RandomSubnets.create(space, space.max(), 9);
        Subnet b = RandomSubnets.create(space, space.max(), 9);
        Subnet c = RandomSubnets.create(space, space.max(), 10);
        assertEquals(a.tensors(), b.tensors());
        assertFalse(a.tensors().equals(c.tensors()));
        for (Map.Entry<String, Tensor> e : a.tensors().entrySet()) {
            for (float v : e.getValue().data()) {
                if (e.getKey().endsWith(".var")) {
                    assertTrue(v >= 0.3f && v <= 2f, e.getKey());
                }
                if (e.getKey().endsWith(".mean")) {
                    assertTrue(Math.abs(v) <= 0.3f, e.getKey());
                }
            }
        }
        assertEquals("9", a.metadata().get("seed"));
        assertEquals("0.2860", a.metadata().get(Subnet.INPUT_MEAN_KEY));
    }
}
