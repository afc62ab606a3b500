"use strict";
// The pieces of @vercel/cosmosdb-server this wrapper builds on. Its package exports only the
// servers, so the modules are reached through their compiled paths (pinned by package-lock.json).
const path = require("path");

const { readBody } = require("./http");

const root = path.dirname(require.resolve("@vercel/cosmosdb-server/package.json"));

// The upstream handlers read bodies through lib/json; make them share the wrapper's kept body.
require(path.join(root, "lib", "json")).default = async req => JSON.parse((await readBody(req)).toString());
const load = relative => require(path.join(root, "lib", relative)).default || require(path.join(root, "lib", relative));

module.exports = {
  certificatePath: path.join(root, "cert.pem"),
  keyPath: path.join(root, "key.pem"),
  Account: load("account"),
  Documents: load("account/documents"),
  routes: load("routes"),
  readItems: load("handler/_read-items"),
  documentOperations: require(path.join(root, "lib", "handler", "_document-operations")),
  // Conditional patches judged on their own item (conditions.js replaces the upstream's).
  patchOperation: require("./conditions").scopedPatchOperation,
  parsePartitionKey: require(path.join(root, "lib", "utils", "get-partition-from-header")).parsePartitionKey
};
