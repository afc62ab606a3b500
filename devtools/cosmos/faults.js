"use strict";
// Fault injection for tests: a chosen fraction of data-plane requests answers 429 (with
// x-ms-retry-after-ms) or 503, and/or every data-plane request is delayed. Faults may be limited
// to one kind of request (`kind`, e.g. "batch") in one container (`collection`), after letting
// the first `skip` such requests through. Configured at start (--faults JSON or
// COSMOS_EMULATOR_FAULTS) and changed while running through /_emulator/faults.

const NO_FAULTS = Object.freeze({
  rate: 0, statuses: [429], retryAfterMs: 100, latencyMs: 0, kind: null, collection: null, skip: 0
});

const RESPONSES = {
  429: { code: "TooManyRequests", message: "Request rate is large. More Request Units may be needed, so no changes were made.", substatus: "3200" },
  503: { code: "ServiceUnavailable", message: "Service is currently unavailable.", substatus: "0" },
  408: { code: "RequestTimeout", message: "Request timed out.", substatus: "0" }
};

function validate(config) {
  const merged = { ...NO_FAULTS, ...config };
  const { rate, statuses, retryAfterMs, latencyMs, kind, collection, skip } = merged;
  if (typeof rate !== "number" || rate < 0 || rate > 1) throw new Error("rate must be a number from 0 to 1");
  if (!Array.isArray(statuses) || statuses.length === 0 || statuses.some(s => !RESPONSES[s])) {
    throw new Error(`statuses must be a non-empty list of ${Object.keys(RESPONSES).join(", ")}`);
  }
  if (!Number.isInteger(retryAfterMs) || retryAfterMs < 0) throw new Error("retryAfterMs must be a non-negative integer");
  if (!Number.isInteger(latencyMs) || latencyMs < 0) throw new Error("latencyMs must be a non-negative integer");
  if (kind !== null && typeof kind !== "string") throw new Error("kind must be a request kind or null");
  if (collection !== null && typeof collection !== "string") throw new Error("collection must be a container id or null");
  if (!Number.isInteger(skip) || skip < 0) throw new Error("skip must be a non-negative integer");
  return { rate, statuses, retryAfterMs, latencyMs, kind, collection, skip };
}

function collectionOf(pathname) {
  const match = /\/colls\/([^/]+)/.exec(pathname || "");
  return match ? decodeURIComponent(match[1]) : null;
}

function createFaults(initial, random = Math.random) {
  let config = validate(initial || {});
  let skipped = 0;
  const matches = ({ kind, pathname }) =>
    (config.kind === null || config.kind === kind) &&
    (config.collection === null || config.collection === collectionOf(pathname));
  return {
    get: () => config,
    set: next => {
      config = validate(next);
      skipped = 0;
      return config;
    },
    clear: () => {
      config = validate({});
      skipped = 0;
      return config;
    },
    /** The fault to answer `request` ({kind, pathname}) with, or null to serve it normally. */
    pick(request = {}) {
      if (config.rate === 0 || !matches(request)) return null;
      if (skipped < config.skip) {
        skipped += 1;
        return null;
      }
      if (random() >= config.rate) return null;
      const status = config.statuses[Math.floor(random() * config.statuses.length)];
      const { substatus, ...body } = RESPONSES[status];
      const headers = { "x-ms-substatus": substatus };
      if (status === 429) headers["x-ms-retry-after-ms"] = String(config.retryAfterMs);
      return { status, headers, body };
    }
  };
}

module.exports = { createFaults };
