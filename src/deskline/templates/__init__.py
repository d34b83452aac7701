"""deskline.templates."""
