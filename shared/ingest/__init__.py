"""Bulk writes: the queue message format, packing imports into messages, the bulk executor and its
batch policy, retries, the queue consumer and import progress. Uses `catalog` and `platform`."""
