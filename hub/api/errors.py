"""Error responses: always {"detail": "<one readable message>", "errors": [...]}, so a CLI can print
`detail` and a script can inspect `errors`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from hub.errors import HubError


def _where(location: tuple[object, ...] | list[object]) -> str:
    return ".".join(str(part) for part in location if part != "body") or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(HubError)
    async def hub_error(_request: Request, error: HubError) -> JSONResponse:
        return JSONResponse({"detail": error.message, "errors": error.errors}, status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [f"{_where(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in error.errors()]
        return JSONResponse({"detail": "invalid request: " + "; ".join(errors), "errors": errors}, status_code=422)
