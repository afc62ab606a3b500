"use strict";
// What a data-plane request costs, before it runs (to admit it or answer 429) and after (the
// x-ms-request-charge it reports), with the charge model of ./throughput.js; and the checks
// Cosmos DB makes on an item's ttl.
const { charges, sizeOf } = require("./throughput");
const { rangeIndexOf } = require("./partitions");
const { readBody, headerPartitionKey, problem } = require("./http");

const COLLECTION_PATH = /^\/dbs\/([^/]+)\/colls\/([^/]+)/;
const DOCUMENT_PATH = /^\/dbs\/([^/]+)\/colls\/([^/]+)\/docs\/([^/]+)$/;
const MAX_TTL = 2147483647;
const WRITES = new Set(["create", "upsert", "replace"]);
const BATCH_WRITES = new Set(["Create", "Upsert", "Replace"]);

function collectionOf(account, pathname) {
  const match = COLLECTION_PATH.exec(pathname);
  if (!match) return null;
  try {
    const database = decodeURIComponent(match[1]);
    const id = decodeURIComponent(match[2]);
    const collection = account.database(database).collection(id);
    return collection.read() ? { database, id, collection } : null;
  } catch (err) {
    return null;
  }
}

function stored(collection, id, partitionKey) {
  try {
    return collection.document(id, partitionKey).read() || null;
  } catch (err) {
    return null;
  }
}

/** The physical partition a request lands on: the range it names, else its partition key's. */
function partitionOf(offer, req) {
  if (!offer) return 0;
  const named = Number(req.headers["x-ms-documentdb-partitionkeyrangeid"]);
  if (Number.isInteger(named) && named >= 0) return named % offer.partitions;
  const partitionKey = headerPartitionKey(req);
  return partitionKey === undefined ? 0 : rangeIndexOf(offer.partitions, partitionKey);
}

async function parsed(req) {
  try {
    return JSON.parse((await readBody(req)).toString() || "null");
  } catch (err) {
    return null;
  }
}

function batchOperationEstimate(collection, operation, partitionKey) {
  if (BATCH_WRITES.has(operation.operationType)) return charges.write(sizeOf(operation.resourceBody));
  const item = stored(collection, operation.id, partitionKey);
  if (!item) return charges.refused();
  return operation.operationType === "Read" ? charges.read(item) : charges.write(sizeOf(item));
}

/** The charge to admit a request with, before it runs. */
async function estimate(target, req, pathname, kind) {
  const partitionKey = headerPartitionKey(req);
  const document = DOCUMENT_PATH.exec(pathname);
  const item = document && target ? stored(target.collection, decodeURIComponent(document[3]), partitionKey) : null;
  switch (kind) {
    case "read":
      return item ? charges.read(item) : charges.refused();
    case "patch":
    case "delete":
      return item ? charges.write(sizeOf(item)) : charges.refused();
    case "create":
    case "upsert":
    case "replace":
      return charges.write((await readBody(req)).length);
    case "batch": {
      const operations = await parsed(req);
      if (!Array.isArray(operations) || !target) return charges.refused();
      return operations.reduce((sum, op) => sum + batchOperationEstimate(target.collection, op || {}, partitionKey), 0);
    }
    case "query":
    case "readFeed":
      return charges.query(0);
    case "partitionKeyDelete":
      return charges.partitionDelete();
    default:
      return charges.refused();
  }
}

function itemCount(body) {
  if (!body || typeof body !== "object") return 0;
  const list = body.Documents || body.DocumentCollections || body.Offers;
  return Array.isArray(list) ? list.length : Number(body._count) || 0;
}

/** The charge a request reports once it ran. */
function chargeOf(kind, status, body, estimated) {
  if (kind === "batch" && Array.isArray(body)) {
    return body.reduce((sum, result) => sum + (result.requestCharge || 0), 0) || charges.refused();
  }
  if (status >= 400) return charges.refused();
  switch (kind) {
    case "read":
      return charges.read(body);
    case "create":
    case "upsert":
    case "replace":
    case "patch":
      return charges.write(sizeOf(body));
    case "query":
    case "readFeed":
      return charges.query(itemCount(body));
    default:
      return estimated;
  }
}

const ITEM_WRITES = new Set(["Create", "Upsert", "Replace", "Patch"]);

/** How many items a request wrote (created, upserted, replaced or patched), once it ran: for the
 * counters, so that a benchmark can tell first writes from writes again. */
async function itemsWritten(req, kind, status, body) {
  if (kind === "batch" && Array.isArray(body)) {
    const operations = (await parsed(req)) || [];
    return body.filter((result, i) => result.statusCode < 300 && operations[i] && ITEM_WRITES.has(operations[i].operationType)).length;
  }
  return ["create", "upsert", "replace", "patch"].includes(kind) && status < 300 ? 1 : 0;
}

/** Cosmos DB's answer to an item whose ttl it refuses (0, null, a fraction, beyond 2^31-1). */
function ttlProblem(item) {
  if (!item || typeof item !== "object" || !("ttl" in item)) return null;
  const ttl = item.ttl;
  if (Number.isInteger(ttl) && (ttl === -1 || (ttl > 0 && ttl <= MAX_TTL))) return null;
  return problem(
    "BadRequest",
    `The input ttl '${ttl}' is invalid. Ensure to provide a nonzero positive integer less than or equal to '${MAX_TTL}', or '-1' which means never expire.`
  );
}

/** A 400 for the request's items that Cosmos DB would refuse, or null. */
async function invalidItems(req, kind) {
  if (WRITES.has(kind)) return ttlProblem(await parsed(req));
  if (kind !== "batch") return null;
  const operations = await parsed(req);
  if (!Array.isArray(operations)) return null;
  for (const operation of operations) {
    const refused = operation && BATCH_WRITES.has(operation.operationType) && ttlProblem(operation.resourceBody);
    if (refused) return refused;
  }
  return null;
}

module.exports = { collectionOf, estimate, chargeOf, itemsWritten, partitionOf, invalidItems, headerPartitionKey };
