"""Every database query of deskline, one module per aggregate.

- :mod:`.events` — PBX events (deduplicated by source and key)
- :mod:`.calls` — calls (latest state, upserted)
- :mod:`.jobs` / :mod:`.job_claims` — outbox jobs (add, list, retry / claim, lease, finish)
- :mod:`.pbx_connections` — PBX connections (secrets encrypted here)
- :mod:`.users` — admin users and API tokens
- :mod:`.settings` — integration settings (JSON values by key)

Functions take the caller's session and never commit: the caller's transaction
(:meth:`deskline.store.db.Database.transaction`) decides.
"""
