package ofa4j.slicer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Pareto fronts of candidates for two objectives: maximise predicted accuracy, minimise a {@link
 * CostAxis}.
 */
public final class ParetoFront {

    private ParetoFront() {}

    /**
     * Returns whether {@code a} dominates {@code b}: no worse in both objectives, better in one.
     *
     * @param a first candidate
     * @param b second candidate
     * @param axis the cost axis
     * @return true if {@code a} dominates {@code b}
     */
    public static boolean dominates(Candidate a, Candidate b, CostAxis axis) {
        double ca = axis.value(a);
        double cb = axis.value(b);
        double aa = a.predictedAccuracy();
        double ab = b.predictedAccuracy();
        return ca <= cb && aa >= ab && (ca < cb || aa > ab);
    }

    /**
     * Returns the non-dominated candidates, sorted by cost ascending (accuracy then rises strictly);
     * of candidates with equal cost and accuracy only the first is kept.
     *
     * @param candidates any candidates
     * @param axis the cost axis
     * @return the front
     */
    public static List<Candidate> of(Collection<Candidate> candidates, CostAxis axis) {
        List<double[]> keyed = new ArrayList<>(candidates.size());
        List<Candidate> list = new ArrayList<>(candidates);
        for (int i = 0; i < list.size(); i++) {
            keyed.add(new double[] {axis.value(list.get(i)), list.get(i).predictedAccuracy(), i});
        }
        keyed.sort(Comparator.<double[]>comparingDouble(k -> k[0])
                .thenComparing(k -> -k[1])
                .thenComparingDouble(k -> k[2]));
        List<Candidate> out = new ArrayList<>();
        double bestAcc = Double.NEGATIVE_INFINITY;
        for (double[] k : keyed) {
            if (k[1] > bestAcc) {
                out.add(list.get((int) k[2]));
                bestAcc = k[1];
            }
        }
        return out;
    }

    /**
     * Computes the 2-D hypervolume (area) dominated by a set of points and bounded by a reference
     * point: the area of the set of {@code (cost, acc)} such that some point {@code p} has {@code
     * p.cost <= cost <= refCost} and {@code refAcc <= acc <= p.acc}. Larger is better.
     *
     * @param candidates the points (need not be a front)
     * @param axis the cost axis
     * @param refCost the reference cost in the axis' unit (worse than every point of interest)
     * @param refAccuracy the reference accuracy (fraction)
     * @return the area in (axis unit x accuracy fraction)
     */
    public static double hypervolume(Collection<Candidate> candidates, CostAxis axis, double refCost, double refAccuracy) {
        List<Candidate> front = of(candidates, axis);
        double hv = 0;
        for (int i = 0; i < front.size(); i++) {
            double c = axis.value(front.get(i));
            double next = i + 1 < front.size() ? Math.min(axis.value(front.get(i + 1)), refCost) : refCost;
            double height = front.get(i).predictedAccuracy() - refAccuracy;
            if (c < refCost && next > c && height > 0) {
                hv += (next - c) * height;
            }
        }
        return hv;
    }
}
