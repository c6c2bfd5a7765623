"""Seeing inside a model: `gradcheck` (is each backward right?), `trace` (what did each layer see?) and
`selfcheck` (what `tinygraph gradcheck` checks). They sit above the layers and never change a model:
each works on a copy, or watches calls (`tinygraph.calls.watching`)."""
