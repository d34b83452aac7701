"""deskline.web."""
