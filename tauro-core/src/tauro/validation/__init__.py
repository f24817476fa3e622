"""Validation of nodes and pipelines, one module per phase; ``StreamingValidator`` runs them."""
