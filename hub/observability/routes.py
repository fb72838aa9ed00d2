"""API latency by route template, measured by a pure ASGI middleware around the whole app.

The label is the matched route's template (`/api/v1/applications/{application_id}`), never the raw
path: raw paths carry ids and whatever a client sends, an unbounded number of series. A request no
route matched is labelled `<unmatched>`, so a scan of random paths costs one series per method and
status. Methods outside HTTP's own are folded into `other` for the same reason.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "<unmatched>"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})


def route_label(scope: MutableMapping[str, Any]) -> str:
    """The template of the route the router matched (Starlette and FastAPI put it in scope["route"]),
    or UNMATCHED."""
    route = scope.get("route")
    if route is None:
        return UNMATCHED
    # `path_format` drops converters (`{name:path}` -> `{name}`); Mounts and plain routes have `path`.
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) and template else UNMATCHED


def method_label(method: str) -> str:
    upper = method.upper()
    return upper if upper in _METHODS else "other"


class RequestTimer:
    """Observes every HTTP request's duration, from its start to the end of the response body, in
    `histogram` labelled (method, route, status). An exception escaping the app counts as 500."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # The router wrote the matched route into this same scope on its way down.
            self.histogram.labels(
                method=method_label(str(scope.get("method", ""))), route=route_label(scope), status=str(status)
            ).observe(time.perf_counter() - started)
