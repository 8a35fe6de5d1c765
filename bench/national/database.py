"""The throwaway bench database: recreated on every run, and Django set up on it."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def database_config(url: str) -> dict[str, Any]:
    import environ

    return environ.Env.db_url_config(url)


def recreate_database(url: str) -> None:
    """Drops and creates the benchmark database; refuses a name without "bench" in it."""
    config = database_config(url)
    name = str(config["NAME"])
    if "bench" not in Path(name).name:
        raise SystemExit(
            f"Refusing to drop {name!r}: the benchmark recreates its database, so its name "
            "must contain 'bench' (e.g. .../exchange_bench)."
        )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(name + suffix).unlink(missing_ok=True)
        return
    from psycopg import sql

    with admin_connection(config) as connection:
        drop_database(connection, name)
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def admin_connection(config: dict[str, Any]) -> Any:
    """A connection to the server's ``postgres`` database, to create and drop others."""
    import psycopg

    return psycopg.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        autocommit=True,
    )


def drop_database(connection: Any, name: str, attempts: int = 30) -> None:
    """Drops ``name`` once nothing uses it. Not ``WITH (FORCE)``: an autovacuum worker busy
    with the freshly written instance is not ours to terminate (PostgreSQL refuses), but a
    plain ``DROP`` asks it to stop, and it does within seconds."""
    import psycopg
    from psycopg import sql

    for attempt in range(attempts):
        try:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            return
        except psycopg.errors.ObjectInUse:
            if attempt == attempts - 1:
                raise
            time.sleep(1)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def database_description() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} ({connection.settings_dict['NAME']})"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    settings = connection.settings_dict
    return f"PostgreSQL {version} ({settings['HOST']}:{settings['PORT']}/{settings['NAME']})"
