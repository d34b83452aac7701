"""deskline.outbox."""
