"""Settings, the Cosmos DB and queue clients, errors and request-charge accounting. The bottom
layer: it imports nothing else from `shared`."""
