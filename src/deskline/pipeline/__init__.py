"""deskline.pipeline."""
