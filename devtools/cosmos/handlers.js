"use strict";
// Handlers for what the upstream server lacks or gets wrong for the Python SDK. Each returns
// [status, body] or null when the request is not theirs and should go to the upstream routes.
const { readItems } = require("./upstream");
const { handleBatch, handleBulk } = require("./batch");
const { MAX_REQUEST_BYTES, readJson, isTrue, headerPartitionKey, problem } = require("./http");
const { rangeIndexOf } = require("./partitions");

const DOCS_PATH = /^\/dbs\/([^/]+)\/colls\/([^/]+)\/docs$/;
const DOCUMENT_PATH = /^\/dbs\/([^/]+)\/colls\/([^/]+)\/docs\/([^/]+)$/;
const PARTITION_DELETE_PATH = /^\/dbs\/([^/]+)\/colls\/([^/]+)\/operations\/partitionkeydelete$/;
const DATA_PLANE_PATH = /^\/dbs\/[^/]+\/colls\/[^/]+\/(docs|operations)(\/|$)/;
const OWNER_PATH = /^\/dbs\/([^/]+)\/colls\/([^/]+)\//;
// Cosmos DB's substatus for a request whose database or container does not exist.
const OWNER_RESOURCE_NOT_FOUND = "1003";

function collectionAt(account, match) {
  const collection = account.database(decodeURIComponent(match[1])).collection(decodeURIComponent(match[2]));
  return collection.read() ? collection : null;
}

function safeCollectionAt(account, match) {
  try {
    return collectionAt(account, match);
  } catch (err) {
    return null;
  }
}

function operationKind(req, pathname) {
  if (PARTITION_DELETE_PATH.test(pathname)) return "partitionKeyDelete";
  const onDocument = !DOCS_PATH.test(pathname);
  switch (req.method) {
    case "GET":
      return onDocument ? "read" : "readFeed";
    case "PUT":
      return "replace";
    case "PATCH":
      return "patch";
    case "DELETE":
      return "delete";
    default:
      if (isTrue(req, "x-ms-cosmos-is-batch-request")) return "batch";
      if (isTrue(req, "x-ms-documentdb-isquery") || req.headers["content-type"] === "application/query+json") return "query";
      return isTrue(req, "x-ms-documentdb-is-upsert") ? "upsert" : "create";
  }
}

function isTooLarge(req, kind) {
  const length = Number(req.headers["content-length"] || 0);
  return kind !== "query" && length > MAX_REQUEST_BYTES;
}

// The continuation tokens the upstream query engine writes; Cosmos DB refuses a token it did not
// write with 400, where the upstream would quietly start again from the first page.
const CONTINUATION_TOKEN = /^\+RID:[^#]+#RT:\d+(#SRC:\d+)?#TRC:\d+(#RTD:[A-Za-z0-9+/=]*)?$/;

function isValidContinuation(raw) {
  if (raw === undefined || raw === "") return true;
  try {
    const parsed = JSON.parse(raw);
    return parsed !== null && typeof parsed.token === "string" && CONTINUATION_TOKEN.test(parsed.token);
  } catch (err) {
    return false;
  }
}

/** Queries that name a partition key see only that partition, and queries that name a
 * physical partition (a range id) only its items; the upstream ignores both headers. */
async function partitionQuery(account, req, res, match, belongs) {
  return readItems(req, res, "Documents", async ({ continuation, maxItemCount }) => {
    const body = await readJson(req);
    const collection = collectionAt(account, match);
    if (!collection) return null;
    const documents = collection.documents;
    const items = [];
    for (const entry of documents._data.values()) {
      const item = entry.read();
      if (belongs(documents._getPartition(item))) items.push(item);
    }
    try {
      return documents._getQuery(body.query).exec(items, {
        parameters: body.parameters,
        udf: documents._userDefinedFunctions(),
        maxItemCount,
        continuation,
        compositeIndexes: ((collection.read().indexingPolicy || {}).compositeIndexes) || []
      });
    } catch (err) {
      err.badRequest = true;
      throw err;
    }
  });
}

/** The upstream answers 500 for a missing item; Cosmos DB answers 404. And 304 when
 * If-None-Match names the item's current ETag. */
function pointRead(account, match, req) {
  const partitionKey = headerPartitionKey(req);
  const collection = collectionAt(account, match);
  const item = collection && collection.document(decodeURIComponent(match[3]), partitionKey).read();
  if (!item || collection.documents._getPartition(item) !== partitionKey) {
    return [404, problem("NotFound", "Entity with the specified id does not exist in the system.")];
  }
  if (req.headers["if-none-match"] === item._etag) return [304, undefined];
  return [200, item];
}

function deletePartition(collection, partitionKey) {
  const documents = collection.documents;
  const doomed = [];
  for (const entry of documents._data.values()) {
    const item = entry.read();
    if (documents._getPartition(item) === partitionKey) doomed.push(item.id);
  }
  doomed.forEach(id => documents.delete(id, partitionKey));
}

function createOverrides(account, capabilities, throughput) {
  return async function override(req, res, pathname, kind) {
    const owner = OWNER_PATH.exec(pathname);
    if (owner && !safeCollectionAt(account, owner)) {
      req.resume();
      res.setHeader("x-ms-substatus", OWNER_RESOURCE_NOT_FOUND);
      return [404, problem("NotFound", "Owner resource does not exist")];
    }
    if (isTooLarge(req, kind)) {
      req.resume();
      return [413, problem("RequestEntityTooLarge", "Request size is too large.")];
    }
    const docs = DOCS_PATH.exec(pathname);
    if (docs && kind === "batch") {
      const collection = collectionAt(account, docs);
      const operations = await readJson(req);
      if (!collection) return [404, problem("NotFound", "Collection not found.")];
      const atomic = (req.headers["x-ms-cosmos-batch-atomic"] || "true").toLowerCase() !== "false";
      return atomic ? handleBatch(collection, operations, req) : handleBulk(collection, operations, req);
    }
    const rangeId = req.headers["x-ms-documentdb-partitionkeyrangeid"];
    const count = docs ? throughput.partitionsOf(decodeURIComponent(docs[1]), decodeURIComponent(docs[2])) : 1;
    const scoped = headerPartitionKey(req) !== undefined || (rangeId !== undefined && count > 1);
    if (docs && kind === "query" && scoped) {
      if (!isValidContinuation(req.headers["x-ms-continuation"])) {
        req.resume();
        return [400, problem("BadRequest", "Invalid Continuation Token")];
      }
      const partitionKey = headerPartitionKey(req);
      const belongs =
        partitionKey !== undefined
          ? value => value === partitionKey
          : value => rangeIndexOf(count, value) === Number(rangeId);
      try {
        const body = await partitionQuery(account, req, res, docs, belongs);
        return [res.statusCode, body];
      } catch (err) {
        return [400, problem("BadRequest", err.message)];
      }
    }
    const document = DOCUMENT_PATH.exec(pathname);
    if (document && kind === "read") {
      return pointRead(account, document, req);
    }
    const partitionDelete = PARTITION_DELETE_PATH.exec(pathname);
    if (partitionDelete) {
      req.resume();
      if (!capabilities.partitionKeyDelete) {
        return [400, problem("BadRequest", "Partition key delete feature is disabled for this account.")];
      }
      const collection = collectionAt(account, partitionDelete);
      if (!collection) return [404, problem("NotFound", "Collection not found.")];
      deletePartition(collection, headerPartitionKey(req));
      return [200, {}];
    }
    return null;
  };
}

module.exports = { createOverrides, operationKind, isTooLarge, DATA_PLANE_PATH };
