"""Dependencies between applications (`dependsOn`): on each cluster an application's bundle is dispatched
only once every application it depends on is Ready there; a dependency cycle is refused.

graph.py (pure) finds cycles; gate.py (pure) decides whether a bundle may go; hold.py keeps back the
records that may not, in the write transaction that made them; store.py reads what the gate needs;
dispatcher.py releases held records when their dependencies become Ready."""
