"""The spoke as small controllers, one idea each, wired for one cluster by spoke/agent.py.

    intake     desired topic -> DesiredStore (+ dead letters) -> reconcile what changed -> commit offsets
    reconcile  per-application locks, bounded parallelism, requeue with backoff, periodic resync; records
               outcomes in AppStates; `reconcile_now(app, reason)`; `subscribe_applied(hook)`
    liveview   watches + the live-object cache; `subscribe(on_event, on_list)` with FULL objects
    reporter   debounced, deduplicated status reports; per-object extras from a provider callable
    heartbeat  the cluster's heartbeat, every interval

Every controller takes its dependencies explicitly (protocols or callables, see each module), holds no
module-level state and knows its cluster only through what it is given, so several spokes (one per
cluster) can live in one process and each controller is unit-testable alone.
"""
