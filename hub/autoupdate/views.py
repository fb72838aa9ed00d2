"""What an image-version announcement answers."""

from __future__ import annotations

from pydantic import BaseModel, Field


class UpdateOut(BaseModel):
    application: str
    updated: bool = Field(description="Whether a release was made.")
    revision: int | None = Field(description="The new release, when one was made.")
    strategy: str | None = Field(description="The strategy it rolls out with (None: the application's own).")
    reason: str = Field(description="What changed, or why nothing did.")
    found: list[str] = Field(description="The image references the application's manifests had.")


class AnnouncementResult(BaseModel):
    image: str = Field(description="The canonical repository.")
    version: str
    applications: list[UpdateOut] = Field(description="Every application with a policy for the image.")
