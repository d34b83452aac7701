"""deskline.store."""
