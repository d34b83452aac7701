"""What happens on calls (F7–F13, F27–F30): the integration behaviours, helpdesk-agnostic.

- :mod:`.service`: :class:`~.service.Pipeline`, what the listener, jobs and sockets share;
- :mod:`.listener`: decisions in the ingest transaction (jobs), ring-time pops after commit;
- :mod:`.contact_index`: deskline's local index of helpdesk contacts (ring-time lookups);
- :mod:`.variables`: the template variables of a call (``Call_From``, ``Talk_Duration``, …);
- :mod:`.jobs`: ``helpdesk.lookup``, ``helpdesk.create_contact``, ``helpdesk.create_ticket``,
  ``helpdesk.call_journal``, ``helpdesk.screen_pop``, ``recording.prepare``;
- :mod:`.screen_pop` and :mod:`.agent_requests`: the agents' WebSocket pops
  (docs/screen-pop.md); :mod:`.agent_tokens`: their tokens;
- :mod:`.recordings`: signed recording links and the recording cache;
- :mod:`.actions`: ``call_actions`` — each (call, action) done once, with the helpdesk's id.
"""
