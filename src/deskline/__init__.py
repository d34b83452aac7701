"""deskline: connect a phone system (PBX) to a helpdesk."""

__version__ = "0.1.0"
