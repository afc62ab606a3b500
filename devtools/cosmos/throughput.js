"use strict";
// Provisioned throughput as Cosmos DB meters it: request charges, offers and throttling.
//
// Request charges (x-ms-request-charge), a documented model in line with Cosmos DB's published
// figures for default indexing:
//   point read                         1 RU per started KB of the item
//   create, upsert, replace, patch     5.5 RU per started KB of the item written
//   delete                             5.5 RU per started KB of the item deleted
//   query / read feed                  2.5 RU + 0.25 RU per item returned
//   batch                              the sum of its operations
//   partition key delete               10 RU
//   a refused operation (4xx)          1 RU; a throttled request (429) charges nothing
//
// Throughput is set the way the SDKs set it: `x-ms-offer-throughput` when a container (or a
// database, whose containers without their own offer share it) is created, and through the
// offers API (query /offers, replace /offers/{id}). A container without an offer is unlimited.
// Each physical partition gets an equal share of the RU/s in a token bucket refilled
// continuously, holding at most one second of budget. A request is admitted when the bucket holds
// its charge, or, for a request dearer than a whole second of budget, when the bucket is full
// (the partition then runs into debt, as Cosmos lets one large request through); otherwise it
// answers 429 with substatus 3200 and x-ms-retry-after-ms, and changes nothing.
const { randomUUID } = require("crypto");

const KB = 1024;
const READ_RU_PER_KB = 1;
const WRITE_RU_PER_KB = 5.5;
const QUERY_BASE_RU = 2.5;
const QUERY_RU_PER_ITEM = 0.25;
const PARTITION_DELETE_RU = 10;
const REFUSED_RU = 1;
const RU_PER_PHYSICAL_PARTITION = 10000;

function kilobytes(bytes) {
  return Math.max(1, Math.ceil(bytes / KB));
}

const SYSTEM_PROPERTIES = new Set(["_rid", "_self", "_etag", "_ts", "_attachments", "_lsn"]);

/** Bytes of an item as the client wrote it (system properties are not charged for). */
function sizeOf(item) {
  if (!item) return 0;
  return Buffer.byteLength(JSON.stringify(item, (key, value) => (SYSTEM_PROPERTIES.has(key) ? undefined : value)));
}

const charges = {
  read: item => READ_RU_PER_KB * kilobytes(sizeOf(item)),
  write: bytes => WRITE_RU_PER_KB * kilobytes(bytes),
  query: itemCount => QUERY_BASE_RU + QUERY_RU_PER_ITEM * itemCount,
  partitionDelete: () => PARTITION_DELETE_RU,
  refused: () => REFUSED_RU
};

function round(ru) {
  return Math.round(ru * 100) / 100;
}

class TokenBucket {
  constructor(ruPerSecond, clock) {
    this.rate = ruPerSecond;
    this.capacity = ruPerSecond;
    this.tokens = ruPerSecond;
    this.clock = clock;
    this.at = clock();
  }

  refill() {
    const now = this.clock();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.at) * this.rate);
    this.at = now;
  }

  /** Take (or give back, when negative) what a request cost beyond its estimate. */
  settle(delta) {
    this.refill();
    this.tokens = Math.min(this.capacity, this.tokens - delta);
  }

  /** Take `cost` and return 0, or return the milliseconds until the request would fit. */
  take(cost) {
    this.refill();
    const needed = Math.min(cost, this.capacity);
    if (this.tokens >= needed) {
      this.tokens -= cost;
      return 0;
    }
    return Math.max(1, Math.ceil(((needed - this.tokens) / this.rate) * 1000));
  }
}

function createThroughput(clock = () => performance.now() / 1000) {
  const offers = new Map(); // resource key ("db" or "db/coll") -> offer
  const buckets = new Map(); // offer id -> TokenBucket[] (one per physical partition)

  function newOffer(resource, ruPerSecond, partitions) {
    const id = randomUUID().replace(/-/g, "").slice(0, 8);
    return {
      id,
      _rid: id,
      _self: `offers/${id}/`,
      _etag: `"${randomUUID()}"`,
      _ts: Math.floor(Date.now() / 1000),
      resource: resource._self,
      offerResourceId: resource._rid,
      offerType: "Invalid",
      offerVersion: "V2",
      content: { offerThroughput: ruPerSecond, offerIsRUPerMinuteThroughputEnabled: false },
      partitions: partitions || Math.max(1, Math.ceil(ruPerSecond / RU_PER_PHYSICAL_PARTITION))
    };
  }

  function resetBuckets(offer) {
    const share = offer.content.offerThroughput / offer.partitions;
    buckets.set(offer.id, Array.from({ length: offer.partitions }, () => new TokenBucket(share, clock)));
  }

  return {
    charges,
    round,
    /** Record an offer for a database or container just created with x-ms-offer-throughput. */
    provision(key, resource, ruPerSecond, partitions) {
      const offer = newOffer(resource, ruPerSecond, partitions);
      offers.set(key, offer);
      resetBuckets(offer);
      return offer;
    },
    /** Split a container's (or database's) offer into `partitions` physical partitions. */
    repartition(key, partitions) {
      const offer = offers.get(key);
      if (!offer) throw new Error(`${key} has no provisioned throughput`);
      if (!Number.isInteger(partitions) || partitions < 1) throw new Error("partitions must be a positive integer");
      offer.partitions = partitions;
      resetBuckets(offer);
      return { ...publicOffer(offer), partitions };
    },
    forget(key) {
      const offer = offers.get(key);
      if (offer) buckets.delete(offer.id);
      offers.delete(key);
    },
    /** The offer that meters a container: its own, else its database's, else none. */
    offerOf(database, collection) {
      return offers.get(`${database}/${collection}`) || offers.get(database) || null;
    },
    /** The partition count of a container's offer (1 without one). */
    partitionsOf(database, collection) {
      const offer = this.offerOf(database, collection);
      return offer ? offer.partitions : 1;
    },
    query(resourceLink) {
      const all = [...offers.values()];
      const wanted = resourceLink ? all.filter(offer => offer.resource === resourceLink) : all;
      return wanted.map(publicOffer);
    },
    replace(id, body) {
      const offer = [...offers.values()].find(candidate => candidate.id === id);
      const ruPerSecond = body && body.content && body.content.offerThroughput;
      if (!offer) return [404, { code: "NotFound", message: "Offer not found." }];
      if (!Number.isInteger(ruPerSecond) || ruPerSecond < 400) {
        return [400, { code: "BadRequest", message: "offerThroughput must be an integer of at least 400." }];
      }
      offer.content.offerThroughput = ruPerSecond;
      offer._etag = `"${randomUUID()}"`;
      resetBuckets(offer);
      return [200, publicOffer(offer)];
    },
    /** 0 when the request may run (its charge taken), else the retry-after in milliseconds. */
    admit(offer, partition, cost) {
      if (!offer) return 0;
      const partitionBuckets = buckets.get(offer.id);
      return partitionBuckets[partition % partitionBuckets.length].take(cost);
    },
    settle(offer, partition, delta) {
      if (!offer || !delta) return;
      const partitionBuckets = buckets.get(offer.id);
      partitionBuckets[partition % partitionBuckets.length].settle(delta);
    }
  };
}

function publicOffer(offer) {
  const { partitions, ...visible } = offer;
  return visible;
}

module.exports = { createThroughput, charges, round, sizeOf, TokenBucket };
