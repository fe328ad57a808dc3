package dev.sluice.connect.sink;

import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connect's own count of failed DLQ writes for one connector's tasks on this worker (the {@code task-error-metrics}
 * MBean's {@code deadletterqueue-produce-failures}). Needed because Connect drops a DLQ write that fails at once
 * (a record over the producer's max.request.size, say): with the log reporter always installed, its combined future
 * keeps only the futures not yet done, so the failed one is lost and the reporter's future succeeds. The counter still
 * moves; {@link DeadLetters} reads it around each delivery.
 */
final class DlqFailureCounter implements LongSupplier {
  private static final Logger log = LoggerFactory.getLogger(DlqFailureCounter.class);
  private static final String ATTRIBUTE = "deadletterqueue-produce-failures";
  private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
  private final ObjectName pattern;

  DlqFailureCounter(String connector) {
    ObjectName p = null;
    try {
      p = new ObjectName("kafka.connect:type=task-error-metrics,connector=" + ObjectName.quote(connector) + ",task=*");
      if (server.queryNames(p, null).isEmpty()) p = new ObjectName("kafka.connect:type=task-error-metrics,connector=" + connector + ",task=*");
    } catch (Exception e) {
      log.warn("cannot watch Connect's DLQ failure count for {}: {}", connector, e.toString());
    }
    pattern = p;
  }

  /** The failures counted so far for the connector's tasks on this worker; 0 when the metric is not found. */
  @Override
  public long getAsLong() {
    if (pattern == null) return 0;
    long sum = 0;
    for (ObjectName n : server.queryNames(pattern, null)) {
      try {
        sum += ((Number) server.getAttribute(n, ATTRIBUTE)).longValue();
      } catch (Exception e) {
        // a task's metrics being removed while we read: count what is left
      }
    }
    return sum;
  }
}
