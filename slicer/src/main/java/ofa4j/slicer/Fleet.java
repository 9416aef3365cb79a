package ofa4j.slicer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import ofa4j.models.SearchSpace;
import ofa4j.predictor.AccuracyPredictor;

/**
 * Specialises one supernet for several deployment targets at once: every target's constraint is
 * checked up front (one impossible target fails the call before any search runs, naming the
 * target), then each target is searched with the same strategy, one cost table and one accuracy
 * predictor whose predictions are cached by architecture key ({@link CachingAccuracyPredictor}).
 */
public final class Fleet {

    private Fleet() {}

    /**
     * One deployment target.
     *
     * @param name target name for reports and file names, e.g. {@code phone-2ms}
     * @param constraint its constraint (latency bounds carry their device's latency model)
     */
    public record Target(String name, Constraint constraint) {
        /** Checks the values. */
        public Target {
            if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException(
                        "target name must be non-empty letters, digits, '.', '_' or '-', found '" + name + "'");
            }
            if (constraint == null) {
                throw new IllegalArgumentException("target " + name + " needs a constraint, found null");
            }
        }
    }

    /**
     * The outcome of a fleet search.
     *
     * @param results one result per target, in the order given
     * @param cacheHits accuracy predictions answered from the shared cache
     * @param cacheMisses accuracy predictions made by the predictor
     * @param wallMs wall time of the whole call, ms
     */
    public record Result(List<TargetResult> results, long cacheHits, long cacheMisses, double wallMs) {
        /** Copies the list. */
        public Result {
            results = List.copyOf(results);
        }
    }

    /**
     * One target's result.
     *
     * @param target the target
     * @param result its search result
     */
    public record TargetResult(Target target, SearchResult result) {}

    /**
     * Searches every target.
     *
     * @param space the search space
     * @param predictor the accuracy predictor (wrapped in a cache shared by all targets)
     * @param targets the targets (distinct names)
     * @param strategy the search strategy
     * @param seed the seed; target {@code i} uses the {@code i}-th split of a {@code SplittableRandom(seed)}
     * @return the results
     * @throws InfeasibleConstraintException before any search if a target is impossible; the message
     *     names the target
     */
    public static Result search(
            SearchSpace space, AccuracyPredictor predictor, List<Target> targets, SearchStrategy strategy, long seed) {
        long t0 = System.nanoTime();
        if (targets == null || targets.isEmpty()) {
            throw new IllegalArgumentException("a fleet needs at least one target");
        }
        Set<String> names = new HashSet<>();
        for (Target t : targets) {
            if (!names.add(t.name())) {
                throw new IllegalArgumentException("target names must be distinct, found '" + t.name() + "' twice");
            }
        }
        CostTable table = new CostTable(space);
        List<ConstrainedSpace> spaces = new ArrayList<>();
        for (Target t : targets) {
            try {
                spaces.add(new ConstrainedSpace(space, t.constraint(), strategy.extraDevices(), table));
            } catch (InfeasibleConstraintException e) {
                throw new InfeasibleConstraintException("target " + t.name() + ": " + e.getMessage(), e.cheapest());
            }
        }
        CachingAccuracyPredictor cached = predictor instanceof CachingAccuracyPredictor c
                ? c : new CachingAccuracyPredictor(predictor);
        long hits0 = cached.hits();
        long misses0 = cached.misses();
        SplittableRandom seeds = new SplittableRandom(seed);
        List<TargetResult> out = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            long s = seeds.nextLong();
            out.add(new TargetResult(targets.get(i), strategy.search(spaces.get(i), cached, s)));
        }
        return new Result(out, cached.hits() - hits0, cached.misses() - misses0, (System.nanoTime() - t0) / 1e6);
    }
}
