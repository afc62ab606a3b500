"""`catalog-import FILE` (or `python -m catalog_import FILE`): load a JSON array or NDJSON file
of products into the catalog through `POST /api/imports`, and watch it being written."""
