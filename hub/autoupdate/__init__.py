"""Auto-update: an application opts in with policies (image, version constraint, strategy); a CI job or a
registry announces "image X has version V" and every application whose policy allows V gets a new
release through an image override, rolled out under the policy's strategy (typically: staging first,
then an approval gate before production). `spec.py` and `plan.py` are pure; `service.py` and `api.py`
are the shell."""
