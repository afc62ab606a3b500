"use strict";
// Atomic transactional batch as azure-cosmos `execute_item_batch` sends it: the partition key in
// the request header, operations without their own key, per-operation `ifMatch`. Either every
// operation takes effect or none does; on failure the response is 207 with the failing
// operation's own status and 424 for every other one, as Cosmos DB answers.
const { documentOperations, patchOperation } = require("./upstream");
const { headerPartitionKey, problem } = require("./http");
const { charges, sizeOf } = require("./throughput");

const MAX_OPERATIONS = 100;

function targetId(operation) {
  return operation.id !== undefined ? operation.id : (operation.resourceBody || {}).id;
}

function partitionMismatch(collection, operation, partitionKey) {
  const body = operation.resourceBody;
  if (!body || operation.operationType === "Patch") return false;
  return collection.documents._getPartition(body) !== partitionKey;
}

function runOperation(collection, operation, partitionKeyHeader, partitionKey) {
  const input = { ...operation, partitionKey: partitionKeyHeader };
  if (partitionMismatch(collection, operation, partitionKey)) {
    return { statusCode: 400, body: problem("BadRequest", "PartitionKey extracted from document doesn't match the one specified in the header.") };
  }
  switch (operation.operationType) {
    case "Create":
      return documentOperations.createOperation(collection, input);
    case "Upsert":
      return documentOperations.upsertOperation(collection, input);
    case "Replace":
      return documentOperations.replaceOperation(collection, input);
    case "Read":
      return documentOperations.readOperation(collection, input);
    case "Delete":
      return documentOperations.deleteOperation(collection, input);
    case "Patch":
      return patchOperation(collection, {
        id: operation.id,
        partitionKey: partitionKeyHeader,
        ifMatch: operation.ifMatch,
        operations: (operation.resourceBody || {}).operations || [],
        condition: (operation.resourceBody || {}).condition
      });
    default:
      return { statusCode: 400, body: problem("BadRequest", `Operation type '${operation.operationType}' is not supported in Batch.`) };
  }
}

/** Remembers each touched item's state before the batch so that a failure can restore it. */
function createUndoLog(collection, partitionKey) {
  const documents = collection.documents;
  const before = new Map();
  return {
    remember(id) {
      if (id === undefined || before.has(id)) return;
      const data = collection.document(id, partitionKey).read();
      before.set(id, data ? { ...data } : null);
    },
    original(id) {
      return before.get(id) || null;
    },
    rollback() {
      for (const [id, original] of before) {
        if (collection.document(id, partitionKey).read()) documents.delete(id, partitionKey);
        if (original) documents._set(original);
      }
    }
  };
}

function executeBatch(collection, operations, req) {
  // Prefer: return=minimal (the SDK's no_response) leaves write results without bodies.
  const minimal = (req.headers.prefer || "").includes("return=minimal");
  const partitionKeyHeader = req.headers["x-ms-documentdb-partitionkey"];
  const partitionKey = headerPartitionKey(req);
  const undo = createUndoLog(collection, partitionKey);
  const results = [];
  for (let index = 0; index < operations.length; index += 1) {
    const operation = operations[index];
    undo.remember(targetId(operation));
    let outcome;
    try {
      outcome = runOperation(collection, operation, partitionKeyHeader, partitionKey);
    } catch (err) {
      outcome = { statusCode: 400, body: problem("BadRequest", err.message) };
    }
    if (outcome.statusCode >= 400) {
      undo.rollback();
      return { failed: true, results: failedResults(operations.length, index, outcome) };
    }
    const isRead = operation.operationType === "Read";
    results.push({
      statusCode: outcome.statusCode,
      requestCharge: operationCharge(operation, outcome, undo.original(targetId(operation))),
      eTag: outcome.body ? outcome.body._etag : undefined,
      resourceBody: minimal && !isRead ? undefined : outcome.body
    });
  }
  return { failed: false, results };
}

function operationCharge(operation, outcome, original) {
  if (operation.operationType === "Read") return charges.read(outcome.body);
  if (operation.operationType === "Delete") return charges.write(sizeOf(original));
  return charges.write(sizeOf(outcome.body || operation.resourceBody));
}

function failedResults(count, failedIndex, outcome) {
  return Array.from({ length: count }, (_, index) =>
    index === failedIndex
      ? { statusCode: outcome.statusCode, requestCharge: 0, resourceBody: outcome.body }
      : { statusCode: 424, requestCharge: 0 }
  );
}

function parsedPartitionKey(raw) {
  try {
    const parsed = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed[0] : parsed;
  } catch (err) {
    return undefined;
  }
}

/** A non-atomic bulk request, as the JS and .NET SDK bulk executors send it: each operation
 * names its own partition key and stands alone; every one gets its own result. */
function handleBulk(collection, operations, req) {
  if (!Array.isArray(operations) || operations.length === 0 || operations.length > MAX_OPERATIONS) {
    return [400, problem("BadRequest", `A bulk request holds 1 to ${MAX_OPERATIONS} operations.`)];
  }
  const minimal = (req.headers.prefer || "").includes("return=minimal");
  const results = operations.map(operation => {
    const original = operation.id !== undefined ? collection.document(operation.id, parsedPartitionKey(operation.partitionKey)).read() : null;
    let outcome;
    try {
      outcome = runOperation(collection, operation, operation.partitionKey, parsedPartitionKey(operation.partitionKey));
    } catch (err) {
      outcome = { statusCode: 400, body: problem("BadRequest", err.message) };
    }
    if (outcome.statusCode >= 400) {
      return { statusCode: outcome.statusCode, requestCharge: charges.refused(), resourceBody: outcome.body };
    }
    return {
      statusCode: outcome.statusCode,
      requestCharge: operationCharge(operation, outcome, original),
      eTag: outcome.body ? outcome.body._etag : undefined,
      resourceBody: minimal && operation.operationType !== "Read" ? undefined : outcome.body
    };
  });
  return [200, results];
}

/** Handles POST .../docs with x-ms-cosmos-is-batch-request. Returns [status, body]. */
function handleBatch(collection, operations, req) {
  if (!Array.isArray(operations) || operations.length === 0) {
    return [400, problem("BadRequest", "The batch request did not contain any operations.")];
  }
  if (operations.length > MAX_OPERATIONS) {
    return [400, problem("BadRequest", `Batch request has more operations than what is supported (${MAX_OPERATIONS}).`)];
  }
  if (headerPartitionKey(req) === undefined) {
    return [400, problem("BadRequest", "A transactional batch must name its partition key in the header.")];
  }
  const { failed, results } = executeBatch(collection, operations, req);
  return [failed ? 207 : 200, results];
}

module.exports = { handleBatch, handleBulk, MAX_OPERATIONS };
