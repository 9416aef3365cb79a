package ofa4j.slicer;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToLongBiFunction;

/**
 * A map bounded by entry count and by (estimated) bytes that evicts its least recently used
 * entries first. Long-lived caches of the slicing service are instances, so that a server answering
 * many distinct requests keeps a bounded heap; {@link #stats()} reports the sizes and limits. An
 * entry larger than the byte limit by itself is not kept. Thread-safe (one lock).
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class LruCache<K, V> {

    /**
     * Sizes and limits of a cache at one moment (the service's health report shows them).
     *
     * @param name what the cache holds
     * @param entries entries held
     * @param maxEntries entry limit
     * @param bytes estimated bytes held
     * @param maxBytes byte limit
     * @param evictions entries evicted to stay within the limits so far
     */
    public record Stats(String name, int entries, int maxEntries, long bytes, long maxBytes, long evictions) {}

    /**
     * Estimated heap bytes of a string key: the object headers (about 40 bytes) and one byte per
     * Latin-1 character (compact strings) or two otherwise.
     *
     * @param s the string
     * @return the estimate
     */
    public static long stringBytes(String s) {
        return 40 + (s.chars().allMatch(c -> c < 256) ? s.length() : 2L * s.length());
    }

    /**
     * Estimated bytes the cache adds per entry: the {@link LinkedHashMap} entry (40), its share of
     * the table (about 11) and the holder of value and weight (24).
     */
    static final long ENTRY_OVERHEAD = 80;

    /** A value and its weight. */
    private record Held<V>(V value, long weight) {}

    private final String name;
    private final int maxEntries;
    private final long maxBytes;
    private final ToLongBiFunction<K, V> weigher;
    private final LinkedHashMap<K, Held<V>> map = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private long evictions;

    /**
     * Creates an empty cache.
     *
     * @param name what it holds (reported in {@link #stats()})
     * @param maxEntries entries kept at most (>= 1)
     * @param maxBytes estimated bytes kept at most (>= 1)
     * @param weigher estimated bytes of an entry (key and value; the map's own overhead is added)
     * @throws IllegalArgumentException if a limit is below 1, naming it
     */
    public LruCache(String name, int maxEntries, long maxBytes, ToLongBiFunction<K, V> weigher) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("entry limit of the " + name + " cache must be >= 1, found " + maxEntries);
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("byte limit of the " + name + " cache must be >= 1, found " + maxBytes);
        }
        this.name = name;
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
        this.weigher = weigher;
    }

    /**
     * Returns the value of a key and marks it most recently used.
     *
     * @param key the key
     * @return its value, or null
     */
    public synchronized V get(K key) {
        Held<V> h = map.get(key);
        return h == null ? null : h.value();
    }

    /**
     * Puts an entry (replacing any of the same key) and evicts least recently used entries until
     * both limits hold; an entry heavier than the byte limit is not kept.
     *
     * @param key the key
     * @param value the value (not null)
     */
    public synchronized void put(K key, V value) {
        remove(key);
        long w = weigher.applyAsLong(key, value) + ENTRY_OVERHEAD;
        if (w > maxBytes) {
            evictions++;
            return;
        }
        map.put(key, new Held<>(value, w));
        bytes += w;
        Iterator<Map.Entry<K, Held<V>>> it = map.entrySet().iterator();
        while ((map.size() > maxEntries || bytes > maxBytes) && it.hasNext()) {
            bytes -= it.next().getValue().weight();
            it.remove();
            evictions++;
        }
    }

    /**
     * Removes a key.
     *
     * @param key the key
     * @return its value, or null
     */
    public synchronized V remove(K key) {
        Held<V> h = map.remove(key);
        if (h == null) {
            return null;
        }
        bytes -= h.weight();
        return h.value();
    }

    /** @return entries held */
    public synchronized int size() {
        return map.size();
    }

    /** @return the sizes and limits now */
    public synchronized Stats stats() {
        return new Stats(name, map.size(), maxEntries, bytes, maxBytes, evictions);
    }
}
