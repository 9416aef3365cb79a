package ofa4j.cli.serve;

import io.javalin.http.Context;
import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SelectableChannelEndPoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a client that closes its connection while its {@code POST} is being answered, so that a
 * search nobody waits for can be cancelled. HTTP/1.1 gives a server no event for this: Jetty does
 * not read from a connection while a request on it is handled. Here the connection's socket is
 * registered, for reading only, with a selector of our own: the request body has been read whole,
 * and a client must not pipeline another request behind a non-idempotent one (RFC 9112, 9.3.2), so
 * the socket turning readable means end of stream or reset: the client left. Nothing is read from
 * the socket; Jetty keeps owning it. Only used for {@code POST}.
 */
final class ClientWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClientWatch.class);

    /** A watched request; {@link #close()} stops watching (when its answer is written). */
    final class Watch implements AutoCloseable {
        private final SocketChannel channel;
        private final Runnable onGone;
        private final AtomicBoolean done = new AtomicBoolean();
        private volatile SelectionKey key;

        Watch(SocketChannel channel, Runnable onGone) {
            this.channel = channel;
            this.onGone = onGone;
        }

        void fire() {
            if (done.compareAndSet(false, true)) {
                cancelKey();
                onGone.run();
            }
        }

        private void cancelKey() {
            SelectionKey k = key;
            if (k != null) {
                k.cancel();
            }
        }

        /** Stops watching. */
        @Override
        public void close() {
            if (done.compareAndSet(false, true)) {
                cancelKey();
                selector.wakeup(); // deregisters the cancelled key before the connection serves another request
            }
        }
    }

    private final Selector selector;
    private final Thread thread;
    private final Queue<Watch> toRegister = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    /**
     * Opens the selector and starts its thread.
     *
     * @throws IOException if no selector can be opened
     */
    ClientWatch() throws IOException {
        this.selector = Selector.open();
        this.thread = new Thread(this::loop, "ofa-serve-client-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Watches the connection of a request whose body has been read.
     *
     * @param ctx the request
     * @param onGone run once, on the watch thread, if the client closes the connection first
     * @return the watch to close when the answer is written; a no-op when the connection is not a
     *     plain socket (then nothing is noticed)
     */
    AutoCloseable watch(Context ctx, Runnable onGone) {
        SocketChannel ch = channel(ctx);
        if (ch == null || closed) {
            return () -> {};
        }
        Watch w = new Watch(ch, onGone);
        toRegister.add(w);
        selector.wakeup();
        return w;
    }

    /** The socket of a request's connection, or null. */
    private static SocketChannel channel(Context ctx) {
        try {
            EndPoint ep = ServletContextRequest.getServletContextRequest(ctx.req()).getConnectionMetaData()
                    .getConnection().getEndPoint();
            return ep instanceof SelectableChannelEndPoint s && s.getChannel() instanceof SocketChannel c ? c : null;
        } catch (RuntimeException e) {
            LOG.debug("no socket to watch for {}", ctx.path(), e);
            return null;
        }
    }

    private void loop() {
        try {
            while (!closed) {
                selector.select(1000);
                for (SelectionKey k : selector.selectedKeys()) {
                    ((Watch) k.attachment()).fire();
                }
                selector.selectedKeys().clear();
                for (Watch w; (w = toRegister.poll()) != null; ) {
                    register(w);
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            if (!closed) {
                LOG.warn("client watch stopped: {}", e.toString());
            }
        }
    }

    private void register(Watch w) throws IOException {
        if (w.done.get()) {
            return;
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                w.key = w.channel.register(selector, SelectionKey.OP_READ, w);
                if (w.done.get()) {
                    w.key.cancel(); // closed while registering
                }
                return;
            } catch (ClosedChannelException e) {
                w.fire(); // the connection is already gone
                return;
            } catch (CancelledKeyException e) {
                selector.selectNow(); // the previous request's key on this connection is not deregistered yet
            }
        }
    }

    /** Stops the thread and closes the selector. */
    @Override
    public void close() throws IOException {
        closed = true;
        selector.wakeup();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        selector.close();
    }
}
