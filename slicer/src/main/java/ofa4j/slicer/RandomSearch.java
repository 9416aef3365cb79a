package ofa4j.slicer;

import java.util.ArrayList;
import java.util.List;
import ofa4j.predictor.AccuracyPredictor;
import ofa4j.predictor.LatencyPredictor;

/**
 * The baseline: predicts {@code evaluations} feasible subnets drawn uniformly (bounded rejection
 * sampling, see {@link RejectionPolicy}) in batches, and keeps the most accurate. Its front holds
 * the non-dominated subnets of everything it evaluated. Compare with {@link EvolutionSearch} at the
 * same number of evaluations ({@link EvolutionSearch#budget()}).
 */
public final class RandomSearch implements SearchStrategy {

    private final long evaluations;
    private final int batchSize;
    private final RejectionPolicy rejection;
    private final CostAxis frontAxis;

    /**
     * Creates the search.
     *
     * @param evaluations predictor evaluations (OFA's evolution budget is 50,100)
     * @param batchSize subnets per predictor call (e.g. 100)
     * @param rejection caps of rejection sampling
     * @param frontAxis cost axis of the result's front
     */
    public RandomSearch(long evaluations, int batchSize, RejectionPolicy rejection, CostAxis frontAxis) {
        if (evaluations < 1) {
            throw new IllegalArgumentException("evaluations must be at least 1, found " + evaluations);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, found " + batchSize);
        }
        if (rejection == null || frontAxis == null) {
            throw new IllegalArgumentException("rejection policy and front axis must not be null");
        }
        this.evaluations = evaluations;
        this.batchSize = batchSize;
        this.rejection = rejection;
        this.frontAxis = frontAxis;
    }

    /**
     * Random search with batches of 100, the default rejection policy and a MACs front.
     *
     * @param evaluations predictor evaluations
     * @return the search
     */
    public static RandomSearch withBudget(long evaluations) {
        return new RandomSearch(evaluations, 100, RejectionPolicy.DEFAULT, CostAxis.macs());
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "random";
    }

    /** {@inheritDoc} */
    @Override
    public List<LatencyPredictor> extraDevices() {
        return frontAxis.devices();
    }

    /** {@inheritDoc} */
    @Override
    public SearchResult search(ConstrainedSpace space, AccuracyPredictor predictor, long seed) {
        SearchRun run = new SearchRun(space, predictor, seed);
        Candidate best = null;
        List<Candidate> front = new ArrayList<>();
        List<Double> history = new ArrayList<>();
        List<ConstrainedSpace.Feasible> batch = new ArrayList<>(batchSize);
        for (long done = 0; done < evaluations; ) {
            int n = (int) Math.min(batchSize, evaluations - done);
            batch.clear();
            for (int i = 0; i < n; i++) {
                batch.add(space.sample(run.rng, rejection, run.log));
            }
            List<Candidate> scored = run.scorer.score(batch);
            for (Candidate c : scored) {
                if (best == null || c.predictedAccuracy() > best.predictedAccuracy()) {
                    best = c;
                }
            }
            front.addAll(scored);
            front = ParetoFront.of(front, frontAxis);
            history.add(best.predictedAccuracy());
            done += n;
        }
        return run.result(name(), best, front, frontAxis, history, run.log.notes(space, rejection));
    }
}
