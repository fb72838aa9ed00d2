"""Grafana dashboards as code: the fleet overview, a cluster drill-down, hub internals and spoke
internals, built with the Grafana Foundation SDK from the metric names in docs/metrics.md.

`python -m deploy.grafana` writes deploy/grafana/dashboards/*.json (the files users import);
`python -m deploy.grafana --check` exits 1 when the committed files differ from what the code generates.
Only generating needs the SDK (a dev dependency); importing the JSON needs nothing from us.
"""
