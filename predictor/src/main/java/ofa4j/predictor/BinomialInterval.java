package ofa4j.predictor;

import java.util.Locale;
import org.apache.commons.math3.stat.interval.ConfidenceInterval;
import org.apache.commons.math3.stat.interval.IntervalUtils;

/**
 * The 95% Wilson score interval of an accuracy measured on a finite number of images: how far the
 * measured figure may be from the true one by the luck of the draw, so that a gap between a
 * predicted and a measured accuracy can be told from sampling noise.
 *
 * @param lower lower bound, a fraction in [0, 1]
 * @param upper upper bound, a fraction in [0, 1]
 * @param halfWidthPoints half the interval's width, in percentage points
 * @param images images the accuracy was measured on
 */
public record BinomialInterval(double lower, double upper, double halfWidthPoints, int images) {

    /** Confidence level of {@link #wilson95}. */
    public static final double CONFIDENCE = 0.95;

    /** Checks the bounds. */
    public BinomialInterval {
        if (!(lower >= 0 && lower <= upper && upper <= 1)) {
            throw new IllegalArgumentException("interval bounds must satisfy 0 <= lower <= upper <= 1, found " + lower
                    + " and " + upper);
        }
        if (images < 1) {
            throw new IllegalArgumentException("images must be >= 1, found " + images);
        }
    }

    /**
     * The 95% Wilson score interval of {@code correct} right answers out of {@code images}.
     *
     * @param correct images classified correctly, in [0, images]
     * @param images images scored (>= 1)
     * @return the interval
     * @throws IllegalArgumentException naming a count out of range
     */
    public static BinomialInterval wilson95(int correct, int images) {
        if (images < 1) {
            throw new IllegalArgumentException("images must be >= 1, found " + images);
        }
        if (correct < 0 || correct > images) {
            throw new IllegalArgumentException("correct must be in [0, " + images + "], found " + correct);
        }
        ConfidenceInterval ci = IntervalUtils.getWilsonScoreInterval(images, correct, CONFIDENCE);
        // the exact bound is 0 at 0 successes and 1 at n; floating point lands a little off
        double lo = correct == 0 ? 0 : Math.max(0, ci.getLowerBound());
        double hi = correct == images ? 1 : Math.min(1, ci.getUpperBound());
        return new BinomialInterval(lo, hi, 100 * (hi - lo) / 2, images);
    }

    /**
     * The 95% Wilson score interval of an accuracy measured on {@code images} images (the count of
     * right answers is {@code round(accuracy * images)}).
     *
     * @param accuracy measured accuracy, a fraction in [0, 1]
     * @param images images scored (>= 1)
     * @return the interval
     * @throws IllegalArgumentException naming a value out of range
     */
    public static BinomialInterval wilson95(double accuracy, int images) {
        if (!(accuracy >= 0 && accuracy <= 1)) {
            throw new IllegalArgumentException("accuracy must be a fraction in [0, 1], found " + accuracy);
        }
        if (images < 1) {
            throw new IllegalArgumentException("images must be >= 1, found " + images);
        }
        return wilson95((int) Math.round(accuracy * images), images);
    }

    /**
     * Tells whether sampling noise alone can move the measurement by more than {@code points}.
     *
     * @param points percentage points
     * @return true if {@link #halfWidthPoints()} exceeds {@code points}
     */
    public boolean widerThan(double points) {
        return halfWidthPoints > points;
    }

    /**
     * One line for a report, e.g. {@code 95% interval 83.1-86.2% (+-1.6 points, 2000 images)}.
     *
     * @return the description
     */
    public String describe() {
        return String.format(Locale.ROOT, "95%% interval %.1f-%.1f%% (+-%.1f points, %d images)", 100 * lower,
                100 * upper, halfWidthPoints, images);
    }
}
