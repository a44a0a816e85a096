"""Eco: energy and carbon of generations (methodology eco-2) and of a window against a baseline.

Public modules: `estimate` (the one place every energy and carbon figure comes from), `grid` (the serving
region's grid and PUE), `calibration` (method (b)), `impact` (a window against the baseline, with its verdict),
`methodology` and `methodology_tables` (what /eco/methodology states), `recompute` (moving stored figures to the
current methodology). `_ecologits`, `_legacy`, `_span` and `_verdict` are internal.
"""
