package dev.sluice.connect.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The task's offset bookkeeping with its writer thread, against {@link FakeDatabase} and a fake DLQ: offsets are
 * committed only for batches whose rows are stored and whose dead letters are acknowledged; while the database is away
 * the batch is retried and the next one handed back; a systemic refusal fails the task.
 */
class PgUpsertSinkTaskTest {
  private static final TopicPartition TP = new TopicPartition("t", 0);
  private final FakeDatabase db = new FakeDatabase();
  /** Acknowledgements the fake DLQ hands out; the test completes them (or they start completed). */
  private final List<CompletableFuture<Void>> acks = new ArrayList<>();
  private volatile boolean ackAtOnce = true;
  private volatile boolean hasDlq = true;
  private final List<Long> timeouts = new ArrayList<>();
  private PgUpsertSinkTask task;

  private final ErrantRecordReporter reporter = new ErrantRecordReporter() {
    @Override
    public synchronized Future<Void> report(SinkRecord record, Throwable error) {
      db.event("report " + record.kafkaOffset());
      CompletableFuture<Void> f = ackAtOnce ? CompletableFuture.completedFuture(null) : new CompletableFuture<>();
      acks.add(f);
      return f;
    }
  };

  private final SinkTaskContext context = new SinkTaskContext() {
    @Override
    public Map<String, String> configs() {
      return Map.of();
    }

    @Override
    public void offset(Map<TopicPartition, Long> offsets) {}

    @Override
    public void offset(TopicPartition tp, long offset) {}

    @Override
    public void timeout(long ms) {
      timeouts.add(ms);
    }

    @Override
    public Set<TopicPartition> assignment() {
      return Set.of(TP);
    }

    @Override
    public void pause(TopicPartition... partitions) {}

    @Override
    public void resume(TopicPartition... partitions) {}

    @Override
    public void requestCommit() {}

    @Override
    public ErrantRecordReporter errantRecordReporter() {
      return hasDlq ? reporter : null;
    }

    @Override
    public PluginMetrics pluginMetrics() {
      return null;
    }
  };

  private void start() {
    task = new PgUpsertSinkTask(config -> db, 2_000); // preCommit waits this long for a batch in flight
    task.initialize(context);
    Map<String, String> props = new HashMap<>();
    props.put("name", "task-test");
    props.put(PgUpsertSinkConfig.URL, "jdbc:postgresql://x/y");
    props.put(PgUpsertSinkConfig.RETRY_BACKOFF_MS, "100");
    task.start(props);
  }

  @AfterEach
  void stop() {
    if (task != null) task.stop();
  }

  private static Map<TopicPartition, OffsetAndMetadata> at(long offset) {
    return Map.of(TP, new OffsetAndMetadata(offset));
  }

  @Test
  void whileTheDatabaseIsAwayOnlyStoredBatchesAreCommittedAndTheNextBatchComesBack() {
    start();
    task.put(FakeDatabase.records(0, 10));
    assertEquals(at(10), task.preCommit(at(10)));
    db.loseConnection.set(Integer.MAX_VALUE);
    task.put(FakeDatabase.records(10, 20));
    assertThrows(RetriableException.class, () -> task.put(FakeDatabase.records(20, 30)));
    assertEquals(List.of(100L), timeouts, "Connect is asked to redeliver after the backoff");
    assertEquals(at(10), task.preCommit(at(20)), "the batch being retried is not committed");
    db.loseConnection.set(0);
    assertEquals(at(20), task.preCommit(at(20)));
    assertEquals(20, db.rows().size());
    assertTrue(db.opens.get() > 1, "reconnected");
  }

  @Test
  void deadLettersGoOutAfterTheRowsAreStoredAndTheirAcknowledgementGatesTheOffsets() {
    ackAtOnce = false;
    start();
    List<SinkRecord> batch = new ArrayList<>(FakeDatabase.records(0, 10));
    batch.set(4, FakeDatabase.record(4, 4, FakeDatabase.POISON));
    task.put(batch);
    assertEquals(Map.of(), task.preCommit(at(10)), "nothing committed before the DLQ acknowledges");
    List<String> events = db.events();
    assertEquals("report 4", events.get(events.size() - 1), events.toString());
    assertTrue(events.stream().limit(events.size() - 1).allMatch(e -> e.startsWith("commit ")), events.toString());
    assertEquals(9, db.rows().size());
    synchronized (reporter) {
      acks.forEach(a -> a.complete(null));
    }
    assertEquals(at(10), task.preCommit(at(10)));
  }

  @Test
  void aSystemicRefusalFailsTheTaskWithoutDeadLetters() {
    db.refuseState = "23514";
    start();
    List<SinkRecord> batch = new ArrayList<>();
    for (long o = 0; o < 20; o++) batch.add(FakeDatabase.record(o, o, FakeDatabase.POISON));
    task.put(batch);
    ConnectException e = assertThrows(ConnectException.class, () -> task.preCommit(at(20)));
    assertTrue(e.getMessage().contains("23514"), e.getMessage());
    assertThrows(ConnectException.class, () -> task.put(FakeDatabase.records(20, 21)));
    assertTrue(db.events().stream().noneMatch(x -> x.startsWith("report")), db.events().toString());
  }

  @Test
  void withoutADlqARecordThatCannotBeStoredFailsTheTask() {
    hasDlq = false;
    start();
    List<SinkRecord> batch = new ArrayList<>(FakeDatabase.records(0, 3));
    batch.set(1, FakeDatabase.record(1, 1, FakeDatabase.POISON));
    task.put(batch);
    ConnectException e = assertThrows(ConnectException.class, () -> task.preCommit(at(3)));
    assertTrue(e.getMessage().contains("no DLQ is configured"), e.getMessage());
  }
}
