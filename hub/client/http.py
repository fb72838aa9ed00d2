"""A small client for the hub API v1. Every error it raises says what to do about it.

Cheap to import (every `fleetcast` command's parser imports it, `--help` included): httpx and the
settings (pydantic) are imported when a client is made, not here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from hub.client.config import ClientSettings

JSON = dict[str, Any]


class HubError(RuntimeError):
    """The hub answered with an error (status >= 400) or could not be reached (status None)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


def _problem(response: httpx.Response) -> str:
    """FastAPI puts the reason in `detail`: a string, or a list of validation errors."""
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        return response.text or response.reason_phrase
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                where = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                parts.append(f"{where}: {item.get('msg', item)}" if where else str(item.get("msg", item)))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return str(detail)


class HubClient:
    def __init__(self, settings: ClientSettings, transport: httpx.BaseTransport | None = None) -> None:
        import httpx

        self.base = settings.hub_url.rstrip("/")
        # No token: the hub answers 401 with what to do, which the user then sees.
        headers = {"Authorization": f"Bearer {settings.token}"} if settings.token else {}
        self._http = httpx.Client(base_url=self.base, timeout=settings.timeout, transport=transport, headers=headers)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        import httpx

        try:
            response = self._http.request(method, f"/api/v1{path}", **kwargs)
        except httpx.HTTPError as error:
            raise HubError(
                f"cannot reach the hub at {self.base} ({error or type(error).__name__}); is it running? "
                "Set FLEETCAST_HUB_URL to its address (`fleetcast dev up` prints it)."
            ) from error
        if response.status_code >= 400:
            raise HubError(f"{response.status_code}: {_problem(response)}", response.status_code)
        return response

    def _call(self, method: str, path: str, **kwargs: Any) -> JSON:
        response = self._send(method, path, **kwargs)
        body: JSON = response.json() if response.content else {}
        return body

    @staticmethod
    def _params(**values: str | None) -> dict[str, str]:
        return {key: value for key, value in values.items() if value}

    # clusters
    def list_clusters(self, selector: str | None = None) -> list[JSON]:
        items: list[JSON] = self._call("GET", "/clusters", params=self._params(selector=selector))["items"]
        return items

    def get_cluster(self, cluster: str) -> JSON:
        return self._call("GET", f"/clusters/{cluster}")

    def register_cluster(self, cluster: str, labels: dict[str, str]) -> JSON:
        return self._call("POST", "/clusters", json={"id": cluster, "labels": labels})

    def set_cluster_labels(self, cluster: str, labels: dict[str, str]) -> JSON:
        return self._call("PUT", f"/clusters/{cluster}/labels", json={"labels": labels})

    def deregister_cluster(self, cluster: str) -> JSON:
        return self._call("DELETE", f"/clusters/{cluster}")

    # applications
    def apply_application(
        self,
        application: str,
        manifests: str | None,
        selector: str,
        strategy: str | None = None,
        *,
        no_strategy: bool = False,
        drift: JSON | None = None,
        source: JSON | None = None,
        depends_on: list[str] | None = None,
    ) -> tuple[bool, JSON]:
        """Returns (created a new release, application). `strategy` sets the rollout strategy; `no_strategy`
        removes it (every cluster at once); neither leaves it as it is. `drift` replaces the drift policy
        (None: keep it), `depends_on` the applications it waits for on each cluster (None: keep them).
        `source`: chart, template, values... fields (then `manifests` may be None)."""
        body: JSON = {"selector": selector, **(source or {})}
        if manifests is not None:
            body["manifests"] = manifests
        if drift is not None:
            body["drift"] = drift
        if depends_on is not None:
            body["depends_on"] = depends_on
        if no_strategy:
            body["strategy"] = None
        elif strategy is not None:
            body["strategy"] = strategy
        response = self._send("PUT", f"/applications/{application}", json=body)
        result: JSON = response.json()
        return response.status_code == 201, result

    def rendered_manifests(self, application: str, cluster: str, revision: int | None = None) -> JSON:
        params: dict[str, Any] = {"cluster": cluster}
        if revision is not None:
            params["revision"] = revision
        return self._call("GET", f"/applications/{application}/manifests", params=params)

    def update_application(self, application: str, **fields: Any) -> tuple[bool, JSON]:
        """A PUT of only `fields` (image_overrides, auto_update, ...): the rest is kept."""
        response = self._send("PUT", f"/applications/{application}", json=fields)
        result: JSON = response.json()
        return response.status_code == 201, result

    def drift(self, params: dict[str, Any]) -> JSON:
        return self._call("GET", "/drift", params={k: v for k, v in params.items() if v is not None})

    def kube_events(self, application: str, params: dict[str, Any]) -> JSON:
        query = {k: v for k, v in params.items() if v is not None}
        return self._call("GET", f"/applications/{application}/events", params=query)

    def describe(self, application: str, cluster: str) -> JSON:
        return self._call("GET", f"/applications/{application}/clusters/{cluster}")

    def diff_application(
        self,
        application: str,
        manifests: str,
        selector: str | None = None,
        *,
        strategy: str | None = None,
        no_strategy: bool = False,
        live: bool = False,
        timeout_seconds: float = 10.0,
    ) -> JSON:
        """What a PUT with these would change, per cluster (nothing is applied). `selector` None: the
        application's current one."""
        body: JSON = {"manifests": manifests, "live": live, "timeout_seconds": timeout_seconds}
        if selector is not None:
            body["selector"] = selector
        if no_strategy:
            body["strategy"] = None
        elif strategy is not None:
            body["strategy"] = strategy
        # The hub waits up to timeout_seconds for the clusters before it answers.
        wait = self._http.timeout.read or 30.0
        return self._call("POST", f"/applications/{application}/diff", json=body, timeout=wait + timeout_seconds)

    def list_applications(self) -> list[JSON]:
        items: list[JSON] = self._call("GET", "/applications")["items"]
        return items

    def get_application(self, application: str) -> JSON:
        return self._call("GET", f"/applications/{application}")

    def releases(self, application: str) -> list[JSON]:
        items: list[JSON] = self._call("GET", f"/applications/{application}/releases")["items"]
        return items

    def delete_application(self, application: str) -> JSON:
        return self._call("DELETE", f"/applications/{application}")

    # fleet versions
    def versions(self, selector: str | None = None, application: str | None = None) -> list[JSON]:
        params = self._params(selector=selector, application=application)
        items: list[JSON] = self._call("GET", "/versions", params=params)["items"]
        return items

    def images(self, name: str | None = None, selector: str | None = None) -> list[JSON]:
        items: list[JSON] = self._call("GET", "/images", params=self._params(name=name, selector=selector))["items"]
        return items

    def image_versions(self, image: str, params: dict[str, Any]) -> JSON:
        """One page of `GET /images/{image}/versions`; `params` without value are left out."""
        query = {key: value for key, value in params.items() if value not in (None, "", [])}
        return self._call("GET", f"/images/{image}/versions", params=query)

    # access: tokens, who am I, the audit log
    def create_token(self, name: str, roles: list[str], expires_in_seconds: int | None = None) -> JSON:
        body = {"name": name, "roles": roles, "expires_in_seconds": expires_in_seconds}
        return self._call("POST", "/tokens", json=body)

    def list_tokens(self) -> list[JSON]:
        items: list[JSON] = self._call("GET", "/tokens")["items"]
        return items

    def revoke_token(self, token_id: str) -> JSON:
        return self._call("DELETE", f"/tokens/{token_id}")

    def whoami(self) -> JSON:
        return self._call("GET", "/whoami")

    def audit(self, **filters: str | None) -> JSON:
        """A page of the audit log, newest first: {"items": [...], "next_before": id or None}."""
        return self._call("GET", "/audit", params=self._params(**filters))

    # rollout strategies
    def put_strategy(self, name: str, spec: JSON) -> tuple[bool, JSON]:
        """Returns (made a new version, strategy)."""
        response = self._send("PUT", f"/strategies/{name}", json=spec)
        result: JSON = response.json()
        return response.status_code == 201, result

    def list_strategies(self) -> list[JSON]:
        items: list[JSON] = self._call("GET", "/strategies")["items"]
        return items

    def get_strategy(self, name: str) -> JSON:
        return self._call("GET", f"/strategies/{name}")

    def strategy_versions(self, name: str) -> list[JSON]:
        items: list[JSON] = self._call("GET", f"/strategies/{name}/versions")["items"]
        return items

    def delete_strategy(self, name: str) -> JSON:
        return self._call("DELETE", f"/strategies/{name}")

    # rollouts
    def rollout(self, application: str, run: int | None = None) -> JSON:
        params = {"run": str(run)} if run is not None else {}
        return self._call("GET", f"/applications/{application}/rollout", params=params)

    def rollout_history(self, application: str) -> list[JSON]:
        items: list[JSON] = self._call("GET", f"/applications/{application}/rollouts")["items"]
        return items

    def rollouts(self, active: bool | None = None) -> list[JSON]:
        params = {"active": str(active).lower()} if active is not None else {}
        items: list[JSON] = self._call("GET", "/rollouts", params=params)["items"]
        return items

    def rollout_action(self, application: str, action: str, **body: str | int | None) -> JSON:
        """approve | pause | resume | abort | rollback, with comment, revision and (approve) wave."""
        payload = {key: value for key, value in body.items() if value is not None}
        return self._call("POST", f"/applications/{application}/rollout/{action}", json=payload)

    # notifications
    def notification_events(self) -> list[JSON]:
        items: list[JSON] = self._call("GET", "/notifications/events")["items"]
        return items

    def subscribe(self, subscription: JSON) -> JSON:
        return self._call("POST", "/notifications/subscriptions", json=subscription)

    def subscriptions(self) -> list[JSON]:
        items: list[JSON] = self._call("GET", "/notifications/subscriptions")["items"]
        return items

    def unsubscribe(self, subscription: int) -> JSON:
        return self._call("DELETE", f"/notifications/subscriptions/{subscription}")

    def test_subscription(self, subscription: int) -> JSON:
        return self._call("POST", f"/notifications/subscriptions/{subscription}/test")

    def deliveries(self, **filters: str | None) -> JSON:
        """A page of the delivery log, newest first: {"items": [...], "next_before": id or None}."""
        return self._call("GET", "/notifications/deliveries", params=self._params(**filters))

    # fix campaigns and image-version announcements
    def fix(self, **body: Any) -> JSON:
        return self._call("POST", "/campaigns", json={k: v for k, v in body.items() if v is not None})

    def campaign(self, campaign_id: int) -> JSON:
        return self._call("GET", f"/campaigns/{campaign_id}")

    def campaigns(self, active: bool | None = None) -> list[JSON]:
        params = {"active": str(active).lower()} if active is not None else {}
        items: list[JSON] = self._call("GET", "/campaigns", params=params)["items"]
        return items

    def announce_image_version(self, image: str, version: str) -> JSON:
        return self._call("POST", "/image-versions", json={"image": image, "version": version})

    # templates with constrained parameters (issue 9)
    def put_template(self, name: str, body: JSON) -> tuple[bool, JSON]:
        """Returns (made a new revision, template)."""
        response = self._send("PUT", f"/templates/{name}", json=body)
        result: JSON = response.json()
        return response.status_code == 201, result

    def list_templates(self) -> list[JSON]:
        items: list[JSON] = self._call("GET", "/templates")["items"]
        return items

    def get_template(self, name: str, revision: int | None = None) -> JSON:
        params = {"revision": str(revision)} if revision is not None else {}
        return self._call("GET", f"/templates/{name}", params=params)

    def delete_template(self, name: str) -> JSON:
        return self._call("DELETE", f"/templates/{name}")

    # the fleet as code
    def sync(self, body: JSON) -> JSON:
        return self._call("POST", "/sync", json=body)
