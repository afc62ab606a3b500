"""The product catalog's code, in four layers, each using only the layers below it:
`api` (HTTP edge) -> `ingest` (bulk writes) -> `catalog` (domain and store) -> `platform`."""
