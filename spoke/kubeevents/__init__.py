"""Kubernetes Events of managed objects, forwarded to the hub: bounded, rate-limited, deduplicated.

Pure: `select` (which Events, as KubeEvents; token buckets and batches). I/O shell: `forwarder`.
"""
