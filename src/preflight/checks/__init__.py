"""The rules, grouped by family: each is a function that reads the model and yields
Violations; it never decides severity, suppression or exit codes (the engine does).

The catalogue (rules/*.yaml) names each rule's implementation (``check:``) and what it
runs on (``runs_on:``); preflight.engine.registry joins them. A rule takes its subject (a
template, a workflow, an audience, or a checked link) and its options.
"""
