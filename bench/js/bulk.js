"use strict";
// Drives @azure/cosmos against the local endpoint for the Python tests: node bulk.js <endpoint>
// <key> <database> <container> <count> <categories>. Prints one JSON line: the statuses the
// SDK's executeBulkOperations got back, and a point read's charge.
const { CosmosClient } = require("@azure/cosmos");

async function main() {
  const [endpoint, key, database, containerId, count, categories] = process.argv.slice(2);
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0"; // the local endpoint's self-signed certificate
  const client = new CosmosClient({ endpoint, key });
  const container = client.database(database).container(containerId);
  const operations = Array.from({ length: Number(count) }, (_, n) => {
    const categoryId = `cat-${n % Number(categories)}`;
    return {
      operationType: "Upsert",
      partitionKey: categoryId,
      resourceBody: { id: `js-${n}`, categoryId, name: "bell", price: 9.5 }
    };
  });
  const results = await container.items.executeBulkOperations(operations);
  const statuses = {};
  for (const result of results) {
    const status = result.response ? result.response.statusCode : `error ${result.error && result.error.code}`;
    statuses[status] = (statuses[status] || 0) + 1;
  }
  const read = await container.item("js-0", "cat-0").read();
  console.log(JSON.stringify({ statuses, readCharge: read.requestCharge }));
}

main().catch(err => {
  console.error(err.message);
  process.exit(1);
});
