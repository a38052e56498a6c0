#!/usr/bin/env bash
# Writes the golden stores in tests/fixtures/python with Python eventsourcing 9.5.6, in a
# virtual environment with `eventsourcing==9.5.6 pycryptodome "psycopg[binary]" psycopg_pool`:
#   PYTHON=/path/to/venv/bin/python PGURL=postgres://postgres@127.0.0.1:5432/postgres \
#       tests/python/make_fixtures.sh
# Each store (an SQLite file, or a `pg_dump --inserts` of a PostgreSQL schema) comes with the
# JSON that write_store.py printed, which tests/python_interop.rs checks against.
set -euo pipefail
cd "$(dirname "$0")"
out=../fixtures/python
PYTHON="${PYTHON:-python3}"
PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432/postgres}"
# A fixed key, so that the tests can read the encrypted stores (24 bytes: AES-192).
key="AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"
encrypted=(COMPRESSOR_TOPIC=eventsourcing.compressor:ZlibCompressor CIPHER_TOPIC=eventsourcing.cipher:AESCipher
    CIPHER_KEY="$key")

rm -f "$out"/dogschool*
env PERSISTENCE_MODULE=eventsourcing.sqlite SQLITE_DBNAME="$out/dogschool.sqlite" \
    "$PYTHON" write_store.py > "$out/dogschool.json"
env PERSISTENCE_MODULE=eventsourcing.sqlite SQLITE_DBNAME="$out/dogschool-aes-zlib.sqlite" "${encrypted[@]}" \
    "$PYTHON" write_store.py > "$out/dogschool-aes-zlib.json"
# One file each, without the write-ahead log beside it.
for db in "$out"/dogschool*.sqlite; do
    "$PYTHON" -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA journal_mode=DELETE'); c.close()" "$db"
done

# PostgreSQL: each store in a schema of its own, dumped as plain SQL whose schema the tests
# rename (it is called `python_fixture` in the dump).
host_port_user_db=$("$PYTHON" -c "
import sys
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
print(u.hostname, u.port or 5432, u.username or 'postgres', u.path.lstrip('/') or 'postgres')" "$PGURL")
read -r host port user db <<< "$host_port_user_db"
pg=(POSTGRES_HOST="$host" POSTGRES_PORT="$port" POSTGRES_USER="$user" POSTGRES_PASSWORD= POSTGRES_DBNAME="$db"
    POSTGRES_SCHEMA=python_fixture PERSISTENCE_MODULE=eventsourcing.postgres)
for name in dogschool-postgres dogschool-aes-zlib-postgres; do
    psql "$PGURL" -q -c "DROP SCHEMA IF EXISTS python_fixture CASCADE" -c "CREATE SCHEMA python_fixture"
    if [ "$name" = dogschool-postgres ]; then
        env "${pg[@]}" "$PYTHON" write_store.py > "$out/$name.json"
    else
        env "${pg[@]}" "${encrypted[@]}" "$PYTHON" write_store.py > "$out/$name.json"
    fi
    pg_dump "$PGURL" --schema=python_fixture --inserts --no-owner --no-privileges \
        | grep -v -e '^--' -e '^SET ' -e '^SELECT pg_catalog.set_config' -e '^$' -e '^\\' > "$out/$name.sql"
    psql "$PGURL" -q -c "DROP SCHEMA python_fixture CASCADE"
done
