"""Bulk writes: the queue message format, packing imports into messages, the batch writer,
retries, the queue consumer and import progress. Uses `catalog` and `platform`."""
