package ofa4j.supernet.train;

/**
 * Running sums of one training epoch: what the epoch's figures are computed from, and what a
 * checkpoint written in the middle of an epoch stores (manifest key {@code epoch_partial}) so that
 * a resumed epoch reports the same figures as an uninterrupted one. Counts are over subnet
 * forwards: a step with {@code k} subnets on a batch of {@code b} images adds {@code k * b} to
 * {@code seen} but {@code b} to {@code images}.
 *
 * @param lossSum sum of the loss of every subnet forward
 * @param correct correctly classified images, summed over subnet forwards
 * @param seen images seen, summed over subnet forwards
 * @param images images trained on (once per step)
 * @param seconds wall time of the steps, in seconds
 */
public record EpochTotals(double lossSum, long correct, long seen, long images, double seconds) {

    /** The totals before the first step of an epoch (also what an empty {@code {}} reads as). */
    public static final EpochTotals ZERO = new EpochTotals(0, 0, 0, 0, 0);

    /** Refuses negative or non-finite sums. */
    public EpochTotals {
        if (!Double.isFinite(lossSum) || !Double.isFinite(seconds) || seconds < 0) {
            throw new IllegalArgumentException(
                    "epoch_partial: loss_sum and seconds must be finite, seconds >= 0, found " + lossSum + ", " + seconds);
        }
        if (correct < 0 || seen < 0 || images < 0 || correct > seen) {
            throw new IllegalArgumentException("epoch_partial: counts must be >= 0 and correct <= seen, found correct "
                    + correct + ", seen " + seen + ", images " + images);
        }
    }

    /**
     * These totals plus one step.
     *
     * @param lossSum sum of the step's subnet losses
     * @param correct correct images over the step's subnets
     * @param seen images times subnets of the step
     * @param images images of the step's batch
     * @param seconds the step's wall time
     * @return the new totals
     */
    public EpochTotals plus(double lossSum, long correct, long seen, long images, double seconds) {
        return new EpochTotals(this.lossSum + lossSum, this.correct + correct, this.seen + seen, this.images + images,
                this.seconds + seconds);
    }

    /**
     * @param batchSize images per step
     * @return mean loss per subnet forward ({@code seen / batchSize} forwards of a full batch)
     */
    public double meanLoss(int batchSize) {
        return lossSum / Math.max(1, (double) seen / batchSize);
    }

    /** @return training accuracy so far, a fraction */
    public double accuracy() {
        return correct / Math.max(1, (double) seen);
    }

    /** @return training speed, images per second */
    public double imagesPerSecond() {
        return images / Math.max(1e-9, seconds);
    }
}
