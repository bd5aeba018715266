# syntax=docker/dockerfile:1
#
# The dbt runner: a run-to-completion task (ECS Fargate, a CI job, the local
# scheduler) with the dbt project, its profiles and the `analytics` command.
# Build from the repository root:
#   docker build -f infra/docker/dbt-runner.Dockerfile -t dbt-runner .
# Default command: `analytics build` (freshness, dbt build, publish on the
# local target); the task picks the target with ANALYTICS_TARGET (prod in AWS,
# with SNOWFLAKE_* injected from Secrets Manager) or arguments, e.g.
#   docker run dbt-runner build --target prod --full-refresh
#   docker run dbt-runner build --target prod --alerts-after nightly_full_build
#   docker run --entrypoint dbt dbt-runner build --target prod
# Plain dbt works too: DBT_PROJECT_DIR and DBT_PROFILES_DIR point at the
# project and at profiles.yml.example (every value in it comes from the
# environment), and its target and logs go to ANALYTICS_HOME (/data).
# Runs as UID 10001 with a read-only root filesystem.

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
# The build's extra (dbt on DuckDB and Snowflake, the generator, the
# scheduler), questions (MetricFlow over the semantic layer: the metric alerts
# evaluated after a build) and AWS (build events and CI artifacts on S3): no
# FastAPI, WeasyPrint or Streamlit.
# Dependencies first: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --extra dbt --extra questions --extra snowflake --extra aws --no-install-project
# The project itself, installed editable: `analytics build` runs dbt on the
# project next to its packages (analytics_core.settings.PROJECT_ROOT).
COPY analytics_core ./analytics_core
COPY orchestration ./orchestration
# The report catalog only: the scheduler (`analytics serve scheduler`, the
# compose stack) checks the schedule's report jobs against it; rendering
# (the report-service extra) is the report service's.
COPY report_service ./report_service
# The question engine's semantic layer: metric alerts (`--alerts-after`).
COPY questions ./questions
COPY dbt_project ./dbt_project
COPY dbt_project.yml profiles.yml.example ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --extra dbt --extra questions --extra snowflake --extra aws

# --------------------------------------------------------------------------- runtime
FROM python:3.11.14-slim-bookworm AS runtime
ARG ANALYTICS_GIT_COMMIT=""
LABEL org.opencontainers.image.title="analytics-platform dbt runner" \
      org.opencontainers.image.revision="${ANALYTICS_GIT_COMMIT}"

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/app --create-home \
        --shell /usr/sbin/nologin app \
    && install -d -o 10001 -g 10001 -m 0750 /data

COPY --from=builder --chown=0:0 /app /app
# dbt reads profiles.yml from DBT_PROFILES_DIR: the example, as it is.
COPY --chown=0:0 profiles.yml.example /app/profiles/profiles.yml

# ANALYTICS_GIT_COMMIT: the run-results hook records it (an image has no .git).
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/home/app \
    ANALYTICS_HOME=/data \
    ANALYTICS_GIT_COMMIT="${ANALYTICS_GIT_COMMIT}" \
    DBT_PROJECT_DIR=/app \
    DBT_PROFILES_DIR=/app/profiles \
    DBT_TARGET_PATH=/data/dbt/target \
    DBT_LOG_PATH=/data/dbt/logs \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false

WORKDIR /app
VOLUME ["/data"]
USER 10001:10001

# A task that runs to completion and serves nothing: there is no endpoint to
# probe, and its exit code is its health.
HEALTHCHECK NONE

ENTRYPOINT ["/app/.venv/bin/analytics"]
CMD ["build"]
