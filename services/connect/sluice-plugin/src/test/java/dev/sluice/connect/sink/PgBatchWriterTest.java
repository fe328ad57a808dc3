package dev.sluice.connect.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.connect.row.RowFixtures;
import dev.sluice.connect.row.RowLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

/** The writer's transactions, de-duplication, dead letters and error classification, against {@link FakeDatabase}. */
class PgBatchWriterTest {
  private final FakeDatabase db = new FakeDatabase();

  private PgBatchWriter writer(String mode, int batchSize, boolean hasDlq) {
    PgUpsertSinkConfig config = new PgUpsertSinkConfig(Map.of(PgUpsertSinkConfig.URL, "jdbc:postgresql://x/y",
        PgUpsertSinkConfig.TABLE, "${topic}", PgUpsertSinkConfig.WRITE_MODE, mode,
        PgUpsertSinkConfig.BATCH_SIZE, String.valueOf(batchSize)));
    return new PgBatchWriter(config, hasDlq, db);
  }

  private static List<Long> offsets(List<DeadLetters.Letter> letters) {
    return letters.stream().map(l -> l.record().kafkaOffset()).toList();
  }

  @Test
  void storesEveryRowInTransactionsOfAtMostBatchSize() throws Exception {
    PgBatchWriter w = writer("copy-upsert", 10, true);
    w.write(FakeDatabase.records(0, 25));
    assertEquals(25, db.rows().size());
    assertEquals(List.of("commit 10", "commit 10", "commit 5"), db.events());
    assertEquals(List.of(), w.takeDeadLetters());
    assertEquals(1, db.opens.get());
  }

  @Test
  void theLastRecordOfAKeyWinsAndNoKeyReachesOneUpsertTwice() throws Exception {
    PgBatchWriter w = writer("copy-upsert", 100, true);
    List<SinkRecord> batch = new ArrayList<>(FakeDatabase.records(0, 3));
    batch.add(FakeDatabase.record(3, 1, "newer"));
    w.write(batch);
    assertEquals(Map.of(0L, "ok", 1L, "newer", 2L, "ok"), db.rows());
  }

  @Test
  void copyRowsAndStructsMixInOneBatchAndShareKeys() throws Exception {
    PgBatchWriter w = writer("copy-upsert", 100, true);
    RowLayout layout = RowFixtures.layout(FakeDatabase.VALUE, "int8", "float8", "text", "int4");
    List<SinkRecord> batch = new ArrayList<>();
    for (SinkRecord r : FakeDatabase.records(0, 4)) {
      batch.add(r.kafkaOffset() % 2 == 0 ? r : r.newRecord(r.topic(), r.kafkaPartition(), r.keySchema(), r.key(),
          r.valueSchema(), RowFixtures.of(layout, (Struct) r.value()), r.timestamp()));
    }
    SinkRecord newer = FakeDatabase.record(4, 1, "newer");
    batch.add(newer.newRecord("t", 0, newer.keySchema(), newer.key(), newer.valueSchema(), RowFixtures.of(layout, (Struct) newer.value()), null));
    batch.add(FakeDatabase.record(5, 2, "newest"));
    w.write(batch);
    assertEquals(Map.of(0L, "ok", 1L, "newer", 2L, "newest", 3L, "ok"), db.rows());
    assertEquals(List.of(), w.takeDeadLetters());
  }

  @Test
  void refusedRowsBecomeDeadLettersInRecordOrderAndTheOthersAreStored() throws Exception {
    PgBatchWriter w = writer("copy-upsert", 100, true);
    List<SinkRecord> batch = new ArrayList<>(FakeDatabase.records(0, 30));
    batch.set(4, FakeDatabase.record(4, 4, FakeDatabase.POISON));
    batch.set(17, FakeDatabase.record(17, 17, FakeDatabase.POISON));
    w.write(batch);
    assertEquals(28, db.rows().size());
    List<DeadLetters.Letter> letters = w.takeDeadLetters();
    assertEquals(List.of(4L, 17L), offsets(letters));
    assertTrue(letters.get(0).error().getMessage().contains("SQLSTATE 22021"), letters.get(0).error().getMessage());
    assertEquals(List.of(), w.takeDeadLetters(), "taken once");
  }

  @Test
  void aValueItsColumnCannotHoldIsADeadLetterBeforeTheDatabaseSeesIt() throws Exception {
    PgBatchWriter w = writer("copy-upsert", 100, true);
    List<SinkRecord> batch = new ArrayList<>(FakeDatabase.records(0, 3));
    SinkRecord big = FakeDatabase.record(1, 1, "ok");
    ((org.apache.kafka.connect.data.Struct) big.value()).put("n", 40_000); // column n is int2
    batch.set(1, big);
    w.write(batch);
    assertEquals(Map.of(0L, "ok", 2L, "ok"), db.rows());
    List<DeadLetters.Letter> letters = w.takeDeadLetters();
    assertEquals(List.of(1L), offsets(letters));
    assertTrue(letters.get(0).error().getMessage().contains("out of range for int2"));
  }

