"""Application sources: what an application is made from (plain manifests, a Helm chart, or a template)
and how a release of it becomes the manifests one cluster gets."""
