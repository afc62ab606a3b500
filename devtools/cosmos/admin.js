"use strict";
// Test-only routes under /_emulator: fault injection, request counters and account capabilities.
const { readJson, problem } = require("./http");

function createStats() {
  let counts = {};
  let faults = {};
  let throttled = 0;
  let requestCharge = 0;
  return {
    record(kind) {
      counts[kind] = (counts[kind] || 0) + 1;
    },
    recordThrottled() {
      throttled += 1;
    },
    recordCharge(charge) {
      requestCharge += charge;
    },
    recordFault(status) {
      faults[status] = (faults[status] || 0) + 1;
    },
    snapshot() {
      const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
      return {
        total,
        byKind: { ...counts },
        faultsInjected: { ...faults },
        throttled,
        requestCharge: Math.round(requestCharge * 100) / 100
      };
    },
    reset() {
      counts = {};
      faults = {};
      throttled = 0;
      requestCharge = 0;
    }
  };
}

function createAdmin({ faults, stats, capabilities, throughput }) {
  const routes = {
    "GET /_emulator/faults": async () => [200, faults.get()],
    "PUT /_emulator/faults": async req => [200, faults.set(await readJson(req))],
    "DELETE /_emulator/faults": async () => [200, faults.clear()],
    "GET /_emulator/stats": async () => [200, stats.snapshot()],
    "DELETE /_emulator/stats": async () => {
      stats.reset();
      return [200, stats.snapshot()];
    },
    "GET /_emulator/capabilities": async () => [200, capabilities],
    // More physical partitions than the RU/s alone give: {"database", "container", "partitions"}.
    "PUT /_emulator/partitions": async req => {
      const { database, container, partitions } = await readJson(req);
      return [200, throughput.repartition(`${database}/${container}`, partitions)];
    },
    "PUT /_emulator/capabilities": async req => {
      Object.assign(capabilities, await readJson(req));
      return [200, capabilities];
    }
  };
  return async function admin(req, pathname) {
    const route = routes[`${req.method} ${pathname}`];
    if (!route) return [404, problem("NotFound", `No emulator route ${req.method} ${pathname}.`)];
    try {
      return await route(req);
    } catch (err) {
      return [400, problem("BadRequest", err.message)];
    }
  };
}

module.exports = { createAdmin, createStats };
