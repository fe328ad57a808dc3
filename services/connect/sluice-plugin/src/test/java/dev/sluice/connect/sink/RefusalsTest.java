package dev.sluice.connect.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RefusalsTest {
  @Test
  void aFewBadRowsAmongGoodOnesArePoison() {
    Refusals r = new Refusals();
    r.startBatch();
    for (int i = 0; i < 40; i++) {
      if (i % 5 == 0) assertFalse(r.refused("22008"));
      else r.stored();
    }
    assertNull(r.systemicState());
  }

  @Test
  void tenRowsInARowRefusedAlikeAreSystemic() {
    Refusals r = new Refusals();
    r.startBatch();
    for (int i = 1; i < Refusals.SYSTEMIC_ROWS; i++) assertFalse(r.refused("23514"));
    assertTrue(r.refused("23514"));
    assertEquals("23514", r.systemicState());
    assertEquals(Refusals.SYSTEMIC_ROWS, r.refusedInBatch("23514"));
  }

  @Test
  void theStreakGoesOnAcrossSmallBatchesUntilARowIsStored() {
    Refusals r = new Refusals();
    for (int batch = 0; batch < 3; batch++) {
      r.startBatch();
      for (int i = 0; i < 3; i++) assertFalse(r.refused("23514"));
    }
    r.startBatch();
    assertTrue(r.refused("23514"));
    r.stored();
    r.startBatch();
    assertFalse(r.refused("23514"));
  }

  @Test
  void halfOfABatchRefusedForOneReasonIsSystemicEvenInterleaved() {
    Refusals r = new Refusals();
    r.startBatch();
    for (int i = 0; i < 30; i++) {
      if (i % 2 == 0) assertFalse(r.refused("23502"));
      else r.stored();
    }
    assertEquals("23502", r.systemicState());
  }

  @Test
  void differentReasonsDoNotAddUp() {
    Refusals r = new Refusals();
    r.startBatch();
    for (int i = 0; i < 12; i++) assertFalse(r.refused(i % 2 == 0 ? "22008" : "22021"));
    assertNull(r.systemicState());
  }
}
