"use strict";
// The offers API (query /offers, read and replace /offers/{id}) and throughput set where the
// SDKs set it: x-ms-offer-throughput on database and container creation.
const { readJson } = require("./http");

const OFFERS_PATH = /^\/offers(?:\/([^/]+))?$/;
const DATABASES_PATH = /^\/dbs$/;
const COLLECTIONS_PATH = /^\/dbs\/([^/]+)\/colls$/;
const DATABASE_PATH = /^\/dbs\/([^/]+)$/;
const COLLECTION_PATH = /^\/dbs\/([^/]+)\/colls\/([^/]+)$/;

function requestedThroughput(req) {
  const value = Number(req.headers["x-ms-offer-throughput"]);
  return Number.isInteger(value) && value > 0 ? value : null;
}

function createOffers(throughput) {
  function list(link) {
    const offers = throughput.query(link);
    return [200, { _rid: "", Offers: offers, _count: offers.length }];
  }

  return {
    /** Answers /offers requests; null for any other path. */
    async route(req, pathname) {
      const match = OFFERS_PATH.exec(pathname);
      if (!match) return null;
      const id = match[1];
      if (req.method === "PUT" && id) return throughput.replace(id, await readJson(req));
      if (req.method === "GET" && id) {
        const [offer] = throughput.query().filter(candidate => candidate.id === id);
        return offer ? [200, offer] : [404, { code: "NotFound", message: "Offer not found." }];
      }
      if (req.method === "POST") {
        const spec = (await readJson(req)) || {};
        const link = (spec.parameters || []).find(p => p.name === "@link");
        return list(link ? link.value : undefined);
      }
      return list(undefined);
    },
    /** After the upstream created a database or container, record the offer it asked for. */
    created(req, pathname, status, body) {
      const ruPerSecond = requestedThroughput(req);
      if (status !== 201 || !ruPerSecond || !body) return;
      if (DATABASES_PATH.test(pathname)) throughput.provision(body.id, body, ruPerSecond);
      const collections = COLLECTIONS_PATH.exec(pathname);
      if (collections) {
        throughput.provision(`${decodeURIComponent(collections[1])}/${body.id}`, body, ruPerSecond);
      }
    },
    deleted(pathname, status) {
      if (status >= 300) return;
      const collection = COLLECTION_PATH.exec(pathname);
      if (collection) throughput.forget(`${decodeURIComponent(collection[1])}/${decodeURIComponent(collection[2])}`);
      const database = DATABASE_PATH.exec(pathname);
      if (database) throughput.forget(decodeURIComponent(database[1]));
    }
  };
}

module.exports = { createOffers };
