"use strict";
// Small request/response helpers shared by the wrapper's handlers.

const MAX_REQUEST_BYTES = 2 * 1024 * 1024;

// A request's body is read once and kept, so that metering, validation and the upstream
// handlers can each look at it.
const bodies = new WeakMap();

function readBody(req) {
  if (!bodies.has(req)) {
    bodies.set(
      req,
      new Promise((resolve, reject) => {
        const chunks = [];
        req.on("data", chunk => chunks.push(chunk));
        req.on("end", () => resolve(Buffer.concat(chunks)));
        req.on("error", reject);
      })
    );
  }
  return bodies.get(req);
}

async function readJson(req) {
  const raw = await readBody(req);
  return raw.length ? JSON.parse(raw.toString("utf8")) : null;
}

function isTrue(req, name) {
  const value = req.headers[name];
  return typeof value === "string" && value.toLowerCase() === "true";
}

/** The partition key value sent in the header, or undefined when the request names none. */
function headerPartitionKey(req) {
  const raw = req.headers["x-ms-documentdb-partitionkey"];
  if (!raw || raw === "[{}]") return undefined;
  const parsed = JSON.parse(raw);
  return Array.isArray(parsed) ? parsed[0] : parsed;
}

function problem(code, message) {
  return { code, message };
}

module.exports = { MAX_REQUEST_BYTES, readBody, readJson, isTrue, headerPartitionKey, problem };
