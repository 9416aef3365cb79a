package jakarta.servlet;

/**
 * Servlet 5's deprecated marker interface, removed in Servlet 6. Compatibility shim, not an API
 * of ours: the {@code ofa} process holds Javalin 7 (Jetty 12.1, which needs the Servlet 6 API)
 * and Apache Spark 4 (whose shaded Jetty 11 tests every servlet it registers, e.g. the metrics
 * servlet a SparkContext always creates, with {@code instanceof SingleThreadModel}). With the
 * Servlet 6 jar alone that test throws NoClassDefFoundError and no Spark context starts; no
 * servlet implements this interface, so the test is simply false. Remove it when Spark moves to
 * Servlet 6 (Jetty 12).
 *
 * @deprecated as in Servlet 5; only here so that Spark's Jetty 11 classes link
 */
@Deprecated
public interface SingleThreadModel {}
