package ofa4j.predictor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import ofa4j.models.ArchConfig;
import ofa4j.models.ArchEncoding;
import ofa4j.models.CostModel;
import ofa4j.models.SearchSpace;

/**
 * A synthetic ground truth for predictor tests: accuracy grows smoothly (saturating) with log MACs,
 * plus fixed random per-feature effects of the encoding, plus noise, so that a good predictor must
 * learn from the encoding and ranks are meaningful. Optionally the block effects change with the
 * input resolution (a second set of effects times the standardised resolution), as measured on real
 * supernets.
 */
final class SyntheticAccuracy {

    private final SearchSpace space;
    private final ArchEncoding enc;
    private final CostModel cost;
    private final double[] effects;
    private final double noise;
    private final double[] resolutionEffects;

    SyntheticAccuracy(SearchSpace space, long seed, double noise) {
        this(space, seed, noise, 0);
    }

    /**
     * @param interaction scale of the per-feature effects that flip sign with the resolution (0 = none)
     */
    SyntheticAccuracy(SearchSpace space, long seed, double noise, double interaction) {
        this.space = space;
        this.enc = new ArchEncoding(space);
        this.cost = new CostModel(space);
        SplittableRandom rng = new SplittableRandom(seed);
        this.effects = new double[enc.length()];
        for (int i = 0; i < effects.length; i++) {
            effects[i] = (rng.nextDouble() - 0.5) * 0.006;
        }
        this.noise = noise;
        this.resolutionEffects = new double[enc.length()];
        for (int i = 0; i < effects.length; i++) {
            resolutionEffects[i] = (rng.nextDouble() - 0.5) * interaction;
        }
    }

    /** Noise-free accuracy. */
    double truth(ArchConfig a) {
        double lm = Math.log(cost.macs(a) / 1e6); // about 0.3 .. 2.2 for fmnist
        double base = 0.70 + 0.2 * Math.tanh(1.2 * (lm - 1.0));
        float[] x = enc.encode(a);
        List<Integer> rs = space.resolutions();
        double mid = (rs.get(0) + rs.get(rs.size() - 1)) / 2.0;
        double half = Math.max(1, (rs.get(rs.size() - 1) - rs.get(0)) / 2.0);
        double z = (a.resolution() - mid) / half;
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += (effects[i] + resolutionEffects[i] * z) * x[i];
        }
        return base + s;
    }

    List<AccuracySample> samples(int n, long seed) {
        List<ArchConfig> archs = AccuracyDatasetBuilder.sampleDistinct(space, n, seed);
        SplittableRandom rng = new SplittableRandom(seed + 1);
        List<AccuracySample> out = new ArrayList<>();
        for (ArchConfig a : archs) {
            double acc = truth(a) + noise * gaussian(rng);
            out.add(AccuracySample.of(a, Math.min(1, Math.max(0, acc)), cost.macs(a)));
        }
        return out;
    }

    static double gaussian(SplittableRandom rng) {
        double u = Math.max(1e-12, rng.nextDouble());
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble());
    }
}
