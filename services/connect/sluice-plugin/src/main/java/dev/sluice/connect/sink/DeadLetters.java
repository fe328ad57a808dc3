package dev.sluice.connect.sink;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers a batch's dead letters and waits until the DLQ acknowledged each one. Connect awaits reporter futures
 * before it calls preCommit, but this sink reports from its writer thread, later; so the writer waits itself, and a
 * batch counts as written (its offsets may be committed) only once its rows are stored and its dead letters are
 * acknowledged. A failed DLQ write is transient: the failed letters are reported again until they are acknowledged,
 * never skipped. Connect drops a write that fails at once (see {@link DlqFailureCounter}), so its failure count is
 * read around each delivery too, and a rise reports the round again. A letter may therefore reach the DLQ twice (acknowledged late, or reported again after a restart):
 * readers count dead letters by their origin topic, partition and offset.
 */
final class DeadLetters {
  private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);
  /** Longer than the producer's default delivery.timeout.ms (120 s), by which every send has an answer. */
  static final long ACK_TIMEOUT_MS = 150_000;

  /** A record the sink cannot store, and why. */
  record Letter(SinkRecord record, Throwable error) {}

  private final ErrantRecordReporter reporter;
  private final long ackTimeoutMs;
  private final LongSupplier failures;

  /** {@code failures}: Connect's count of failed DLQ writes, which sees the failures a future may hide. */
  DeadLetters(ErrantRecordReporter reporter, long ackTimeoutMs, LongSupplier failures) {
    this.reporter = reporter;
    this.ackTimeoutMs = ackTimeoutMs;
    this.failures = failures;
  }

  /**
   * Reports every letter and waits for its acknowledgement; reports the failed ones again every {@code backoffMs}
   * while {@code keepGoing} holds. True when all are acknowledged, false when stopped first.
   */
  boolean deliver(List<Letter> letters, long backoffMs, BooleanSupplier keepGoing) throws InterruptedException {
    List<Letter> todo = letters;
    while (!todo.isEmpty()) {
      if (!keepGoing.getAsBoolean()) return false;
      long failedBefore = failures.getAsLong();
      List<Future<Void>> acks = new ArrayList<>(todo.size());
      for (Letter l : todo) acks.add(reporter.report(l.record(), l.error()));
      List<Letter> failed = new ArrayList<>();
      Throwable cause = null;
      for (int i = 0; i < todo.size(); i++) {
        try {
          acks.get(i).get(ackTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
          failed.add(todo.get(i));
          cause = e instanceof ExecutionException x && x.getCause() != null ? x.getCause() : e;
        }
      }
      if (failed.isEmpty() && failures.getAsLong() > failedBefore) {
        // A write failed whose future said nothing: which letter is unknown, so the whole round goes again.
        failed.addAll(todo);
        cause = new IllegalStateException("Connect counted a failed DLQ write that its future did not show");
      }
      if (failed.isEmpty()) return true;
      SinkRecord first = failed.get(0).record();
      log.warn("the DLQ did not acknowledge {} of {} dead letters (first: {}-{}@{}): {}; their batch stays uncommitted, "
          + "reporting them again in {} ms", failed.size(), todo.size(), first.topic(), first.kafkaPartition(),
          first.kafkaOffset(), cause, backoffMs);
      Thread.sleep(backoffMs);
      todo = failed;
    }
    return true;
  }
}
