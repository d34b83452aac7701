"""The individual checks run by :mod:`deskline.templates.validation`, one area per module."""
