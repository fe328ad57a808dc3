// The Connect client sends a read again while the worker group rebalances (409: "retry later" in Connect's REST
// docs), and leaves writes to their callers. A local HTTP server answers as a rebalancing worker does.
import { afterAll, describe, expect, test } from "bun:test";
import { ConnectClient, READ_RETRIES } from "../../src/connect/client.ts";
import { SluiceError } from "../../src/errors.ts";

/** 409s still to answer before the server answers like a settled worker. */
let conflicts = 0;
const REBALANCING = { error_code: 409, message: "Request cannot be completed because a rebalance is expected" };
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req) {
    if (conflicts > 0) {
      conflicts--;
      return Response.json(REBALANCING, { status: 409 });
    }
    return req.method === "GET" ? Response.json(["metrics-sink"]) : Response.json({ name: "x" }, { status: 201 });
  },
});
afterAll(() => server.stop(true));
const client = () => new ConnectClient(`http://127.0.0.1:${server.port}`, undefined, 1);

describe("a Connect read during a rebalance", () => {
  test("is sent again until the worker answers", async () => {
    conflicts = 3;
    const c = client();
    expect(await c.list()).toEqual(["metrics-sink"]);
    expect(c.sent["GET /connectors"]).toBe(4);
  });

  test("fails with CONNECT_HTTP_409 when the rebalance outlasts the retries", async () => {
    conflicts = READ_RETRIES + 1;
    const c = client();
    const err = await c.list().catch((e) => e);
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).code).toBe("CONNECT_HTTP_409");
    expect(c.sent["GET /connectors"]).toBe(READ_RETRIES + 1);
  });

  test("a write answered 409 is not repeated by the client: its caller decides", async () => {
    conflicts = 1;
    const c = client();
    const err = await c.putConfig("x", { "connector.class": "y" }).catch((e) => e);
    expect((err as SluiceError).code).toBe("CONNECT_HTTP_409");
    expect(c.sent["PUT /connectors/{name}/config"]).toBe(1);
    conflicts = 0;
  });
});
