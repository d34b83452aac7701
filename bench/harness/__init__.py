"""The load and fault suite's building blocks: private database and Redis servers, one deskline
installation (the Zendesk emulator, ``deskline serve`` and ``deskline worker`` processes), the
call driver and agent sockets, seeding, and the audit that counts lost and duplicated work.

Process handling, the emulator's control client, the admin client and the e2e settings come
from ``tests/e2e`` (the end-to-end harness); everything here runs on 127.0.0.1 only.
"""
