"""The cold-start floor: one route that does a bare SDK read_item, nothing else."""

from __future__ import annotations

import json
import os

import azure.functions as func
from azure.cosmos.aio import CosmosClient

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
_client: CosmosClient | None = None


@app.route(route="products/{categoryId}/{id}", methods=["GET"])
async def read_product(req: func.HttpRequest) -> func.HttpResponse:
    global _client
    if _client is None:
        _client = CosmosClient(
            os.environ["COSMOS_ENDPOINT"], os.environ["COSMOS_KEY"], connection_verify=False
        )
    database = _client.get_database_client(os.environ.get("COSMOS_DATABASE", "cosmicworks"))
    container = database.get_container_client(os.environ.get("COSMOS_CONTAINER", "products"))
    item = await container.read_item(req.route_params["id"], req.route_params["categoryId"])
    return func.HttpResponse(json.dumps(item), mimetype="application/json")
