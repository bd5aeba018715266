# syntax=docker/dockerfile:1
#
# The report service (FastAPI + uvicorn): `analytics serve report-service`.
# Build from the repository root:
#   docker build -f infra/docker/report-service.Dockerfile -t report-service .
# Runs as UID 10001 with a read-only root filesystem; everything it writes goes
# to ANALYTICS_HOME (/data, a volume) and /tmp. Keys and credentials come from
# the environment at run time (REPORT_SERVICE_API_KEYS_SECRET in AWS), never
# from the image.

# uv, pinned: it installs the locked dependencies in the builder stage only.
FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

# --------------------------------------------------------------------------- builder
FROM python:3.11.14-slim-bookworm AS builder
COPY --from=uv /uv /usr/local/bin/uv
# Bytecode compiled once here (the runtime never writes .pyc); copies, not
# hard links, out of the cache mount; the interpreter of the base image.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Only the report service's extra and the backends it runs against in AWS
# (Snowflake, S3 and DynamoDB): no dbt, MetricFlow or Streamlit (pyproject.toml's
# extras; tests/infra/test_image_packages.py resolves them from the lock).
# Dependencies first: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --extra report-service --extra snowflake --extra aws --no-install-project
# The project itself, installed editable: the code finds the schedule file and
# other project files next to its packages (analytics_core.settings.PROJECT_ROOT).
# The report service and what starts it (`analytics`), nothing of the others.
COPY analytics_core ./analytics_core
COPY orchestration ./orchestration
COPY report_service ./report_service
COPY infra/docker/healthcheck.py ./healthcheck.py
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --extra report-service --extra snowflake --extra aws

# --------------------------------------------------------------------------- runtime
FROM python:3.11.14-slim-bookworm AS runtime
ARG ANALYTICS_GIT_COMMIT=""
LABEL org.opencontainers.image.title="analytics-platform report service" \
      org.opencontainers.image.revision="${ANALYTICS_GIT_COMMIT}"

# WeasyPrint (PDF reports) loads Pango, PangoFT2 and HarfBuzz's subsetter
# through ffi. The reports' typeface (Lato) comes with the Python packages
# (report_service/reports/fonts.py: every page and PDF embeds it); DejaVu only
# covers characters Lato lacks (scripts beyond Latin, Greek and Cyrillic).
# DL3008 (apt versions not pinned): the pinned base image fixes the Debian
# release; pinning package revisions breaks the build at every security update.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/app --create-home \
        --shell /usr/sbin/nologin app \
    && install -d -o 10001 -g 10001 -m 0750 /data

COPY --from=builder --chown=0:0 /app /app

ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/home/app \
    ANALYTICS_HOME=/data \
    ANALYTICS_GIT_COMMIT="${ANALYTICS_GIT_COMMIT}" \
    REPORT_SERVICE_HOST=0.0.0.0

WORKDIR /app
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/app/.venv/bin/python", "/app/healthcheck.py", "report-service"]

# uvicorn is the process: SIGTERM stops accepting, running jobs get
# REPORT_SERVICE_SHUTDOWN_GRACE_SECONDS, the rest stay queued.
ENTRYPOINT ["/app/.venv/bin/analytics", "serve", "report-service"]
