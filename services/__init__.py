"""The domain of lowrouter: tables, queries, money, eco, routing, ledger. Never imports nicegui."""
