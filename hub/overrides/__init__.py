"""Image overrides: an application's map of image repository -> tag or digest, applied to its manifests
wherever that image appears in a pod template. Pure: `spec.py` reads and checks the map, `render.py`
rewrites manifests with it. A release stores the rendered manifests (what clusters get) and the source."""
