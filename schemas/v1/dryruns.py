"""Live diff preview: the hub asks a spoke to dry-run a bundle against its cluster, and the spoke answers
with what the API server itself would change.

Request/reply, not desired state: nothing here is ever applied, stored or replayed. A request carries a
deadline; a spoke skips a request whose deadline has passed and the hub drops a reply that comes after
it. Secret values never leave the cluster: the spoke only says whether they would change.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt

from schemas.v1.names import ApplicationId, ClusterId
from schemas.v1.reports import ObjectRef


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class DryRunRequest(_Wire):
    request_id: uuid.UUID = Field(description="Unique per request and cluster; the reply carries it back.")
    application: ApplicationId
    revision: NonNegativeInt | None = Field(
        default=None, description="The revision the change would become, if known (for logs only)."
    )
    generation: NonNegativeInt | None = Field(default=None, description="For logs only.")
    manifests: list[dict[str, Any]] = Field(
        description="The bundle as the cluster would get it. Empty: the application would be removed from it."
    )
    deadline: AwareDatetime = Field(description="The hub stops waiting then; a spoke skips a request past it.")


DryRunState = Literal["created", "changed", "unchanged", "rejected", "pruned"]


class DryRunObject(_Wire):
    ref: ObjectRef
    state: DryRunState = Field(
        description="created: does not exist yet; changed / unchanged: what a server-side apply would do to the "
        "live object; rejected: the API server refused the dry run (see error); pruned: in the application's "
        "inventory but not in the bundle, so it would be deleted."
    )
    diff: str = Field(
        default="",
        description="Unified diff of the live object against the dry-run result, as YAML, without managedFields, "
        "resourceVersion, generation, uid, creationTimestamp and status. Secret values are never shown.",
    )
    error: str | None = Field(default=None, description="Why the API server refused the dry run.")
    note: str | None = Field(
        default=None,
        description="How the diff was made when the API server could not compute it (e.g. the object's namespace "
        "or kind is created by the same bundle): then it shows the object as it would be sent.",
    )


class DryRunReply(_Wire):
    request_id: uuid.UUID
    cluster: ClusterId
    application: ApplicationId
    objects: list[DryRunObject] = Field(default_factory=list)
    error: str | None = Field(default=None, description="The dry run as a whole failed (objects may be partial).")
    time: AwareDatetime
