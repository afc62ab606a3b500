"use strict";
// Time to live with Cosmos DB semantics. The upstream server stores `defaultTtl` and `ttl` but
// never expires anything; this sweeper removes expired items before requests are served.
//
// Container defaultTtl absent/null: nothing expires, item ttl is ignored.
// Container defaultTtl -1: only items with their own positive ttl expire.
// Container defaultTtl n: items expire n seconds after their last write (_ts) unless their own
// ttl says otherwise; item ttl -1 never expires.

const SWEEP_INTERVAL_MS = 100;

function effectiveTtl(containerTtl, itemTtl) {
  if (containerTtl === undefined || containerTtl === null) return null;
  const ttl = Number.isInteger(itemTtl) ? itemTtl : containerTtl;
  return ttl > 0 ? ttl : null;
}

function isExpired(containerTtl, item, nowSeconds) {
  const ttl = effectiveTtl(containerTtl, item.ttl);
  return ttl !== null && item._ts + ttl <= nowSeconds;
}

function* collections(account) {
  for (const database of account.databases._data.values()) {
    for (const collection of database.collections._data.values()) {
      yield collection;
    }
  }
}

function sweepCollection(collection, nowSeconds) {
  const { defaultTtl } = collection.read();
  if (defaultTtl === undefined || defaultTtl === null) return 0;
  const documents = collection.documents;
  const expired = [];
  for (const entry of documents._data.values()) {
    const item = entry.read();
    if (isExpired(defaultTtl, item, nowSeconds)) expired.push(item);
  }
  for (const item of expired) {
    documents.delete(item.id, documents._getPartition(item));
  }
  return expired.length;
}

function createSweeper(account, now = () => Date.now()) {
  let lastSweep = 0;
  return function sweep() {
    const ms = now();
    if (ms - lastSweep < SWEEP_INTERVAL_MS) return 0;
    lastSweep = ms;
    const nowSeconds = Math.floor(ms / 1000);
    let removed = 0;
    for (const collection of collections(account)) {
      removed += sweepCollection(collection, nowSeconds);
    }
    return removed;
  };
}

module.exports = { createSweeper, isExpired };
