"""deskline.pbx."""
