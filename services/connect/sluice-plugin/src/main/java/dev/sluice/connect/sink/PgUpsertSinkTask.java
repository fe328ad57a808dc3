package dev.sluice.connect.sink;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import dev.sluice.connect.sink.pg.JdbcPgSession;
import dev.sluice.connect.sink.pg.PgSession;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each {@link #put} batch to a writer thread, so Connect converts the next batch while PostgreSQL stores this
 * one (one batch in flight: two cores stay busy instead of taking turns). Offsets are committed only for batches
 * the writer finished ({@link #preCommit}): its rows stored and its dead letters acknowledged by the DLQ
 * ({@link DeadLetters}), so a crash loses nothing; the upsert on the record key makes a re-read batch change nothing
 * (exactly once in effect). A permanent cause (wrong password, missing table, most rows refused alike) fails the
 * task with a hint instead of retrying or dead-lettering forever ({@link SqlStates}, {@link Refusals}). While PostgreSQL is away the writer retries its batch and put()
 * hands Connect's next batch back (RetriableException), which keeps the consumer in its group.
 */
public class PgUpsertSinkTask extends SinkTask {
  private static final Logger log = LoggerFactory.getLogger(PgUpsertSinkTask.class);
  /** How long preCommit and close wait for the batch in flight before they report what is done so far. */
  private static final long SETTLE_MS = 10_000;

  private final long settleMs;

  private final Function<PgUpsertSinkConfig, PgSession.Opener> sessions;
  private PgUpsertSinkConfig config;
  private PgBatchWriter writer;
  private DeadLetters deadLetters;
  private ExecutorService thread;
  private Future<?> inFlight;
  private volatile boolean stopping;
  private volatile ConnectException fatal;
  /** Batches handed to the writer (task thread only), and batches it finished: equal when nothing is pending. */
  private long submitted;
  private volatile long finished;
  /** Next offset to read per partition, for every batch the writer finished. */
  private final Map<TopicPartition, OffsetAndMetadata> written = new ConcurrentHashMap<>();

  /** The task Connect creates: sessions are pgjdbc connections to connection.url. */
  public PgUpsertSinkTask() {
    this(c -> () -> JdbcPgSession.open(c.url, c.user, c.password == null ? null : c.password.value()), SETTLE_MS);
  }

  /**
   * A task whose writer opens its sessions with {@code sessions} (a fake database in unit tests), and whose preCommit
   * and close wait up to {@code settleMs} for the batch in flight.
   */
  PgUpsertSinkTask(Function<PgUpsertSinkConfig, PgSession.Opener> sessions, long settleMs) {
    this.sessions = sessions;
    this.settleMs = settleMs;
  }

  @Override
  public String version() {
    return PgUpsertSinkConfig.VERSION;
  }

  @Override
  public void start(Map<String, String> props) {
    config = new PgUpsertSinkConfig(props);
    ErrantRecordReporter dlq;
    try {
      dlq = context.errantRecordReporter();
    } catch (NoSuchMethodError | NoClassDefFoundError e) {
      dlq = null;
    }
    writer = new PgBatchWriter(config, dlq != null, sessions.apply(config));
    deadLetters = dlq == null ? null : new DeadLetters(dlq, DeadLetters.ACK_TIMEOUT_MS, new DlqFailureCounter(props.getOrDefault("name", "")));
    String name = "sluice-sink-writer-" + props.getOrDefault("name", "?");
    thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public void put(Collection<SinkRecord> records) {
    throwIfFailed();
    if (records.isEmpty()) return;
    if (!settle(config.retryBackoffMs)) {
      // Still retrying the previous batch: give this one back, Connect redelivers it after the timeout.
      context.timeout(config.retryBackoffMs);
      throw new RetriableException("the previous batch is not stored yet (PostgreSQL unavailable?); this one comes back in " + config.retryBackoffMs + " ms");
    }
    throwIfFailed();
    List<SinkRecord> batch = new ArrayList<>(records);
    submitted++;
    inFlight = thread.submit(() -> writeUntilStored(batch));
  }

  private void writeUntilStored(List<SinkRecord> batch) {
    while (!stopping) {
      try {
        writer.write(batch);
        List<DeadLetters.Letter> letters = writer.takeDeadLetters();
        if (!letters.isEmpty() && !deadLetters.deliver(letters, config.retryBackoffMs, () -> !stopping)) return;
        Map<TopicPartition, Long> next = new HashMap<>();
        for (SinkRecord r : batch) next.merge(new TopicPartition(r.topic(), r.kafkaPartition()), r.kafkaOffset() + 1, Math::max);
        next.forEach((tp, o) -> written.put(tp, new OffsetAndMetadata(o)));
        finished++;
        return;
      } catch (PgBatchWriter.WriteException e) {
        if (!e.isTransient) {
          fatal = new ConnectException(e.getMessage(), e);
          return;
        }
        log.warn("{}; retrying the batch of {} records in {} ms", e.getMessage(), batch.size(), config.retryBackoffMs);
        try {
          Thread.sleep(config.retryBackoffMs);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        fatal = e instanceof ConnectException c ? c : new ConnectException("the sink's writer failed: " + e, e);
        return;
      }
    }
  }

  /** Waits up to {@code ms} for the batch in flight; true when none is in flight any more. */
  private boolean settle(long ms) {
    if (inFlight == null) return true;
    try {
      inFlight.get(ms, TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      fatal = new ConnectException("the sink's writer failed: " + e.getCause(), e.getCause());
      return true;
    }
  }

  private void throwIfFailed() {
    if (fatal != null) throw fatal;
  }

  @Override
  public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
    settle(settleMs);
    throwIfFailed();
    // Every batch finished: commit all Connect handed over, including records it dead-lettered or filtered after the
    // last stored one (Connect awaited their DLQ writes before this call); otherwise a restart or rebalance would
    // read them again and dead-letter them twice.
    if (finished == submitted) return currentOffsets;
    Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
    for (TopicPartition tp : currentOffsets.keySet()) {
      OffsetAndMetadata o = written.get(tp);
      if (o != null) done.put(tp, o);
    }
    return done;
  }

  @Override
  public void close(Collection<TopicPartition> partitions) {
    settle(settleMs);
    for (TopicPartition tp : partitions) written.remove(tp);
  }

  @Override
  public void stop() {
    stopping = true;
    if (thread != null) {
      thread.shutdown();
      try {
        if (!thread.awaitTermination(settleMs, TimeUnit.MILLISECONDS)) thread.shutdownNow();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (writer != null) writer.close();
  }
}
