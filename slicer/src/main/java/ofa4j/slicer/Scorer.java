package ofa4j.slicer;

import java.util.ArrayList;
import java.util.List;
import ofa4j.models.ArchConfig;
import ofa4j.predictor.AccuracyPredictor;

/** Calls an accuracy predictor on a batch of feasible subnets, checks its answers and counts them. */
final class Scorer {
    private final AccuracyPredictor predictor;
    long evaluations;

    Scorer(AccuracyPredictor predictor) {
        if (predictor == null) {
            throw new IllegalArgumentException("accuracy predictor must not be null");
        }
        this.predictor = predictor;
    }

    List<Candidate> score(List<ConstrainedSpace.Feasible> batch) {
        List<ArchConfig> archs = new ArrayList<>(batch.size());
        for (ConstrainedSpace.Feasible f : batch) {
            archs.add(f.arch());
        }
        double[] acc = predictor.predict(archs);
        if (acc == null || acc.length != archs.size()) {
            throw new IllegalStateException("accuracy predictor " + predictor.name() + " returned "
                    + (acc == null ? "null" : acc.length + " values") + " for " + archs.size() + " subnets");
        }
        List<Candidate> out = new ArrayList<>(batch.size());
        for (int i = 0; i < acc.length; i++) {
            if (!Double.isFinite(acc[i])) {
                throw new IllegalStateException("accuracy predictor " + predictor.name() + " returned " + acc[i]
                        + " for " + archs.get(i).key());
            }
            out.add(new Candidate(archs.get(i), acc[i], batch.get(i).costs()));
        }
        evaluations += acc.length;
        return out;
    }
}
