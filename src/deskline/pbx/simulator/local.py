"""The built-in ``simulator`` connection in the local database.

:func:`ensure_simulator_connection` creates it (with a random token) if it is missing; the web
app calls it at start-up. :func:`local_simulator_target` is what ``deskline simulate`` uses
when no ``--token`` is given: same machine, same settings, so it reads the token from the
database and derives the URL from the settings.
"""

from __future__ import annotations

import secrets

from pydantic import SecretStr

from deskline.crypto import SecretBox
from deskline.errors import ConfigurationError
from deskline.pbx.simulator.config import SIMULATOR_CONNECTION
from deskline.settings import Settings
from deskline.store.db import Database
from deskline.store.repositories.pbx_connections import PbxConnectionRepository

_ANY_ADDRESS = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 - compared, not bound


async def ensure_simulator_connection(repository: PbxConnectionRepository) -> SecretStr:
    """The simulator connection's token, creating the connection first if it is missing."""
    existing = await repository.by_name(SIMULATOR_CONNECTION)
    if existing is not None:
        if existing.kind != "simulator" or "token" not in existing.secrets:
            raise ConfigurationError(
                f"the connection named {SIMULATOR_CONNECTION!r} is not the built-in simulator"
            )
        return existing.secrets["token"]
    token = secrets.token_urlsafe(32)
    await repository.create(
        name=SIMULATOR_CONNECTION, kind="simulator", config={}, secrets={"token": token}
    )
    return SecretStr(token)


def local_base_url(settings: Settings) -> str:
    """deskline's own address as seen from this machine."""
    host = "127.0.0.1" if settings.host in _ANY_ADDRESS else settings.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


async def local_simulator_target(settings: Settings) -> tuple[str, str]:
    """(base URL, token) of the local deskline's simulator connection."""
    database = Database.from_settings(settings)
    try:
        async with database.read() as session:
            box = SecretBox(settings.effective_secret_key)
            connection = await PbxConnectionRepository(session, box).by_name(SIMULATOR_CONNECTION)
    except Exception as exc:
        raise ConfigurationError(
            f"cannot read the simulator token from {database!r} ({type(exc).__name__}): "
            "has deskline been started here (deskline serve)? Or pass --url and --token"
        ) from exc
    finally:
        await database.dispose()
    if connection is None or "token" not in connection.secrets:
        raise ConfigurationError(
            "the local database has no simulator connection yet: start deskline once "
            "(deskline serve), or pass --url and --token"
        )
    if not connection.enabled:
        raise ConfigurationError("the simulator connection is disabled; enable it in the admin")
    return local_base_url(settings), connection.secrets["token"].get_secret_value()
