"""The account: profile and settings, demo data, start-up, login, export and deletion.

Public modules: `accounts`, `settings`, `bootstrap` (migrations and the demo on first start), `demo`, `auth` and
`login_throttle` (dashboard login), `export` (the full ZIP), `deletion`.
"""
