"""Drift: a live object that differs from what the spoke applied, in the fields the spoke manages.

Pure: `fieldsets` (managed-fields trees as field paths), `detect` (one object: which of our fields
someone else took, or whether it is gone), `ignore` (which fields not to fight for on re-apply).
I/O shell: `detector.DriftDetector`, the controller fed by the applier and the live view's watches.
"""
