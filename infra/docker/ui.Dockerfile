# syntax=docker/dockerfile:1
#
# The Streamlit UI: `analytics serve ui`, which replaces itself with Streamlit
# serving ui/app.py, so Streamlit is the container's process and gets SIGTERM.
# Build from the repository root:
#   docker build -f infra/docker/ui.Dockerfile -t ui .
# Runs as UID 10001 with a read-only root filesystem. The Ask and Metrics pages
# parse the dbt project's semantic layer (into /tmp), so the project is in the
# image. The report service's key comes from REPORT_SERVICE_API_KEY at run time
# or, locally, from the key file on the shared ANALYTICS_HOME volume.

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
# Only the UI's extra (Streamlit, the question engine and the dbt parse it
# needs for the semantic layer) and the Snowflake connector it reads the
# warehouse and asks Cortex Analyst with in AWS: no FastAPI, WeasyPrint or
# chart rendering (the UI reaches the report service over HTTP).
# Dependencies first: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --extra ui --extra snowflake --no-install-project
# The project itself, installed editable: the UI finds ui/app.py and the dbt
# project next to its packages (analytics_core.settings.PROJECT_ROOT).
COPY analytics_core ./analytics_core
COPY orchestration ./orchestration
COPY questions ./questions
COPY ui ./ui
COPY dbt_project ./dbt_project
COPY dbt_project.yml profiles.yml.example ./
COPY infra/docker/healthcheck.py ./healthcheck.py
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --extra ui --extra snowflake

# --------------------------------------------------------------------------- runtime
FROM python:3.11.14-slim-bookworm AS runtime
ARG ANALYTICS_GIT_COMMIT=""
LABEL org.opencontainers.image.title="analytics-platform UI" \
      org.opencontainers.image.revision="${ANALYTICS_GIT_COMMIT}"

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/app --create-home \
        --shell /usr/sbin/nologin app \
    && install -d -o 10001 -g 10001 -m 0750 /data

COPY --from=builder --chown=0:0 /app /app

ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/home/app \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    ANALYTICS_HOME=/data \
    ANALYTICS_GIT_COMMIT="${ANALYTICS_GIT_COMMIT}" \
    UI_HOST=0.0.0.0

WORKDIR /app
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/app/.venv/bin/python", "/app/healthcheck.py", "ui"]

ENTRYPOINT ["/app/.venv/bin/analytics", "serve", "ui"]
