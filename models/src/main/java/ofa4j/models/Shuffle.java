package ofa4j.models;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Seeded Fisher-Yates shuffles. Written out rather than {@code Collections.shuffle} because that
 * needs boxed lists, and because data splits and cross-validation folds must stay the same for a
 * seed across Java versions: this exact order of draws is part of every run's identity.
 */
public final class Shuffle {

    private Shuffle() {}

    /**
     * @param n size
     * @param rng random source
     * @return a random permutation of {@code 0..n-1}
     */
    public static int[] permutation(int n, RandomGenerator rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        shuffle(p, rng);
        return p;
    }

    /**
     * Shuffles an array in place.
     *
     * @param a the array
     * @param rng random source
     */
    public static void shuffle(int[] a, RandomGenerator rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /**
     * Shuffles a list in place, with the same draws as {@link #shuffle(int[], RandomGenerator)}.
     *
     * @param list the list
     * @param rng random source
     * @param <T> element type
     */
    public static <T> void shuffle(List<T> list, RandomGenerator rng) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }

    /**
     * The first {@code k} items of a random permutation of {@code 0..n-1}, drawn forward (a partial
     * Fisher-Yates shuffle: position i swaps with a random position in [i, n)): k draws, not n.
     *
     * @param n population size
     * @param k items wanted, at most n
     * @param rng random source
     * @return {@code k} distinct indices
     */
    public static int[] sample(int n, int k, RandomGenerator rng) {
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("cannot draw " + k + " of " + n + " items");
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = 0; i < k; i++) {
            int j = i + rng.nextInt(n - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return java.util.Arrays.copyOf(order, k);
    }
}
