"""The product domain (models, JSON Patch rules) and its store in Cosmos DB. Uses `platform`."""
