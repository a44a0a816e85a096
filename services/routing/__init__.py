"""Routing: `lowrouter/auto` policies, the routing engine, and the router that calls upstreams.

Public modules: `policies` (account defaults and key overrides), `engine` (request + policy -> route, pure),
`whatif` (replaying past traffic under another policy), `inference` (checks, call, record), `upstreams`
(upstreams.toml), `gateway`, `upstream_clients` and `upstream_health` (connections and cooling off), `hot_cache`
(what every request reads, from memory), `recorder` (journalled, then stored), `in_flight` (streams not recorded
yet), `route_stats` (how providers served lately). `_journal` is internal.
"""
