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
- :mod:`report_service.service` - what the routes share (settings, stores,
  warehouse, workers, metrics) and how a request becomes a job;
- :mod:`report_service.routes` - the API's routers by concern (reports, jobs,
  external functions, operations) and their dependencies;
- :mod:`report_service.middleware` - the body limit and the request context;
- :mod:`report_service.app` - assembles the FastAPI application.
"""
