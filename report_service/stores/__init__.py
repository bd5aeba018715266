"""Durable job stores: :class:`JobStore` is the contract (``base``), SQLite
and DynamoDB implement it (``sqlite``, ``dynamodb``) with one way of writing
values as text (``codec``); ``factory`` opens the one the settings name."""

from report_service.stores.base import JobStore
from report_service.stores.factory import open_job_store

__all__ = ["JobStore", "open_job_store"]
