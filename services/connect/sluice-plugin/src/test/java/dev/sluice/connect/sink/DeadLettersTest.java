package dev.sluice.connect.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class DeadLettersTest {
  /** A reporter whose first {@code failures} sends fail (as a DLQ refusing the record would), then acknowledges. */
  static final class FlakyReporter implements ErrantRecordReporter {
    final List<Long> reported = new ArrayList<>();
    final AtomicInteger failures;

    FlakyReporter(int failures) {
      this.failures = new AtomicInteger(failures);
    }

    @Override
    public Future<Void> report(SinkRecord record, Throwable error) {
      reported.add(record.kafkaOffset());
      CompletableFuture<Void> f = new CompletableFuture<>();
      if (failures.getAndDecrement() > 0) f.completeExceptionally(new RecordTooLargeException("DLQ refused it"));
      else f.complete(null);
      return f;
    }
  }

  private static List<DeadLetters.Letter> letters(long... offsets) {
    List<DeadLetters.Letter> out = new ArrayList<>();
    for (long o : offsets) out.add(new DeadLetters.Letter(new SinkRecord("t", 0, Schema.STRING_SCHEMA, "k", Schema.STRING_SCHEMA, "v", o), new RuntimeException("bad")));
    return out;
  }

  @Test
  void allAcknowledgedAtOnce() throws InterruptedException {
    FlakyReporter dlq = new FlakyReporter(0);
    assertTrue(new DeadLetters(dlq, 1000, () -> 0).deliver(letters(3, 7), 1, () -> true));
    assertEquals(List.of(3L, 7L), dlq.reported);
  }

  @Test
  void aFailedDlqWriteIsReportedAgainUntilAcknowledgedAndOnlyTheFailedOnes() throws InterruptedException {
    FlakyReporter dlq = new FlakyReporter(1); // the send of 3 fails once; 7 and 9 are acknowledged
    assertTrue(new DeadLetters(dlq, 1000, () -> 0).deliver(letters(3, 7, 9), 1, () -> true));
    assertEquals(List.of(3L, 7L, 9L, 3L), dlq.reported);
  }

  @Test
  void neverSkipsALetterAndStopsOnlyWhenTold() throws InterruptedException {
    FlakyReporter dlq = new FlakyReporter(Integer.MAX_VALUE);
    AtomicInteger rounds = new AtomicInteger();
    assertFalse(new DeadLetters(dlq, 1000, () -> 0).deliver(letters(5), 1, () -> rounds.incrementAndGet() <= 4));
    assertEquals(List.of(5L, 5L, 5L, 5L), dlq.reported);
  }

  @Test
  void aFailureConnectCountedButTheFutureHidIsReportedAgain() throws InterruptedException {
    FlakyReporter dlq = new FlakyReporter(0);
    long[] counter = {0};
    // The first round's write "fails at once": Connect counts it, the future it hands back succeeds anyway.
    ErrantRecordReporter hiding = (record, error) -> {
      if (dlq.reported.isEmpty()) counter[0]++;
      return dlq.report(record, error);
    };
    assertTrue(new DeadLetters(hiding, 1000, () -> counter[0]).deliver(letters(4, 8), 1, () -> true));
    assertEquals(List.of(4L, 8L, 4L, 8L), dlq.reported);
  }

  @Test
  void noLettersNothingToWaitFor() throws InterruptedException {
    FlakyReporter dlq = new FlakyReporter(0);
    assertTrue(new DeadLetters(dlq, 1000, () -> 0).deliver(List.of(), 1, () -> false));
    assertTrue(dlq.reported.isEmpty());
  }
}
