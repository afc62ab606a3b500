#!/usr/bin/env node
"use strict";
// Local Cosmos DB for NoSQL endpoint: @vercel/cosmosdb-server, plus what the Python SDK needs
// and the upstream lacks (atomic batch, partition-scoped queries, TTL, partition key delete),
// request charges and provisioned throughput (offers, throttling, priority-based execution,
// throughput buckets), and fault injection for tests.
//
//   node devtools/cosmos-emulator.js --port 0 [--faults '{"rate":0.2,"statuses":[429,503]}']
//                                    [--no-partition-key-delete] [--no-priority-based-execution]
//
// Prints one line, the endpoint URL, once it accepts connections.
const fs = require("fs");
const https = require("https");
const { randomUUID } = require("crypto");
const { parseArgs } = require("util");
const upstream = require("./cosmos/upstream");
const { createSweeper } = require("./cosmos/ttl");
const { createFaults } = require("./cosmos/faults");
const { createAdmin, createStats } = require("./cosmos/admin");
const { createOverrides, operationKind, isTooLarge, DATA_PLANE_PATH } = require("./cosmos/handlers");
const { createThroughput } = require("./cosmos/throughput");
const { createOffers } = require("./cosmos/offers");
const metering = require("./cosmos/metering");
const admission = require("./cosmos/admission");
const { partitionKeyRanges } = require("./cosmos/partitions");

const PKRANGES_PATH = /^\/dbs\/([^/]+)\/colls\/([^/]+)\/pkranges$/;

/** A container's /pkranges: one range per physical partition. */
function ranges(account, throughput, req, pathname) {
  const match = PKRANGES_PATH.exec(pathname);
  if (!match || req.method !== "GET") return null;
  const target = metering.collectionOf(account, `/dbs/${match[1]}/colls/${match[2]}/`);
  if (!target) return null;
  const offer = throughput.offerOf(target.database, target.id);
  const partitions = offer ? offer.partitions : 1;
  // The SDKs read /pkranges as a change feed until it answers 304 for the ETag it last saw.
  const etag = `"pkranges-${target.collection.read()._rid}-${offer ? offer.id : "none"}-${partitions}"`;
  if (req.headers["if-none-match"] === etag) return [304, undefined];
  const list = partitionKeyRanges(partitions, target.collection.read());
  return [200, { _rid: target.collection.read()._rid, _etag: etag, PartitionKeyRanges: list, _count: list.length }];
}

