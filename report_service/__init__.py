"""The report service: reports rendered from the dbt-built reporting views.

Layout:

- :mod:`report_service.models` - jobs, artifacts and the errors the API shows;
- :mod:`report_service.stores` - the durable job store (SQLite locally,
  DynamoDB in AWS);
- :mod:`report_service.artifacts` - where rendered files go (local or S3);
- :mod:`report_service.warehouse` - the warehouse client the settings ask
  for (the shared clients of :mod:`analytics_core.warehouse`) and the
  readiness check;
- :mod:`report_service.reports` - the report catalog, queries, templates and
  renderers;
- :mod:`report_service.worker` - the bounded pool that renders jobs;
- :mod:`report_service.app` - the FastAPI application.
"""
