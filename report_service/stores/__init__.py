"""Durable job stores: :class:`JobStore` is the contract, SQLite and DynamoDB implement it."""

from report_service.stores.base import JobStore, open_job_store

__all__ = ["JobStore", "open_job_store"]
