"""Asterisk Manager Interface (AMI) adapter: call events in, click-to-call out.

Importing the package registers the ``asterisk`` PBX kind. Modules, one job each:
``protocol`` (frames on the wire), ``config`` (what the admin sets), ``dialplan`` (reading
channels and contexts), ``client`` (the AMI session), ``translator`` (AMI events → call
events), ``cdr`` (merging Cdrs), ``adapter`` (the PbxAdapter), ``replay`` (captures → calls).
"""

from deskline.pbx.asterisk.adapter import AsteriskAdapter, OriginateOutcome
from deskline.pbx.asterisk.config import AsteriskConfig

__all__ = ["AsteriskAdapter", "AsteriskConfig", "OriginateOutcome"]
