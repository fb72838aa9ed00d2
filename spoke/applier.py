"""Carry out a plan's apply half: server-side apply, in kind order, one object's failure not
stopping the others. CRDs are waited for (Established) before the custom resources after them.

An `ApplyObserver` (the drift detector) is told of every apply and prune, may hold an object back
(drift left alone under `alert`), and names ignored fields: those another manager owns on an object
that exists already are left out of the apply (spoke/drift/ignore.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kubernetes_asyncio.dynamic.exceptions import ResourceNotFoundError

from schemas.v1 import ObjectAction, ObjectRef
from schemas.v1.drift import FieldPath
from spoke.drift.ignore import respect_ignored
from spoke.errors import ErrorClass, api_message, classify, retrying
from spoke.health import customresourcedefinition
from spoke.kube import Kube
from spoke.objects import APPLICATION_LABEL, Manifest, labels_of, ref_of
from spoke.reports import ObjectOutcome
from spoke.settings import SpokeSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Applied:
    outcome: ObjectOutcome
    live: dict[str, Any] | None  # the object as the API server returned it after the apply


class ApplyObserver(Protocol):
    """Told of every apply and prune, in order (spoke.drift.detector.DriftDetector is one)."""

    def hold(self, application: str, ref: ObjectRef, manifest: Manifest) -> bool:
        """True: do not apply this object now (it is reported unchanged)."""

    def ignored(self, application: str, ref: ObjectRef) -> list[FieldPath]:
        """Fields not to take back from other managers on an existing object."""

    def applying(self, application: str, ref: ObjectRef, manifest: Manifest) -> None: ...

    def applied(self, application: str, ref: ObjectRef, live: dict[str, Any] | None, manifest: Manifest) -> None:
        """After `applying`, always: `live` is the apply's response, None when it failed."""

    def pruning(self, ref: ObjectRef) -> None: ...


class NoObserver:
    def hold(self, application: str, ref: ObjectRef, manifest: Manifest) -> bool:
        return False

    def ignored(self, application: str, ref: ObjectRef) -> list[FieldPath]:
        return []

    def applying(self, application: str, ref: ObjectRef, manifest: Manifest) -> None:
        pass

    def applied(self, application: str, ref: ObjectRef, live: dict[str, Any] | None, manifest: Manifest) -> None:
        pass

    def pruning(self, ref: ObjectRef) -> None:
        pass


class Applier:
    def __init__(self, kube: Kube, settings: SpokeSettings, observer: ApplyObserver | None = None) -> None:
        self.kube = kube
        self.settings = settings
        self.observer: ApplyObserver = observer or NoObserver()
        # resourceVersions our last apply produced: an apply that returns the same one changed nothing.
        self._versions: dict[ObjectRef, str] = {}

    async def apply_all(self, manifests: Sequence[Manifest]) -> list[Applied]:
        results: list[Applied] = []
        crds: list[ObjectRef] = []
        for manifest in manifests:
            if crds and manifest["kind"] != "CustomResourceDefinition":
                await self._established(crds, results)
                crds = []
            result = await self._apply_one(manifest)
            results.append(result)
            if manifest["kind"] == "CustomResourceDefinition" and result.outcome.action != "failed":
                crds.append(result.outcome.ref)
        return results

    async def _apply_one(self, manifest: Manifest) -> Applied:
        ref = ref_of(manifest)
        application = labels_of(manifest).get(APPLICATION_LABEL, "")
        if self.observer.hold(application, ref, manifest):
            return Applied(ObjectOutcome(ref, "unchanged"), None)
        ignored = self.observer.ignored(application, ref)
        self.observer.applying(application, ref, manifest)
        live: dict[str, Any] | None = None
        try:
            body = manifest
            if ignored:
                # One read, only for objects with ignore rules: who owns what on the live object.
                body = respect_ignored(manifest, await self.kube.get(ref), ignored)
            async for attempt in retrying(self.settings):
                with attempt:
                    live = await self.kube.apply(body)
        except Exception as error:
            error_class = classify(error)
            if isinstance(error, ResourceNotFoundError):
                message = f"the API server does not serve {ref.api_version} {ref.kind} (yet)"
            else:
                message = api_message(error)
            log.warning("apply %s failed (%s): %s", ref, error_class, message)
            return Applied(ObjectOutcome(ref, "failed", message, error_class), None)
        finally:
            self.observer.applied(application, ref, live, manifest)
        assert live is not None
        version = str((live.get("metadata") or {}).get("resourceVersion") or "")
        action: ObjectAction = "unchanged" if self._versions.get(ref) == version else "applied"
        self._versions[ref] = version
        return Applied(ObjectOutcome(ref, action), live)

    async def _established(self, crds: list[ObjectRef], results: list[Applied]) -> None:
        """Wait (bounded) for the CRDs just applied; their custom resources cannot be served before.
        A CRD that does not make it is marked not-ready, so the application is requeued."""
        deadline = time.monotonic() + self.settings.crd_established_timeout
        pending = list(crds)
        while pending:
            still: list[ObjectRef] = []
            for ref in pending:
                live = await self.kube.get(ref)
                if live is None or customresourcedefinition(live)[1] != "established":
                    still.append(ref)
            pending = still
            if not pending:
                break
            if time.monotonic() >= deadline:
                for index, result in enumerate(results):
                    if result.outcome.ref in pending:
                        message = "CRD not Established in time"
                        results[index] = Applied(
                            ObjectOutcome(result.outcome.ref, "failed", message, ErrorClass.NOT_READY), result.live
                        )
                return
            await asyncio.sleep(0.2)
        # The new kinds must be discoverable before their objects are applied.
        await self.kube.refresh_discovery()

    async def prune(self, ref: ObjectRef) -> ObjectOutcome:
        self.observer.pruning(ref)
        try:
            async for attempt in retrying(self.settings):
                with attempt:
                    await self.kube.delete(ref)
        except Exception as error:
            error_class = classify(error)
            message = api_message(error)
            log.warning("prune %s failed (%s): %s", ref, error_class, message)
            return ObjectOutcome(ref, "failed", message, error_class)
        self._versions.pop(ref, None)
        return ObjectOutcome(ref, "pruned")
