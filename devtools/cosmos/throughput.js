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
//
// An offer may also carry throughput buckets (`content.throughputBuckets`, as Cosmos DB's offer
// content holds them: `[{id: 1-5, maxThroughputPercentage: 1-100}]`), set by replacing the offer;
// each gets, per physical partition, a token bucket of its percentage of the partition's share.
// Who may spend which budget is ./admission.js's decision.
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

  /** 0 when `cost` fits while leaving `floor` untouched (a request dearer than what lies above
   * the floor fits once all of it is there), else the milliseconds until it would. */
  waitFor(cost, floor = 0) {
    this.refill();
    const needed = Math.min(cost, this.capacity - floor);
    if (this.tokens - floor >= needed) return 0;
    return Math.max(1, Math.ceil(((needed + floor - this.tokens) / this.rate) * 1000));
  }

  spend(cost) {
    this.tokens -= cost;
  }

  /** Take `cost` and return 0, or return the milliseconds until the request would fit. */
  take(cost) {
    const wait = this.waitFor(cost);
    if (!wait) this.spend(cost);
    return wait;
  }
}

const BUCKET_IDS = [1, 2, 3, 4, 5];

/** The offer content's throughput buckets, checked as Cosmos DB checks them; throws on a bad one. */
function validBuckets(buckets) {
  if (!Array.isArray(buckets) || buckets.length > BUCKET_IDS.length) {
    throw new Error("throughputBuckets must be a list of at most 5 buckets");
  }
  const ids = new Set();
  for (const bucket of buckets) {
    const { id, maxThroughputPercentage: percentage } = bucket || {};
    if (!BUCKET_IDS.includes(id) || ids.has(id)) throw new Error("a throughput bucket's id is a distinct integer from 1 to 5");
    if (!Number.isInteger(percentage) || percentage < 1 || percentage > 100) {
      throw new Error("a throughput bucket's maxThroughputPercentage is an integer from 1 to 100");
    }
    ids.add(id);
  }
  return buckets.map(({ id, maxThroughputPercentage }) => ({ id, maxThroughputPercentage }));
}

function createThroughput(clock = () => performance.now() / 1000) {
  const offers = new Map(); // resource key ("db" or "db/coll") -> offer
  const buckets = new Map(); // offer id -> TokenBucket[] (one per physical partition)
  const bucketLimits = new Map(); // offer id -> throughput bucket id -> TokenBucket[]

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
    const perPartition = ruPerSecond => Array.from({ length: offer.partitions }, () => new TokenBucket(ruPerSecond, clock));
    buckets.set(offer.id, perPartition(share));
    const limits = new Map();
    for (const { id, maxThroughputPercentage } of offer.content.throughputBuckets || []) {
      limits.set(id, perPartition((share * maxThroughputPercentage) / 100));
    }
    bucketLimits.set(offer.id, limits);
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
      if (offer) {
        buckets.delete(offer.id);
        bucketLimits.delete(offer.id);
      }
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
      const requested = body.content.throughputBuckets;
      let throughputBuckets = offer.content.throughputBuckets; // kept when the body leaves them out
      try {
        if (requested !== undefined) throughputBuckets = validBuckets(requested);
      } catch (err) {
        return [400, { code: "BadRequest", message: err.message }];
      }
      offer.content.offerThroughput = ruPerSecond;
      if (throughputBuckets && throughputBuckets.length) offer.content.throughputBuckets = throughputBuckets;
      else delete offer.content.throughputBuckets;
      offer._etag = `"${randomUUID()}"`;
      resetBuckets(offer);
      return [200, publicOffer(offer)];
    },
    /** The budgets a request in `partition` spends: its partition's, and its throughput bucket's
     * share there when the offer configures `bucketId`; null for a container without an offer. */
    budgetsOf(offer, partition, bucketId) {
      if (!offer) return null;
      const partitionBuckets = buckets.get(offer.id);
      const index = partition % partitionBuckets.length;
      const limit = bucketId ? bucketLimits.get(offer.id).get(bucketId) : undefined;
      return { partition: partitionBuckets[index], bucket: limit ? limit[index] : null };
    }
  };
}

function publicOffer(offer) {
  const { partitions, ...visible } = offer;
  return visible;
}

module.exports = { createThroughput, charges, round, sizeOf, TokenBucket };
