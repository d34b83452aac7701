"""Storage: the database (:mod:`.db`), the tables (:mod:`.models`), every query
(:mod:`.repositories`) and the Alembic migrations (:mod:`.migrate`, ``migrations/``)."""
