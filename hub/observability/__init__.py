"""What the hub tells Prometheus beyond plain counters: API latency by route template, and the gauges
derived from the store and the dead-letter topic, refreshed by one periodic collector (docs/metrics.md)."""
