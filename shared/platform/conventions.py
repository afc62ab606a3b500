"""The OpenTelemetry semantic-convention names (and values) the service records, in one place.

Each is the value of a constant of `opentelemetry-semantic-conventions`, and a unit test checks
every one against that package. They are spelled out here rather than imported because with
telemetry off no OpenTelemetry module is loaded, the conventions' package included. Where no
convention exists (a storage queue message's dequeue count, the import's own figures), the name
is the service's own, under `catalog.`, where it is recorded.
"""

from __future__ import annotations

from typing import Final

# Functions (FaaS) spans.
FAAS_NAME: Final = "faas.name"
FAAS_TRIGGER: Final = "faas.trigger"
FAAS_INVOCATION_ID: Final = "faas.invocation_id"
FAAS_TRIGGER_HTTP: Final = "http"  # FaasTriggerValues.HTTP
FAAS_TRIGGER_PUBSUB: Final = "pubsub"  # FaasTriggerValues.PUBSUB

# HTTP server spans.
HTTP_REQUEST_METHOD: Final = "http.request.method"
HTTP_ROUTE: Final = "http.route"
HTTP_RESPONSE_STATUS_CODE: Final = "http.response.status_code"

# Messaging consumer spans. Azure Storage queues have no well-known `messaging.system` value.
MESSAGING_SYSTEM: Final = "messaging.system"
MESSAGING_OPERATION_TYPE: Final = "messaging.operation.type"
MESSAGING_OPERATION_PROCESS: Final = "process"  # MessagingOperationTypeValues.PROCESS
MESSAGING_DESTINATION_NAME: Final = "messaging.destination.name"
MESSAGING_MESSAGE_ID: Final = "messaging.message.id"

# Cosmos DB operations and their request charge.
DB_SYSTEM_NAME: Final = "db.system.name"
DB_SYSTEM_AZURE_COSMOSDB: Final = "azure.cosmosdb"  # DbSystemNameValues.AZURE_COSMOSDB
DB_NAMESPACE: Final = "db.namespace"
DB_COLLECTION_NAME: Final = "db.collection.name"
DB_OPERATION_NAME: Final = "db.operation.name"
DB_RESPONSE_STATUS_CODE: Final = "db.response.status_code"
ERROR_TYPE: Final = "error.type"
AZURE_COSMOSDB_OPERATION_REQUEST_CHARGE: Final = "azure.cosmosdb.operation.request_charge"
AZURE_COSMOSDB_CLIENT_OPERATION_REQUEST_CHARGE: Final = (
    "azure.cosmosdb.client.operation.request_charge"  # a metric
)

NAMES: Final = frozenset(
    {
        FAAS_NAME, FAAS_TRIGGER, FAAS_INVOCATION_ID, HTTP_REQUEST_METHOD, HTTP_ROUTE,
        HTTP_RESPONSE_STATUS_CODE, MESSAGING_SYSTEM, MESSAGING_OPERATION_TYPE,
        MESSAGING_DESTINATION_NAME, MESSAGING_MESSAGE_ID, DB_SYSTEM_NAME, DB_NAMESPACE,
        DB_COLLECTION_NAME, DB_OPERATION_NAME, DB_RESPONSE_STATUS_CODE, ERROR_TYPE,
        AZURE_COSMOSDB_OPERATION_REQUEST_CHARGE, AZURE_COSMOSDB_CLIENT_OPERATION_REQUEST_CHARGE,
    }
)  # fmt: skip
VALUES: Final = {
    FAAS_TRIGGER: frozenset({FAAS_TRIGGER_HTTP, FAAS_TRIGGER_PUBSUB}),
    MESSAGING_OPERATION_TYPE: frozenset({MESSAGING_OPERATION_PROCESS}),
    DB_SYSTEM_NAME: frozenset({DB_SYSTEM_AZURE_COSMOSDB}),
}
