"""Service requests: the catalog, approvals and fulfilment tasks."""
