"use strict";
// Test-only routes under /_emulator: fault injection, request counters (by kind, by kind for each
// priority, by throughput bucket, 429s by substatus and by kind, and per container its charge, 429s
// and items written) and account capabilities.
const { readJson, problem } = require("./http");

/** "database/container" of a metered target (see ./metering.js collectionOf), or null. */
function containerKey(target) {
  return target ? `${target.database}/${target.id}` : null;
}

function add(counts, key, amount = 1) {
  if (key !== null && key !== undefined) counts[key] = (counts[key] || 0) + amount;
}

function createStats() {
  let counts, faults, throttled, requestCharge, byPriority, byBucket, throttledBySubstatus, throttledByKind, containers;
  const reset = () => {
    counts = {};
    faults = {};
    throttled = 0;
    requestCharge = 0;
    byPriority = {};
    byBucket = {};
    throttledBySubstatus = {};
    throttledByKind = {};
    containers = {}; // "db/coll" -> {requestCharge, throttled}
  };
  const container = target => {
    const key = containerKey(target);
    if (key && !containers[key]) containers[key] = { requestCharge: 0, throttled: 0, itemsWritten: 0 };
    return key ? containers[key] : null;
  };
  reset();
  return {
    /** A data-plane request: its kind, and the priority and throughput bucket it carried. */
    record(kind, requestClass = {}) {
      add(counts, kind);
      const priority = requestClass.low ? "low" : "high";
      add((byPriority[priority] = byPriority[priority] || {}), kind);
      add(byBucket, requestClass.bucket);
    },
    recordThrottled(target, substatus, kind) {
      throttled += 1;
      add(throttledBySubstatus, substatus);
      add(throttledByKind, kind);
      const perContainer = container(target);
      if (perContainer) perContainer.throttled += 1;
    },
    recordCharge(charge, target, itemsWritten = 0) {
      requestCharge += charge;
      const perContainer = container(target);
      if (!perContainer) return;
      perContainer.requestCharge = Math.round((perContainer.requestCharge + charge) * 100) / 100;
      perContainer.itemsWritten += itemsWritten;
    },
    recordFault(status) {
      add(faults, status);
    },
    snapshot() {
      const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
      return {
        total,
        byKind: { ...counts },
        byPriority: JSON.parse(JSON.stringify(byPriority)), // {low|high: {kind: count}}
        byThroughputBucket: { ...byBucket },
        faultsInjected: { ...faults },
        throttled,
        throttledBySubstatus: { ...throttledBySubstatus },
        throttledByKind: { ...throttledByKind },
        requestCharge: Math.round(requestCharge * 100) / 100,
        containers: JSON.parse(JSON.stringify(containers))
      };
    },
    reset
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
