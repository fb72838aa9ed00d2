"""API latency is labelled by route template: raw paths (ids, scans of random paths) never become series."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Histogram
from starlette.routing import Route

from hub.app import create_app
from hub.observability.routes import UNMATCHED, RequestTimer, method_label, route_label
from hub.settings import HubSettings

NAME = "fleetcast_hub_http_request_duration_seconds"


def timed_app() -> tuple[FastAPI, CollectorRegistry]:
    registry = CollectorRegistry()
    histogram = Histogram(NAME, "latency", ["method", "route", "status"], registry=registry)
    app = FastAPI()
    router = APIRouter(prefix="/api/v1")

    @router.get("/applications/{application_id}")
    async def get_application(application_id: str) -> dict[str, str]:
        return {"id": application_id}

    @router.get("/files/{path:path}")
    async def get_file(path: str) -> dict[str, str]:
        return {"path": path}

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    app.include_router(router)
    app.add_middleware(RequestTimer, histogram=histogram)
    return app, registry


def count(registry: CollectorRegistry, method: str, route: str, status: str) -> float:
    labels = {"method": method, "route": route, "status": status}
    return registry.get_sample_value(f"{NAME}_count", labels) or 0.0


def series(registry: CollectorRegistry) -> set[tuple[str, str, str]]:
    return {
        (s.labels["method"], s.labels["route"], s.labels["status"])
        for family in registry.collect()
        for s in family.samples
        if s.name == f"{NAME}_count"
    }


async def requests(app: FastAPI, *calls: tuple[str, str]) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        for method, path in calls:
            await client.request(method, path)


def test_route_label_is_the_template_or_unmatched() -> None:
    assert route_label({}) == UNMATCHED
    assert route_label({"route": Route("/a/{name:path}", endpoint=lambda: None)}) == "/a/{name}"
    assert route_label({"route": object()}) == UNMATCHED
    assert (method_label("get"), method_label("BREW")) == ("GET", "other")


async def test_requests_are_timed_by_template_method_and_status() -> None:
    app, registry = timed_app()
    await requests(
        app,
        ("GET", "/api/v1/applications/web"),
        ("GET", "/api/v1/applications/shop"),
        ("DELETE", "/api/v1/applications/web"),  # matched partly: 405, still its route
        ("GET", "/api/v1/files/a/b/c"),
        ("GET", "/no/such/path"),
        ("GET", "/api/v1/boom"),
    )
    assert count(registry, "GET", "/api/v1/applications/{application_id}", "200") == 2
    assert count(registry, "DELETE", "/api/v1/applications/{application_id}", "405") == 1
    assert count(registry, "GET", "/api/v1/files/{path}", "200") == 1
    assert count(registry, "GET", UNMATCHED, "404") == 1
    # An exception escaping the app is answered 500 further out, and counted as such here.
    assert count(registry, "GET", "/api/v1/boom", "500") == 1


@settings(max_examples=25)
@given(ids=st.lists(st.text("abcdefghijklmnopqrstuvwxyz0123456789-._~", min_size=1), min_size=1, max_size=20))
async def test_raw_paths_never_become_series(ids: list[str]) -> None:
    app, registry = timed_app()
    calls = [("GET", f"/api/v1/applications/{i}") for i in ids] + [("GET", f"/x/{i}") for i in ids]
    await requests(app, *calls)
    routes = {route for _method, route, _status in series(registry)}
    assert routes <= {"/api/v1/applications/{application_id}", UNMATCHED}


async def test_the_hub_app_times_its_requests() -> None:
    registry = CollectorRegistry()
    app = create_app(HubSettings(), registry=registry)  # no lifespan: routes that need no store
    await requests(app, ("GET", "/healthz"), ("GET", "/api/v1/nothing-here/123"))
    assert count(registry, "GET", "/healthz", "200") == 1
    assert count(registry, "GET", UNMATCHED, "404") == 1
