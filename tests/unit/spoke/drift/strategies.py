"""Hypothesis strategies for field paths as the API server writes them in managed fields."""

from __future__ import annotations

from hypothesis import strategies as st

from schemas.v1.drift import FieldName, FieldPath, ListIndex, ListKey, Segment, SetValue

names = st.one_of(
    st.sampled_from(["spec", "metadata", "labels", "replicas", "containers", "image", "app.kubernetes.io/name"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12),
)
scalars = st.one_of(st.text(max_size=10), st.integers(-1000, 100000), st.booleans(), st.none())
field_names = names.map(FieldName)
list_keys = st.dictionaries(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True), scalars, min_size=1, max_size=3
).map(lambda keys: ListKey(tuple(keys.items())))
set_values = scalars.map(SetValue)
indexes = st.integers(0, 50).map(ListIndex)
segments: st.SearchStrategy[Segment] = st.one_of(field_names, list_keys, set_values, indexes)
# Managed fields start with a field name (metadata, spec, data, ...).
paths: st.SearchStrategy[FieldPath] = st.tuples(field_names, st.lists(segments, max_size=5)).map(
    lambda parts: (parts[0], *parts[1])
)
