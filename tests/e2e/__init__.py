"""End-to-end tests: the Zendesk emulator, ``deskline serve`` and a PBX source as real processes
and servers on 127.0.0.1, driven over HTTP like an admin, a PBX and an agent's browser would."""
