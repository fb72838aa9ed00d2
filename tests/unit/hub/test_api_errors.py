"""Every error the API answers is the declared ErrorOut shape, and the OpenAPI document declares it:
the hub's own errors, FastAPI's validation errors and the framework's alike (an app of its own here,
in process; tests/integration/hub/test_openapi_fuzz.py holds the real hub to it)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from hub.api.errors import ERROR_RESPONSES, install
from hub.errors import Conflict

pytestmark = pytest.mark.unit


class Thing(BaseModel):
    name: str
    size: int


def make_app() -> FastAPI:
    app = FastAPI()
    install(app)
    declared = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
    # A router that forgot to declare its errors: its 422 must still be the ErrorOut the API answers.
    forgetful = APIRouter(prefix="/api/v1")

    @declared.put("/things/{name}")
    async def put_thing(name: str, thing: Thing) -> Thing:
        if name == "taken":
            raise Conflict("thing taken exists already")
        return thing

    @declared.get("/things/{name}")
    async def get_thing(name: str) -> Thing:
        return Thing(name=name, size=1)

    @forgetful.post("/others")
    async def post_other(thing: Thing) -> Thing:
        return thing

    app.include_router(declared)
    app.include_router(forgetful)
    return app


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=make_app()), base_url="http://hub")


def error_shape(body: Any) -> bool:
    return set(body) == {"detail", "errors"} and isinstance(body["detail"], str) and bool(body["errors"])


async def test_every_error_has_the_one_shape() -> None:
    async with client() as api:
        conflict = await api.put("/api/v1/things/taken", json={"name": "a", "size": 1})
        invalid = await api.put("/api/v1/things/a", json={"name": "a", "size": "big"})
        unknown = await api.get("/nowhere")
    assert conflict.status_code == 409 and conflict.json()["detail"] == "thing taken exists already"
    assert invalid.status_code == 422 and error_shape(invalid.json())
    assert invalid.json()["errors"] == ["size: Input should be a valid integer, unable to parse string as an integer"]
    assert unknown.status_code == 404 and error_shape(unknown.json()) and "/nowhere" in unknown.json()["detail"]
    for response in (conflict, invalid, unknown):
        assert error_shape(response.json())


async def test_a_body_that_is_not_even_text_is_a_422_like_any_invalid_input() -> None:
    # Not UTF-8: FastAPI itself answers 400 "There was an error parsing the body".
    async with client() as api:
        response = await api.put(
            "/api/v1/things/a", content=b'{"name": "\xff"}', headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 422 and error_shape(response.json())
    assert response.json()["detail"].startswith("body: cannot be read as JSON")


async def test_a_method_not_allowed_lists_every_method_of_the_path() -> None:
    async with client() as api:
        response = await api.delete("/api/v1/things/a")
    assert response.status_code == 405 and error_shape(response.json())
    assert response.headers["Allow"] == "GET, PUT"
    assert response.json()["detail"] == "DELETE is not allowed on /api/v1/things/a; it takes GET, PUT"


def test_the_document_declares_errorout_for_every_422_and_no_other_error_body() -> None:
    document = make_app().openapi()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation["responses"]["422"]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/ErrorOut"}, (method, path)
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert "ErrorOut" in document["components"]["schemas"]
    # Built once: the same document every time.
    app = make_app()
    assert app.openapi() is app.openapi()


def test_allow_lists_a_concrete_paths_methods_before_a_templates() -> None:
    from hub.api.errors import allowed_methods

    document = {"paths": {"/p/baseline": {"get": {}}, "/p/{name}": {"get": {}, "put": {}, "delete": {}}}}
    assert allowed_methods(document, "/p/baseline") == ["GET"]
    assert allowed_methods(document, "/p/web") == ["DELETE", "GET", "PUT"]
