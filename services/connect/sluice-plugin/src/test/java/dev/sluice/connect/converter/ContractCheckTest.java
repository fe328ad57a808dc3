package dev.sluice.connect.converter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;

/** The tree path's checks name the field, what was expected and what came. */
class ContractCheckTest {
  private static String violation(String json) throws IOException {
    ContractCheck c = ConverterFixtures.check("value");
    return assertThrows(DataException.class, () -> c.validate(ConverterFixtures.JSON.readTree(json), "")).getMessage();
  }

  @Test
  void aValidRecordPasses() throws IOException {
    ConverterFixtures.check("value").validate(ConverterFixtures.JSON.readTree(ConverterFixtures.VALUE), "");
  }

  @Test
  void eachViolationNamesItsField() throws IOException {
    String code = violation(ConverterFixtures.VALUE.replace("10,", "11,"));
    assertTrue(code.startsWith("contract violation at metric_name"), code);
    assertTrue(violation(ConverterFixtures.VALUE.replace("1780272000000", "-1")).contains("published_at"));
    String unknown = violation(ConverterFixtures.VALUE.replace("{", "{\"unit\":\"C\","));
    assertTrue(unknown.contains("unit"), unknown);
    String tag = violation(ConverterFixtures.VALUE.replace("\"site:1\"", "\"" + "x".repeat(65) + "\""));
    assertTrue(tag.startsWith("contract violation at tags[0]"), tag);
    assertTrue(violation("[]").startsWith("contract violation at the record"));
  }

  @Test
  void aCodeOrFieldOfANewerContractSaysHowItLands() throws IOException {
    String code = violation(ConverterFixtures.VALUE.replace("10,", "60,"));
    assertTrue(code.contains("not in the contract this connector runs"), code);
    assertTrue(code.contains("sluice dlq replay"), code);
    String unknown = violation(ConverterFixtures.VALUE.replace("{", "{\"unit\":\"C\","));
    assertTrue(unknown.contains("not in the contract this connector runs"), unknown);
    String tag = violation(ConverterFixtures.VALUE.replace("\"site:1\"", "\"" + "x".repeat(65) + "\""));
    assertFalse(tag.contains("newer contract"), tag);
  }

  @Test
  void theUuidAndTagHelpersAgreeWithTheirPatterns() {
    assertTrue(ContractCheck.isUuidPattern("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"));
    assertFalse(ContractCheck.isUuidPattern("^x$"));
    byte[] id = ConverterFixtures.utf8("3f2b6c1e-8a4d-4f7e-9c2a-1b3d5e7f9a0c");
    assertTrue(ContractCheck.isLowercaseUuid(id, 0, id.length));
    byte[] upper = ConverterFixtures.utf8("3F2B6C1E-8A4D-4F7E-9C2A-1B3D5E7F9A0C");
    assertFalse(ContractCheck.isLowercaseUuid(upper, 0, upper.length));
    assertEquals(1, ContractCheck.loneSurrogateAt("a\ud800"));
    assertFalse(ContractCheck.isWellFormed("\udc00"));
    assertTrue(ContractCheck.isWellFormed("\ud83d\ude00"));
  }
}
