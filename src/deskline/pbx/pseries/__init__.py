"""The Yeastar P-Series Open API adapter (kind ``pseries``); importing it registers the kind."""

from deskline.pbx.pseries.adapter import PSeriesAdapter
from deskline.pbx.pseries.config import EventTransport, PSeriesConfig

__all__ = ["EventTransport", "PSeriesAdapter", "PSeriesConfig"]
