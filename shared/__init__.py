"""Shared pieces of the product catalog function app: one module per job."""
