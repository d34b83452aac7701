"""The admin REST API, one router per area. Every route requires an admin (see
:mod:`deskline.web.auth.guard`) except ``POST /api/auth/login`` and ``GET /api/health``."""
