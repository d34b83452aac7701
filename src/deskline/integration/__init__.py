"""The admin side of the connected helpdesk (F1–F5, F8–F13, the phonebook).

- :mod:`.connectors`: :class:`ConnectorProvider` — THE way to get a ``Connector`` for the
  active helpdesk connection (``await provider.active(session)``).
- :mod:`.settings_model`: :class:`IntegrationSettings`, the validated settings.
- :mod:`.service`: :class:`HelpdeskService` — connect (OAuth2 or at once), callback, disable,
  enable, disconnect, settings.
- :mod:`.tokens`: :class:`DatabaseTokenStore`, OAuth tokens encrypted in the connection row.
- :mod:`.users`, :mod:`.extensions`, :mod:`.phonebook`: agents and bindings, extensions,
  phonebook groups and contacts, caller-ID lookup.
"""
