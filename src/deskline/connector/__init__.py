"""deskline.connector."""
