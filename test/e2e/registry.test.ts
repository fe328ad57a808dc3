import { describe, expect, test } from "bun:test";
import { valueJsonSchema } from "../../src/contract/index.ts";
import { SluiceError } from "../../src/errors.ts";
import { registerContract } from "../../src/registry/register.ts";
import { registry } from "./harness.ts";

describe("schema registry governs the contract", () => {
  const subject = `t-registry-${Date.now().toString(36)}-value`;

  test("registering the contract is idempotent (same id) and sets BACKWARD compatibility", async () => {
    const id = await registerContract(registry, subject, valueJsonSchema());
    expect(await registerContract(registry, subject, valueJsonSchema())).toBe(id);
    const res = await fetch(`${registry}/config/${subject}`);
    expect(((await res.json()) as { compatibilityLevel: string }).compatibilityLevel).toBe("BACKWARD");
  });

  test("an incompatible change (a new required field) is refused with a message that says what to do", async () => {
    const base = valueJsonSchema();
    const changed = {
      ...base,
      properties: { ...(base.properties as object), unit: { type: "string" } },
      required: [...(base.required as string[]), "unit"],
    };
    const err = await registerContract(registry, subject, changed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).code).toBe("SCHEMA_INCOMPATIBLE");
    expect((err as SluiceError).message).toContain("BACKWARD");
  });

  test("a compatible change (a new optional field) is accepted as a new version", async () => {
    const base = valueJsonSchema();
    const { additionalProperties: _, ...open } = base;
    const id1 = await registerContract(registry, subject, valueJsonSchema());
    const id2 = await registerContract(registry, subject, {
      ...open,
      properties: { ...(base.properties as object), note: { type: "string" } },
    });
    expect(id2).not.toBe(id1);
  });

  test("the contract's listed tightenings pass over a schema registered before them; any other narrowing is refused", async () => {
    const before = (schema: Record<string, unknown>) => {
      const props = structuredClone(schema.properties) as Record<string, Record<string, unknown>>;
      (props.tags!.items as Record<string, unknown>).pattern = "^[^\\u0000]*$";
      delete props.value!.minimum;
      delete props.value!.maximum;
      return { ...schema, properties: props };
    };
    const old = `t-registry-old-${Date.now().toString(36)}-value`;
    const oldId = await registerContract(registry, old, before(valueJsonSchema()));
    const id = await registerContract(registry, old, valueJsonSchema());
    expect(id).not.toBe(oldId);
    const res = await fetch(`${registry}/config/${old}`);
    expect(((await res.json()) as { compatibilityLevel: string }).compatibilityLevel).toBe("BACKWARD");

    const other = `t-registry-other-${Date.now().toString(36)}-value`;
    await registerContract(registry, other, before(valueJsonSchema()));
    const base = valueJsonSchema();
    const props = structuredClone(base.properties) as Record<string, Record<string, unknown>>;
    props.tags!.maxItems = 8;
    const err = await registerContract(registry, other, { ...base, properties: props }).catch((e: unknown) => e);
    expect((err as SluiceError).code).toBe("SCHEMA_INCOMPATIBLE");
  });
});
