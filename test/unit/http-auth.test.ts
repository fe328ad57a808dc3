// Credentials of Connect's REST API and of the registry: parsed from the environment (password or its file), and sent
// as basic auth by the clients that talk to them.
import { afterAll, describe, expect, test } from "bun:test";
import { parseEnv } from "../../src/config/env.ts";
import { authHeaders, connectAuth, registryAuth } from "../../src/config/http-auth.ts";
import { ConnectClient } from "../../src/connect/client.ts";
import { registryGateway } from "../../src/server/runtime.ts";

const files: Record<string, string> = { "/s/pw": "from-file\n", "/s/ca.pem": "-----BEGIN CERTIFICATE-----\n" };
const read = (p: string) => {
  if (!(p in files)) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
  return files[p]!;
};
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected a refusal");
};

describe("HTTP credentials from the environment", () => {
  test("none set: no auth; user and password (inline or from a file); Connect's private CA", () => {
    expect(registryAuth(parseEnv({}), read)).toBeUndefined();
    expect(connectAuth(parseEnv({}), read)).toBeUndefined();
    expect(registryAuth(parseEnv({ REGISTRY_USERNAME: "key", REGISTRY_PASSWORD: "secret" }), read)).toEqual({
      username: "key",
      password: "secret",
    });
    const env = parseEnv({ CONNECT_USERNAME: "ops", CONNECT_PASSWORD_FILE: "/s/pw", CONNECT_CA_FILE: "/s/ca.pem" });
    expect(connectAuth(env, read)).toEqual({
      username: "ops",
      password: "from-file",
      ca: "-----BEGIN CERTIFICATE-----",
    });
    expect(authHeaders({ username: "ops", password: "from-file" })).toEqual({
      authorization: `Basic ${Buffer.from("ops:from-file").toString("base64")}`,
    });
  });

  test("half a credential, or two passwords, is refused naming the variables, never the secret", () => {
    expect(refusal(() => registryAuth(parseEnv({ REGISTRY_USERNAME: "key" }), read))).toContain(
      "REGISTRY_USERNAME is set but no password; set REGISTRY_PASSWORD_FILE",
    );
    expect(refusal(() => connectAuth(parseEnv({ CONNECT_PASSWORD: "hush" }), read))).toContain(
      "CONNECT_USERNAME is not",
    );
    const both = refusal(() =>
      connectAuth(parseEnv({ CONNECT_USERNAME: "u", CONNECT_PASSWORD: "hush", CONNECT_PASSWORD_FILE: "/s/pw" }), read),
    );
    expect(both).toContain("both set");
    expect(both).not.toContain("hush");
    expect(refusal(() => connectAuth(parseEnv({ CONNECT_CA_FILE: "/s/none.pem" }), read))).toContain(
      "CONNECT_CA_FILE is /s/none.pem, which cannot be read (ENOENT)",
    );
  });
});

// An HTTP server that answers only requests with the right basic auth, like Connect's basic-auth extension.
const expected = `Basic ${Buffer.from("ops:right").toString("base64")}`;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: (req) =>
    req.headers.get("authorization") === expected
      ? Response.json([])
      : new Response('{"error_code":401,"message":"unauthorized"}', { status: 401 }),
});
afterAll(() => server.stop(true));
const base = `http://127.0.0.1:${server.port}`;

describe("clients send the credentials", () => {
  test("Kafka Connect's REST client", async () => {
    expect(await new ConnectClient(base, { username: "ops", password: "right" }).list()).toEqual([]);
    const refused = await new ConnectClient(base).list().catch((e: Error) => e.message);
    expect(refused).toContain("answered 401");
    const wrong = await new ConnectClient(base, { username: "ops", password: "wrong" })
      .list()
      .catch((e: Error) => e.message);
    expect(wrong).toContain("answered 401");
    expect(wrong).not.toContain("wrong");
  });

  test("the registry gateway of the admin service", async () => {
    await registryGateway(base, { username: "ops", password: "right" }).ping();
    expect(
      await registryGateway(base)
        .ping()
        .catch((e: Error) => e.message),
    ).toContain("answered 401");
  });
});
