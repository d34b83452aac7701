"""The long-running pieces ``deskline serve`` starts, and what they share.

- :mod:`.services`: :class:`~.services.Runtime`, everything one serving process holds (the
  database, the PBX supervisor, the tracker tick loop, the in-process outbox worker);
- :mod:`.supervisor`: one task per enabled PBX connection, restarted with capped backoff, its
  status written to the connection row;
- :mod:`.ingestors`: one :class:`~deskline.ingest.EventIngestor` (and call tracker) per
  connection, shared by the adapter and the webhook routes, and the tick loop;
- :mod:`.pbx_config`: a connection's config validated by its kind's model, secrets split off;
- :mod:`.probe`: "test this connection" (connect and authenticate once);
- :mod:`.click_to_call`: originate through a connection's adapter, debounced;
- :mod:`.bootstrap`: first start (migrations, the first admin, the simulator connection).
"""
