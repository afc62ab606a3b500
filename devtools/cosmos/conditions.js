"use strict";
// A conditional patch (the SDK's filter_predicate, "FROM c WHERE ...") is judged by Cosmos DB on
// the one item it patches. The upstream judges it by querying the whole container for the id
// (so an item of the same id in another partition can satisfy it) and lower-cases it first (so
// c.categoryId reads c.categoryid). This replaces the upstream's patchOperation, for single
// patches and batch patches alike, with one that evaluates the predicate on the target item,
// as written, and leaves the rest to the upstream.
const path = require("path");

const root = path.dirname(require.resolve("@vercel/cosmosdb-server/package.json"));
const patches = require(path.join(root, "lib", "handler", "_patch-operations"));
const { parsePartitionKey } = require(path.join(root, "lib", "utils", "get-partition-from-header"));

const upstreamPatch = patches.patchOperation;
const FROM_C_WHERE = /^\s*from\s+c\s+where\s+/i;

function conditionHolds(collection, item, condition) {
  const where = condition.replace(FROM_C_WHERE, "");
  const query = collection.documents._getQuery(`SELECT * FROM c WHERE ${where}`);
  return query.exec([item], { parameters: [], udf: collection.documents._userDefinedFunctions() }).result.length > 0;
}

function scopedPatchOperation(collection, input) {
  if (!input.condition) return upstreamPatch(collection, input);
  const partitionKey = parsePartitionKey(input.partitionKey, input.id);
  const item = collection.document(input.id, partitionKey).read();
  if (item && !(input.ifMatch && input.ifMatch !== item._etag)) {
    let holds;
    try {
      holds = conditionHolds(collection, item, input.condition);
    } catch (err) {
      return { statusCode: 400, body: { code: "BadRequest", message: "Invalid condition in patch request." } };
    }
    if (!holds) {
      return { statusCode: 412, body: { code: "PreconditionFailed", message: "Condition specified in the patch request is not satisfied." } };
    }
  }
  return upstreamPatch(collection, { ...input, condition: undefined });
}

patches.patchOperation = scopedPatchOperation;

module.exports = { scopedPatchOperation };
