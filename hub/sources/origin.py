"""Where a change came from when it came from code: the repository, the directory synced, the commit,
and the file. Recorded on releases and in the audit log; `fleetcast sync` sets it."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Origin(BaseModel):
    repository: str = Field(
        description="The repository: its URL, or the local path of the git repository or directory synced.",
        max_length=2048,
    )
    path: str = Field(
        default=".", description="The directory synced, relative to the repository's root.", max_length=1024
    )
    commit: str | None = Field(
        default=None, description="The git commit synced (None: not a git repository).", max_length=64
    )
    file: str | None = Field(
        default=None, description="The file that declares the object, relative to the repository.", max_length=1024
    )

    def describe(self) -> str:
        at = f"@{self.commit[:12]}" if self.commit else ""
        where = self.file or self.path
        return f"{self.repository}{at}:{where}"
