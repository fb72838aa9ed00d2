"""Error responses: always {"detail": "<one readable message>", "errors": [...]}, so a CLI can print
`detail` and a script can inspect `errors`: the hub's own errors, FastAPI's validation errors, and the
framework's (unknown path, method not allowed, a body that cannot be read) alike.

Every operation declares the ErrorOut body for 422 (routers pass ERROR_RESPONSES; `install` also rewrites
FastAPI's own HTTPValidationError declaration on any route that forgot), so the OpenAPI document says
what the API answers; tests/integration/hub/test_openapi_fuzz.py holds it to that."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from hub.errors import HubError


class ErrorOut(BaseModel):
    """Every error the API answers with."""

    detail: str = Field(description="One readable message that names the problem and, where it can, the fix.")
    errors: list[str] = Field(description="Each problem on its own, for scripts.")


_MEANINGS = {
    401: "No bearer token, or one the hub does not accept (unknown, revoked or expired)",
    403: "The token lacks the role this needs; the message names the role and the token's roles",
    404: "Not found",
    409: "Conflicts with the current state",
    422: "Invalid input; the message names the field or document",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, all with the ErrorOut body."""
    return {status: {"model": ErrorOut, "description": _MEANINGS[status]} for status in statuses}


# What any authenticated route may answer; routers pass it as `APIRouter(responses=ERROR_RESPONSES)`.
ERROR_RESPONSES = error_responses(401, 403, 404, 409, 422)


def _where(location: tuple[object, ...] | list[object]) -> str:
    return ".".join(str(part) for part in location if part != "body") or "body"


def _error(
    status: int, errors: list[str], detail: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"detail": detail or "; ".join(errors), "errors": errors}, status_code=status, headers=headers)


_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def allowed_methods(document: dict[str, Any], path: str) -> list[str]:
    """The methods the OpenAPI document declares at this concrete path (a 405's Allow header): what a
    client reading the document expects, whatever the framework's routing looks like inside."""
    methods: set[str] = set()
    paths: dict[str, Any] = document.get("paths", {})
    # A concrete path is matched before the templates it also fits, as OpenAPI says
    # (/policies/baseline is not /policies/{name}).
    candidates = {path: paths[path]} if path in paths else paths
    for template, operations in candidates.items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods |= {method.upper() for method in operations if method in _HTTP_METHODS}
    return sorted(methods)


def declare_error_bodies(document: dict[str, Any]) -> None:
    """Replace FastAPI's default 422 body (HTTPValidationError, which the API never answers with) by
    ErrorOut on every route that did not declare its errors itself."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    default_422 = "#/components/schemas/HTTPValidationError"
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            response = operation.get("responses", {}).get("422")
            content = (response or {}).get("content", {}).get("application/json", {})
            if content.get("schema", {}).get("$ref") == default_422:
                content["schema"] = {"$ref": "#/components/schemas/ErrorOut"}
                response["description"] = _MEANINGS[422]
                schemas.setdefault("ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}"))
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)


def install(app: FastAPI) -> None:
    @app.exception_handler(HubError)
    async def hub_error(_request: Request, error: HubError) -> JSONResponse:
        return _error(error.status, error.errors, error.message, error.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [f"{_where(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in error.errors()]
        return _error(422, errors, "invalid request: " + "; ".join(errors))

    @app.exception_handler(HTTPException)
    async def framework_error(request: Request, error: HTTPException) -> JSONResponse:
        headers = dict(error.headers or {})
        if error.status_code == 400:
            # FastAPI's answer to a body it cannot even decode (not UTF-8, say): invalid input like any
            # other, so the status every route declares for it.
            return _error(422, [f"body: cannot be read as JSON ({error.detail})"], headers=headers)
        if error.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(app.openapi(), request.url.path))
            message = f"{request.method} is not allowed on {request.url.path}; it takes {headers['Allow']}"
            return _error(405, [message], headers=headers)
        if error.status_code == 404:
            return _error(404, [f"no such path: {request.url.path} (the API is under /api/v1; see /docs)"])
        return _error(error.status_code, [str(error.detail)], headers=headers)

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            declare_error_bodies(generate())  # generate() keeps the document in app.openapi_schema
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]
