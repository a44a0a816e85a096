"""API keys: what each key may do and what it has spent.

Public modules: `api_keys` (create, scope, limit, rotate, revoke, bulk edits), `spend` (month usage and the
spend limit). `_grants` (what a key may grant over the API) is internal.
"""
