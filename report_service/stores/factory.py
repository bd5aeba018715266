"""The job store the settings name (the only module that knows every store)."""

from __future__ import annotations

from analytics_core.settings import ReportServiceSettings, Settings
from report_service.stores.base import JobStore


def open_job_store(service: ReportServiceSettings, settings: Settings) -> JobStore:
    """The store the settings name: SQLite under ``ANALYTICS_HOME`` or DynamoDB."""
    if service.job_store == "dynamodb":
        # Imported only when used: boto3 is slow to import.
        from report_service.stores.dynamodb import DynamoJobStore

        return DynamoJobStore.from_settings(service)
    from report_service.stores.sqlite import SQLiteJobStore

    return SQLiteJobStore(settings.home_dir / "report_service" / "jobs.sqlite3")