  @Test
  void mostRowsRefusedAlikeFailTheWriteAndNothingIsDeadLettered() {
    PgBatchWriter w = writer("copy-upsert", 100, true);
    db.refuseState = "23514";
    List<SinkRecord> batch = new ArrayList<>();
    for (long o = 0; o < 20; o++) batch.add(FakeDatabase.record(o, o, FakeDatabase.POISON));
    PgBatchWriter.WriteException e = assertThrows(PgBatchWriter.WriteException.class, () -> w.write(batch));
    assertFalse(e.isTransient);
    String m = e.getMessage();
    assertTrue(m.contains("SQLSTATE 23514") && m.contains("sluice db maintain"), m);
    assertEquals(List.of(), w.takeDeadLetters());
    assertEquals(Map.of(), db.rows());
  }

  @Test
  void aLostConnectionIsTransientAndTheNextWriteReconnects() throws Exception {
    PgBatchWriter w = writer("copy-upsert", 100, true);
    w.write(FakeDatabase.records(0, 5));
    db.loseConnection.set(1);
    PgBatchWriter.WriteException e = assertThrows(PgBatchWriter.WriteException.class,
        () -> w.write(FakeDatabase.records(5, 10)));
    assertTrue(e.isTransient, e.getMessage());
    assertEquals(5, db.rows().size(), "nothing of the failed batch is stored");
    w.write(FakeDatabase.records(5, 10));
    assertEquals(10, db.rows().size());
    assertEquals(2, db.opens.get());
  }

  @Test
  void aWrongPasswordFailsWithItsHintInsteadOfRetrying() {
    PgBatchWriter w = writer("copy-upsert", 100, true);
    db.openFails = "28P01";
    PgBatchWriter.WriteException e = assertThrows(PgBatchWriter.WriteException.class,
        () -> w.write(FakeDatabase.records(0, 1)));
    assertFalse(e.isTransient);
    assertTrue(e.getMessage().contains("SLUICE_SINK_DB_PASSWORD"), e.getMessage());
  }

  @Test
  void aMissingTableFailsTheTask() {
    PgBatchWriter w = writer("copy-upsert", 100, true);
    SinkRecord r = FakeDatabase.record(0, 0, "ok");
    SinkRecord other = new SinkRecord("u", 0, r.keySchema(), r.key(), r.valueSchema(), r.value(), 0);
    ConnectException e = assertThrows(ConnectException.class, () -> w.write(List.of(other)));
    assertTrue(e.getMessage().contains("table u does not exist"), e.getMessage());
  }

  @Test
  void aTombstoneIsADeadLetterAndWithoutADlqItStopsTheTask() throws Exception {
    SinkRecord tomb = new SinkRecord("t", 0, FakeDatabase.KEY, FakeDatabase.record(1, 1, "ok").key(), null, null, 1);
    List<SinkRecord> batch = List.of(FakeDatabase.record(0, 0, "ok"), tomb);
    PgBatchWriter w = writer("copy-upsert", 100, true);
    w.write(batch);
    assertEquals(List.of(1L), offsets(w.takeDeadLetters()));
    assertEquals(Map.of(0L, "ok"), db.rows());
    PgBatchWriter strict = writer("copy-upsert", 100, false);
    ConnectException e = assertThrows(ConnectException.class, () -> strict.write(batch));
    assertTrue(e.getMessage().contains("no DLQ is configured"), e.getMessage());
  }

  @Test
  void copyFirstCopiesIntoTheTableAndUpsertsOnceAKeyExists() throws Exception {
    PgBatchWriter w = writer("copy-first", 100, true);
    w.write(FakeDatabase.records(0, 5));
    assertEquals(List.of("COPY t"), db.statements);
    List<SinkRecord> again = new ArrayList<>(FakeDatabase.records(3, 8));
    again.set(0, FakeDatabase.record(3, 3, "newer"));
    w.write(again);
    assertEquals(List.of("COPY t", "COPY t", "COPY stage", "INSERT"), db.statements);
    assertEquals(8, db.rows().size());
    assertEquals("newer", db.rows().get(3L));
    w.write(FakeDatabase.records(8, 9));
    assertEquals(List.of("COPY stage", "INSERT"), db.statements.subList(4, 6), "upserts for a while after a conflict");
  }
}
