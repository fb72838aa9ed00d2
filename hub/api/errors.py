"""Error responses: always {"detail": "<one readable message>", "errors": [...]}, so a CLI can print
`detail` and a script can inspect `errors`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

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


def install(app: FastAPI) -> None:
    @app.exception_handler(HubError)
    async def hub_error(_request: Request, error: HubError) -> JSONResponse:
        return JSONResponse(
            {"detail": error.message, "errors": error.errors}, status_code=error.status, headers=error.headers
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [f"{_where(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in error.errors()]
        return JSONResponse({"detail": "invalid request: " + "; ".join(errors), "errors": errors}, status_code=422)
