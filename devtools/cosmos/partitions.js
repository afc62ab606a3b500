"use strict";
// Physical partitions as Cosmos DB lays them out: the effective partition key (EPK) space, the
// MurmurHash3-based hash of a partition key value that the SDKs compute (taken from
// @azure/cosmos, so that the endpoint and every SDK agree on where a key lives), split into equal
// ranges, one per physical partition. `/pkranges` describes them; requests that name a range
// (x-ms-documentdb-partitionkeyrangeid) see only its items.
const path = require("path");

const cosmosRoot = path.dirname(require.resolve("@azure/cosmos/package.json"));
const { hashV2PartitionKey } = require(path.join(cosmosRoot, "dist", "commonjs", "utils", "hashing", "v2.js"));

const EPK_DIGITS = 32;
const EPK_SPACE = 1n << 126n; // the first byte of a v2 hash is masked to 0x3F
const MAX_EPK = "FF";

function effectivePartitionKey(partitionKey) {
  return hashV2PartitionKey([partitionKey === undefined ? null : partitionKey]);
}

function boundary(index, count) {
  if (index === 0) return "";
  if (index === count) return MAX_EPK;
  return ((EPK_SPACE * BigInt(index)) / BigInt(count)).toString(16).toUpperCase().padStart(EPK_DIGITS, "0");
}

/** The ranges of `count` physical partitions, as /pkranges lists them. */
function partitionKeyRanges(count, collection) {
  return Array.from({ length: count }, (_, index) => ({
    id: String(index),
    _rid: `${collection._rid}${index}`,
    _self: `${collection._self}pkranges/${index}/`,
    _etag: `"range-${index}"`,
    _ts: collection._ts,
    minInclusive: boundary(index, count),
    maxExclusive: boundary(index + 1, count),
    ridPrefix: index,
    throughputFraction: 1 / count,
    status: "online",
    parents: []
  }));
}

/** Which of `count` ranges a partition key value falls in. */
function rangeIndexOf(count, partitionKey) {
  if (count <= 1) return 0;
  const epk = effectivePartitionKey(partitionKey);
  for (let index = count - 1; index > 0; index -= 1) {
    if (epk >= boundary(index, count)) return index;
  }
  return 0;
}

module.exports = { partitionKeyRanges, rangeIndexOf, effectivePartitionKey };
