"""Admin authentication for the web app: sessions (cookie or bearer), API tokens, the guard
every ``/api`` route but login and health depends on, and login throttling."""
