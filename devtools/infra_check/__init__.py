"""Offline checks of the deployment: the Bicep templates under infra/, the app settings they set
and the package `func`/azd would upload.

The Bicep compiler cannot be installed here, so the templates are parsed with the Bicep grammar
(tree-sitter-bicep) and their resources compared with the REST models that the Azure management
SDKs carry for each resource type and api-version. `python -m devtools.infra_check` runs every
check and exits 1 on any finding; `make lint` runs it.
"""
