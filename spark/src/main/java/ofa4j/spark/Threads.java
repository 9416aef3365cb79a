package ofa4j.spark;

import ai.djl.engine.Engine;

/**
 * PyTorch's intra-op thread count of this process (one setting for the whole JVM), through the
 * engine's {@code JniUtils} by reflection as {@code DjlLatencyMeter} does: the engine is a runtime
 * dependency only.
 */
final class Threads {

    private Threads() {}

    /**
     * Sets PyTorch's intra-op threads if they differ.
     *
     * @param n threads, at least 1
     * @return the previous intra-op thread count
     * @throws IllegalStateException if the default engine is not PyTorch
     */
    static synchronized int set(int n) {
        String engine = Engine.getInstance().getEngineName(); // also loads the native library
        if (!"PyTorch".equals(engine)) {
            throw new IllegalStateException("the accuracy table needs DJL's PyTorch engine, the default engine is " + engine);
        }
        int old = (Integer) jni("getNumThreads");
        if (old != n) {
            jni("setNumThreads", n);
        }
        return old;
    }

    private static Object jni(String method, int... arg) {
        try {
            Class<?> c = Class.forName("ai.djl.pytorch.jni.JniUtils");
            return arg.length == 0 ? c.getMethod(method).invoke(null) : c.getMethod(method, int.class).invoke(null, arg[0]);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot call libtorch's " + method + ": " + e, e);
        }
    }
}
