"use strict";
// The peer to compare with: @azure/cosmos's own bulk executor, executeBulkOperations, upserting
// every product of an NDJSON file into a container of the local endpoint.
//
//   node bench/js/bulk.js <endpoint> <key> <database> <container> <products.ndjson>
//
// Prints one JSON line: seconds, the statuses the SDK reported (how many of each), the client's
// CPU seconds, and the charge of a point read of the first product.
const fs = require("fs");
const { CosmosClient } = require("@azure/cosmos");

async function main() {
  const [endpoint, key, database, containerId, file] = process.argv.slice(2);
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0"; // the local endpoint's self-signed certificate
  const products = fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map(line => JSON.parse(line));
  const container = new CosmosClient({ endpoint, key }).database(database).container(containerId);
  const operations = products.map(product => ({
    operationType: "Upsert",
    partitionKey: product.categoryId,
    resourceBody: product
  }));
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const results = await container.items.executeBulkOperations(operations);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const statuses = {};
  for (const result of results) {
    const status = result.response ? String(result.response.statusCode) : `error ${result.error && result.error.code}`;
    statuses[status] = (statuses[status] || 0) + 1;
  }
  const read = await container.item(products[0].id, products[0].categoryId).read();
  const cpuSeconds = (used.user + used.system) / 1e6;
  console.log(JSON.stringify({ seconds, statuses, cpuSeconds, readCharge: read.requestCharge }));
}

main().catch(err => {
  console.error(err.message);
  process.exit(1);
});
