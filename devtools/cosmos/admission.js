"use strict";
// Who is admitted when a partition's budget runs short, as Cosmos DB decides it, over the budgets
// of ./throughput.js:
//
// - Priority-based execution: a request's x-ms-cosmos-priority-level is Low or High (High when
//   absent or anything else, the account's default). A low-priority request is admitted only if
//   its partition's budget keeps LOW_PRIORITY_RESERVE (a tenth of a second's budget) after it; so
//   once low-priority work has drawn the budget down to the reserve, it answers 429 with
//   substatus 3200 and the time until it would fit, while high-priority requests spend the
//   reserve. The reserve is a level, not a rate: alone, low-priority work still gets the whole
//   provisioned throughput. An account without the capability ignores the header, as Cosmos DB
//   does (`--no-priority-based-execution`, or PUT /_emulator/capabilities).
// - Throughput buckets: a request's x-ms-cosmos-throughput-bucket names a bucket from 1 to 5
//   (anything else is 400). When the container's offer configures that bucket, the request is
//   admitted only within the bucket's share (a token bucket at its maxThroughputPercentage of
//   the partition's rate, one second of it at most), answering 429 with substatus 3212 beyond
//   it, and spends the partition's budget too. A bucket the offer does not configure limits
//   nothing; requests without a bucket are not limited by any.
const { problem } = require("./http");

const LOW_PRIORITY_RESERVE = 0.1;
const RU_BUDGET_EXCEEDED = "3200";
const THROUGHPUT_BUCKET_EXCEEDED = "3212";
const PRIORITY_HEADER = "x-ms-cosmos-priority-level";
const BUCKET_HEADER = "x-ms-cosmos-throughput-bucket";

/** A request's class: {low, bucket}, or {refused: [status, body]} for a bucket id outside 1-5. */
function classOf(req, capabilities) {
  const priority = String(req.headers[PRIORITY_HEADER] || "").toLowerCase();
  const low = capabilities.priorityBasedExecution && priority === "low";
  const raw = req.headers[BUCKET_HEADER];
  if (raw === undefined || raw === "") return { low, bucket: null };
  const bucket = Number(raw);
  if (!Number.isInteger(bucket) || bucket < 1 || bucket > 5) {
    return { refused: [400, problem("BadRequest", `Invalid throughput bucket '${raw}': it must be from 1 to 5.`)] };
  }
  return { low, bucket };
}

/** null when the request may run (its estimate spent), else {retryAfterMs, substatus}. */
function admit(budgets, cost, requestClass) {
  if (!budgets) return null;
  const { partition, bucket } = budgets;
  if (bucket) {
    const wait = bucket.waitFor(cost);
    if (wait) return { retryAfterMs: wait, substatus: THROUGHPUT_BUCKET_EXCEEDED };
  }
  const floor = requestClass.low ? partition.capacity * LOW_PRIORITY_RESERVE : 0;
  const wait = partition.waitFor(cost, floor);
  if (wait) return { retryAfterMs: wait, substatus: RU_BUDGET_EXCEEDED };
  partition.spend(cost);
  if (bucket) bucket.spend(cost);
  return null;
}

/** Take (or give back, when negative) what a request cost beyond its estimate. */
function settle(budgets, delta) {
  if (!budgets || !delta) return;
  budgets.partition.settle(delta);
  if (budgets.bucket) budgets.bucket.settle(delta);
}

module.exports = { classOf, admit, settle, LOW_PRIORITY_RESERVE, RU_BUDGET_EXCEEDED, THROUGHPUT_BUCKET_EXCEEDED };
