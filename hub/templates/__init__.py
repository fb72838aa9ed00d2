"""Templates with constrained parameters: a platform engineer publishes a chart (or Go-template manifests)
with a parameter schema, the values it locks and those operators may set per cluster; operators make
applications from it with values the hub checks first (issue 9)."""
