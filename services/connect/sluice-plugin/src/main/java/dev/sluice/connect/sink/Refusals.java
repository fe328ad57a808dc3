package dev.sluice.connect.sink;

import java.util.HashMap;
import java.util.Map;

/**
 * Tells poison from a systemic refusal. A few rows PostgreSQL refuses are poison: they go to the DLQ and the stream
 * goes on. When one SQLSTATE refuses row after row (a missing partition, a NOT NULL column the contract does not
 * fill), the cause is the table, not the data: draining the stream into the DLQ would turn an outage into a replay
 * job, so the writer stops instead, offsets kept. Fed row by row while a refused batch is written one row at a time.
 */
final class Refusals {
  /** Rows refused alike, one after the other or as most of one batch, that make a refusal systemic. */
  static final int SYSTEMIC_ROWS = 10;

  private String streakState;
  private int streak;
  private final Map<String, Integer> inBatch = new HashMap<>();
  private int rowsInBatch;

  /** Starts counting a batch written row by row; the streak goes on across batches until a row is stored. */
  void startBatch() {
    inBatch.clear();
    rowsInBatch = 0;
  }

  /** A row (of a batch or of a batch written row by row) was stored. */
  void stored() {
    rowsInBatch++;
    streak = 0;
    streakState = null;
  }

  /** A row was refused with {@code state}; true when this makes the refusal systemic. */
  boolean refused(String state) {
    rowsInBatch++;
    inBatch.merge(state, 1, Integer::sum);
    if (state.equals(streakState)) streak++;
    else {
      streakState = state;
      streak = 1;
    }
    return streak >= SYSTEMIC_ROWS;
  }

  /** After a batch written row by row: the SQLSTATE that refused at least half of it (and enough rows), or null. */
  String systemicState() {
    for (Map.Entry<String, Integer> e : inBatch.entrySet()) {
      int n = e.getValue();
      if (n >= SYSTEMIC_ROWS && 2 * n >= rowsInBatch) return e.getKey();
    }
    return streak >= SYSTEMIC_ROWS ? streakState : null;
  }

  /** Rows refused with {@code state} in the current batch. */
  int refusedInBatch(String state) {
    return inBatch.getOrDefault(state, 0);
  }

  /** Rows seen in the current batch. */
  int rowsInBatch() {
    return rowsInBatch;
  }
}
