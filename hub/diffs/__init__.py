"""Diff preview: what a change of an application would do on each cluster, as desired state and (live)
as each cluster's API server computes it.

    objects.py  pure: release_diff(old, new) -> ReleaseDiff (per object added/removed/changed, text form)
    (the field-level diff of one object, Secret values redacted, is schemas/v1/objectdiffs.py: the
    spokes' live diffs use the same)
    plan.py     pure: per cluster enter/leave/stay/none and its ReleaseDiff
    replies.py  dry-run requests waiting for their replies
    channel.py  Kafka request/reply with the spokes (I/O)
    service.py  loads the store, plans, asks the spokes;  views.py  the API's answer;  api.py  the route
"""

from hub.diffs.objects import ObjectDiff, ReleaseDiff, release_diff

__all__ = ["ObjectDiff", "ReleaseDiff", "release_diff"]
