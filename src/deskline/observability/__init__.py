"""What an operator sees of deskline: Prometheus metrics and structured, masked logs.

- :mod:`deskline.observability.metrics`: the registry and every instrument
  (``deskline_*``), rendered at ``GET /metrics``;
- :func:`configure_logging`: JSON (or key=value) lines with the call id, secrets masked;
- :func:`bind_call_id`: the call a piece of work belongs to, for every log line inside.
"""

from deskline.observability.context import bind_call_id, call_id_of_job, current_call_id
from deskline.observability.logs import (
    JsonLineFormatter,
    KeyValueFormatter,
    SecretMaskingFilter,
    configure_logging,
)
from deskline.observability.masking import mask_secrets, register_secret

__all__ = [
    "JsonLineFormatter",
    "KeyValueFormatter",
    "SecretMaskingFilter",
    "bind_call_id",
    "call_id_of_job",
    "configure_logging",
    "current_call_id",
    "mask_secrets",
    "register_secret",
]
