package ofa4j.supernet.train;

import java.lang.reflect.Method;

/**
 * Runs libtorch with one intra-op thread for the duration of a test class and restores the
 * previous count afterwards. Measured here: with 5 other JVMs busy on the 2 cores, the default 2
 * OpenMP threads made a tiny-net training step 10-30x slower (0.7-27 s instead of 0.1-0.7 s),
 * because each parallel region waits for a descheduled thread. Reflection keeps the engine a
 * runtime-only dependency (STYLE.md 1).
 */
final class OneThread implements AutoCloseable {

    private final int previous;

    private OneThread(int previous) {
        this.previous = previous;
    }

    static OneThread enter() {
        try {
            ai.djl.engine.Engine.getInstance(); // loads the native library first
            Class<?> jni = Class.forName("ai.djl.pytorch.jni.JniUtils");
            Method get = jni.getMethod("getNumThreads");
            Method set = jni.getMethod("setNumThreads", int.class);
            int prev = (Integer) get.invoke(null);
            set.invoke(null, 1);
            return new OneThread(prev);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot set libtorch threads", e);
        }
    }

    @Override
    public void close() {
        try {
            Class.forName("ai.djl.pytorch.jni.JniUtils").getMethod("setNumThreads", int.class).invoke(null, previous);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot restore libtorch threads", e);
        }
    }
}
