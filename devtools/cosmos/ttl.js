"use strict";
// Time to live with Cosmos DB semantics. The upstream server stores `defaultTtl` and `ttl` but
// never expires anything; this sweeper removes expired items before requests are served.
//
// Container defaultTtl absent/null: nothing expires, item ttl is ignored.
// Container defaultTtl -1: only items with their own positive ttl expire.
// Container defaultTtl n: items expire n seconds after their last write (_ts) unless their own
// ttl says otherwise; item ttl -1 never expires.
//
// Sweeping must not cost a scan of every item on every request, so writes are tracked: only
// items that can expire (an own ttl, or a container default above 0) are candidates.
const { Documents } = require("./upstream");

const SWEEP_INTERVAL_MS = 100;
const candidatesOf = new WeakMap(); // Documents -> Map(_rid -> item data as written)

function effectiveTtl(containerTtl, itemTtl) {
  if (containerTtl === undefined || containerTtl === null) return null;
  const ttl = Number.isInteger(itemTtl) ? itemTtl : containerTtl;
  return ttl > 0 ? ttl : null;
}

function isExpired(containerTtl, item, nowSeconds) {
  const ttl = effectiveTtl(containerTtl, item.ttl);
  return ttl !== null && item._ts + ttl <= nowSeconds;
}

function candidates(documents) {
  let map = candidatesOf.get(documents);
  if (!map) {
    map = new Map();
    candidatesOf.set(documents, map);
  }
  return map;
}

function containerTtl(documents) {
  const container = documents._parent.read();
  return container ? container.defaultTtl : undefined;
}

function mayExpire(documents, item) {
  const defaultTtl = containerTtl(documents);
  return Number.isInteger(item.ttl) || (Number.isInteger(defaultTtl) && defaultTtl > 0);
}

/** Every write of an item goes through Documents#_set; remember the ones that can expire. */
function trackWrites() {
  const write = Documents.prototype._set;
  Documents.prototype._set = function trackedSet(data) {
    const stored = write.call(this, data);
    if (mayExpire(this, stored)) candidates(this).set(stored._rid, stored);
    return stored;
  };
}

function* collections(account) {
  for (const database of account.databases._data.values()) {
    for (const collection of database.collections._data.values()) {
      yield collection;
    }
  }
}

/** A container whose default TTL changed must consider items written before the change. */
function registerAll(documents) {
  for (const entry of documents._data.values()) {
    const item = entry.read();
    if (mayExpire(documents, item)) candidates(documents).set(item._rid, item);
  }
}

function sweepCollection(collection, nowSeconds, seenDefaults) {
  const defaultTtl = collection.read().defaultTtl;
  const documents = collection.documents;
  if (seenDefaults.get(documents) !== defaultTtl) {
    seenDefaults.set(documents, defaultTtl);
    registerAll(documents);
  }
  if (defaultTtl === undefined || defaultTtl === null) return 0;
  const tracked = candidates(documents);
  let removed = 0;
  for (const [rid, item] of tracked) {
    const current = documents._data.get(rid);
    if (!current || current.read() !== item) {
      tracked.delete(rid); // deleted or rewritten since; a rewrite registered itself again
    } else if (isExpired(defaultTtl, item, nowSeconds)) {
      tracked.delete(rid);
      documents.delete(item.id, documents._getPartition(item));
      removed += 1;
    }
  }
  return removed;
}

function createSweeper(account, now = () => Date.now()) {
  trackWrites();
  const seenDefaults = new WeakMap();
  let lastSweep = 0;
  return function sweep() {
    const ms = now();
    if (ms - lastSweep < SWEEP_INTERVAL_MS) return 0;
    lastSweep = ms;
    const nowSeconds = Math.floor(ms / 1000);
    let removed = 0;
    for (const collection of collections(account)) {
      removed += sweepCollection(collection, nowSeconds, seenDefaults);
    }
    return removed;
  };
}

module.exports = { createSweeper, isExpired };
