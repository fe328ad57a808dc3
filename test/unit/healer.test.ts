// The healer loop (src/connect/healer.ts): one tick against a fake Connect REST client (the only fake the tests allow
// here), one case per branch: nothing to do, a transient failure restarted (failed tasks only), the backoff holding
// a second restart, a failed restart call, a data failure reported once and left alone, a connector whose status
// cannot be read, a connector-level failure, a list that fails.
import { afterEach, describe, expect, test } from "bun:test";
import type { ConnectClient, ConnectorStatus } from "../../src/connect/client.ts";
import { startHealer } from "../../src/connect/healer.ts";

const DB_DOWN = "org.hibernate.exception.GenericJDBCException: Unable to acquire JDBC Connection";
const BAD_CAUSE = "org.postgresql.util.PSQLException: ERROR: invalid input syntax for type uuid";
const BAD_DATA = `${BAD_CAUSE}\n\tat x`;

const st = (name: string, tasks: [string, string?][], connector: [string, string?] = ["RUNNING"]): ConnectorStatus => ({
  name,
  connector: { state: connector[0], worker_id: "w", trace: connector[1] },
  tasks: tasks.map(([state, trace], id) => ({ id, state, worker_id: "w", trace })),
});

type Restart = { name: string; opts: unknown };

/** A Connect REST client that answers from `statuses` and records restart calls. */
type FakeOptions = { restartFails?: boolean; listFails?: boolean };
function fakeConnect(statuses: Record<string, ConnectorStatus | Error>, opts: FakeOptions = {}) {
  const restarts: Restart[] = [];
  const client = {
    list: async () => {
      if (opts.listFails) throw new Error("connect: 503 on GET /connectors");
      return Object.keys(statuses);
    },
    status: async (name: string) => {
      const s = statuses[name];
      if (s instanceof Error) throw s;
      return s;
    },
    restartConnector: async (name: string, o: unknown) => {
      restarts.push({ name, opts: o });
      if (opts.restartFails) throw new Error("connect: 409 rebalance in progress");
    },
  };
  return { client: client as unknown as ConnectClient, restarts };
}

let stops: (() => void)[] = [];
afterEach(() => {
  for (const s of stops) s();
  stops = [];
});

/** A healer whose timer never fires during a test (ticks are driven by hand), with its log and restarts. */
function healer(connect: ConnectClient) {
  const lines: string[] = [];
  const onRestart: [string, number][] = [];
  const log = (l: string) => void lines.push(l);
  const h = startHealer(connect, { intervalMs: 3_600_000, log, onRestart: (c, a) => void onRestart.push([c, a]) });
  stops.push(h.stop);
  return { ...h, lines, onRestart };
}

describe("healer tick", () => {
  test("everything RUNNING: no restart, nothing logged", async () => {
    const { client, restarts } = fakeConnect({ sink: st("sink", [["RUNNING"], ["RUNNING"]]) });
    const h = healer(client);
    const d = await h.tick();
    const seen = { restart: d.restart, leave: d.leave, restarts, lines: h.lines };
    expect(seen).toEqual({ restart: [], leave: [], restarts: [], lines: [] });
  });

  test("a transient task failure: the failed tasks are restarted, once until the backoff passes", async () => {
    const { client, restarts } = fakeConnect({ sink: st("sink", [["RUNNING"], ["FAILED", DB_DOWN]]) });
    const h = healer(client);
    expect((await h.tick()).restart).toEqual([{ connector: "sink", tasks: [1], attempt: 1 }]);
    expect(restarts).toEqual([{ name: "sink", opts: { includeTasks: true, onlyFailed: true } }]);
    expect(h.onRestart).toEqual([["sink", 1]]);
    expect(h.lines).toEqual(["healer: restarting failed task(s) 1 of sink (attempt 1)"]);
    // The next tick comes well inside the 5 s backoff: no second restart.
    expect((await h.tick()).restart).toEqual([]);
    expect(restarts.length).toBe(1);
  });

  test("a restart call that fails is logged and the tick goes on", async () => {
    const { client, restarts } = fakeConnect({ sink: st("sink", [["FAILED", DB_DOWN]]) }, { restartFails: true });
    const h = healer(client);
    expect((await h.tick()).restart.length).toBe(1);
    expect(restarts.length).toBe(1);
    expect(h.lines).toEqual([
      "healer: restarting failed task(s) 0 of sink (attempt 1)",
      "healer: restart of sink failed: connect: 409 rebalance in progress",
    ]);
    expect(h.onRestart).toEqual([["sink", 1]]);
  });

  test("a task failed on bad data is left alone and reported once, however many ticks see it", async () => {
    const { client, restarts } = fakeConnect({ sink: st("sink", [["FAILED", BAD_DATA]]) });
    const h = healer(client);
    const d = await h.tick();
    await h.tick();
    expect(d.leave).toEqual([{ connector: "sink", task: 0, why: BAD_CAUSE }]);
    expect(restarts).toEqual([]);
    expect(h.lines).toEqual([
      `healer: sink task 0 FAILED on a non-transient error, left for an operator: ${BAD_CAUSE}`,
    ]);
  });

  test("a connector whose status cannot be read is passed over; the others are still healed", async () => {
    const gone = new Error("connect: 404");
    const { client, restarts } = fakeConnect({ gone, sink: st("sink", [["FAILED", DB_DOWN]]) });
    const h = healer(client);
    expect((await h.tick()).restart).toEqual([{ connector: "sink", tasks: [0], attempt: 1 }]);
    expect(restarts.map((r) => r.name)).toEqual(["sink"]);
  });

  test("a connector FAILED on a transient cause with no failed task is restarted (no tasks named)", async () => {
    const { client, restarts } = fakeConnect({ sink: st("sink", [], ["FAILED", DB_DOWN]) });
    const h = healer(client);
    expect((await h.tick()).restart).toEqual([{ connector: "sink", tasks: [], attempt: 1 }]);
    expect(restarts.length).toBe(1);
  });

  test("when the connector list cannot be read the tick fails and restarts nothing", async () => {
    const { client, restarts } = fakeConnect({ sink: st("sink", [["FAILED", DB_DOWN]]) }, { listFails: true });
    const h = healer(client);
    await expect(h.tick()).rejects.toThrow("connect: 503 on GET /connectors");
    expect(restarts).toEqual([]);
  });
});