function normalisePath(url) {
  let pathname = new URL(url, "https://localhost").pathname.replace(/^\/\//, "/");
  while (pathname.length > 1 && pathname.endsWith("/")) pathname = pathname.slice(0, -1);
  return pathname;
}

function send(req, res, status, body, requestCharge = 1) {
  if (res.writableEnded) return;
  res.statusCode = status;
  if (status > 399 && body && body.message === undefined) body.message = "";
  if (body && body._etag) res.setHeader("etag", body._etag);
  if (status !== 304) res.setHeader("content-type", "application/json");
  res.setHeader("x-ms-activity-id", randomUUID());
  res.setHeader("x-ms-request-charge", String(requestCharge));
  if (status === 304) return res.end();
  res.end(JSON.stringify(body === undefined ? {} : body));
}

async function upstreamRoute(account, req, res) {
  const route = upstream.routes(req);
  if (!route) return [400, { message: "no route" }];
  const [params, handler] = route;
  res.statusCode = 200;
  const body = await handler(account, req, res, params);
  return [res.statusCode, body];
}

function throttle(req, res, refusal) {
  req.resume();
  res.setHeader("x-ms-retry-after-ms", String(refusal.retryAfterMs));
  res.setHeader("x-ms-substatus", refusal.substatus);
  const body = { code: "TooManyRequests", message: "Request rate is large. More Request Units may be needed, so no changes were made." };
  return send(req, res, 429, body, 0);
}

async function serveDataPlane({ account, faults, stats, throughput, override, capabilities }, req, res, pathname) {
  const kind = operationKind(req, pathname);
  const requestClass = admission.classOf(req, capabilities);
  stats.record(kind, requestClass);
  const { latencyMs } = faults.get();
  if (latencyMs) await new Promise(resolve => setTimeout(resolve, latencyMs));
  const fault = faults.pick({ kind, pathname });
  if (fault) {
    stats.recordFault(fault.status);
    req.resume();
    Object.entries(fault.headers).forEach(([name, value]) => res.setHeader(name, value));
    return send(req, res, fault.status, fault.body, 0);
  }
  const refused = requestClass.refused || (isTooLarge(req, kind) ? null : await metering.invalidItems(req, kind));
  if (refused) return send(req, res, 400, refused, 1);
  const target = metering.collectionOf(account, pathname);
  const offer = target ? throughput.offerOf(target.database, target.id) : null;
  const budgets = throughput.budgetsOf(offer, metering.partitionOf(offer, req), requestClass.bucket);
  const estimate = isTooLarge(req, kind) ? 0 : await metering.estimate(target, req, pathname, kind);
  const refusal = admission.admit(budgets, estimate, requestClass);
  if (refusal) {
    stats.recordThrottled(target, refusal.substatus, kind);
    return throttle(req, res, refusal);
  }
  const [status, body] = (await override(req, res, pathname, kind)) || (await upstreamRoute(account, req, res));
  const charge = throughput.round(metering.chargeOf(kind, status, body, estimate));
  admission.settle(budgets, charge - estimate);
  stats.recordCharge(charge, target, await metering.itemsWritten(req, kind, status, body));
  return send(req, res, status, body, charge);
}

function createHandler({ account, faults, stats, capabilities }) {
  const sweep = createSweeper(account);
  const throughput = createThroughput();
  const offers = createOffers(throughput);
  const admin = createAdmin({ faults, stats, capabilities, throughput, account });
  const override = createOverrides(account, capabilities, throughput);
  const context = { account, faults, stats, throughput, override, capabilities };
  return async (req, res) => {
    const pathname = normalisePath(req.url);
    if (pathname.startsWith("/_emulator/")) {
      const [status, body] = await admin(req, pathname);
      return send(req, res, status, body);
    }
    sweep();
    if (DATA_PLANE_PATH.test(pathname)) return serveDataPlane(context, req, res, pathname);
    const answered = (await offers.route(req, pathname)) || ranges(account, throughput, req, pathname);
    if (answered) return send(req, res, answered[0], answered[1]);
    const [status, body] = await upstreamRoute(account, req, res);
    if (req.method === "POST") offers.created(req, pathname, status, body);
    if (req.method === "DELETE") offers.deleted(pathname, status);
    return send(req, res, status, body);
  };
}

function main() {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "8081" },
      host: { type: "string", default: "127.0.0.1" },
      faults: { type: "string", default: process.env.COSMOS_EMULATOR_FAULTS || "{}" },
      "no-partition-key-delete": { type: "boolean", default: false },
      "no-priority-based-execution": { type: "boolean", default: false }
    }
  });
  const faults = createFaults(JSON.parse(values.faults));
  const stats = createStats();
  const capabilities = {
    partitionKeyDelete: !values["no-partition-key-delete"],
    priorityBasedExecution: !values["no-priority-based-execution"]
  };
  const state = { account: null, faults, stats, capabilities };
  let handle;
  const server = https.createServer(
    { cert: fs.readFileSync(upstream.certificatePath), key: fs.readFileSync(upstream.keyPath), keepAlive: true },
    (req, res) =>
      handle(req, res).catch(err => {
        console.error(`cosmos-emulator: ${err.message}`);
        send(req, res, 500, { code: "InternalServerError", message: "The emulator failed to handle the request." });
      })
  );
  // Keep idle connections open longer than the SDK's pool keeps them, so reuse never races a close.
  server.keepAliveTimeout = 120000;
  server.headersTimeout = 121000;
  server.listen(Number(values.port), values.host, () => {
    const { port } = server.address();
    state.account = new upstream.Account(values.host, port);
    handle = createHandler(state);
    console.log(`https://${values.host}:${port}/`);
  });
  // The store lives in memory, so there is nothing to flush: close connections and leave.
  const stop = () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main();
