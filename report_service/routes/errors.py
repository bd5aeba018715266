"""Exception handlers: every error answers the error shape
(``{"error": {"code", "message"}}``), never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from report_service.models import ServiceError
from report_service.routes.schemas import error_response

log = logging.getLogger("report_service.api")


async def service_error(request: Request, exc: ServiceError) -> JSONResponse:
    headers = {"Retry-After": "5"} if exc.status_code == 429 else None
    return error_response(exc.status_code, exc.code, exc.message, headers)


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors):
        return error_response(400, "malformed_json", "the request body is not valid JSON")
    first = errors[0] if errors else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    message = str(first.get("msg", "invalid request"))[:300]
    message = f"{where[:200]}: {message}" if where else message
    if request.url.path.startswith("/v1/external/"):
        # Snowflake's protocol: a body that is not a batch is a 400.
        return error_response(400, "malformed_batch", message)
    return error_response(422, "invalid_request", message)


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    codes = {404: "not_found", 405: "method_not_allowed"}
    return error_response(
        exc.status_code,
        codes.get(exc.status_code, "http_error"),
        str(exc.detail),
        exc.headers,  # 405: Allow
    )


async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error")
    return error_response(500, "internal_error", "internal error; see the service log")


def install_error_handlers(app: FastAPI) -> None:
    # The decorator form: it takes handlers of the narrower exception types.
    app.exception_handler(ServiceError)(service_error)
    app.exception_handler(RequestValidationError)(validation_error)
    app.exception_handler(StarletteHTTPException)(http_error)
    app.exception_handler(Exception)(unexpected)
