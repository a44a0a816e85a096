"""Live updates: what changed in an account, told to open pages once it is committed.

- `changes.note(session, account_id, topic)`: a writer says what it changed; it is published when (and only
  when) the session's transaction commits, never on rollback.
- `bus`: this process's subscribers (components/live.py, which coalesces and refreshes pages).
- `pg_channel`: on PostgreSQL, changes cross processes with NOTIFY/LISTEN, so a page served by one process
  sees what another recorded. SQLite is one process: the in-process bus is all it needs.
"""
