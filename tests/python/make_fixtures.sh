#!/usr/bin/env bash
# Writes the golden stores in tests/fixtures/python with Python eventsourcing 9.5.6:
#   PYTHON=/path/to/venv/bin/python tests/python/make_fixtures.sh
# (a virtual environment with `eventsourcing==9.5.6 pycryptodome`). Each store comes with
# the JSON that write_store.py printed, which tests/python_format.rs checks against.
set -euo pipefail
cd "$(dirname "$0")"
out=../fixtures/python
PYTHON="${PYTHON:-python3}"
# A fixed key, so that the Rust test can read the encrypted store (24 bytes: AES-192).
key="AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"
rm -f "$out"/dogschool*.sqlite
PERSISTENCE_MODULE=eventsourcing.sqlite SQLITE_DBNAME="$out/dogschool.sqlite" \
    "$PYTHON" write_store.py > "$out/dogschool.json"
PERSISTENCE_MODULE=eventsourcing.sqlite SQLITE_DBNAME="$out/dogschool-aes-zlib.sqlite" \
    COMPRESSOR_TOPIC=eventsourcing.compressor:ZlibCompressor CIPHER_TOPIC=eventsourcing.cipher:AESCipher \
    CIPHER_KEY="$key" "$PYTHON" write_store.py > "$out/dogschool-aes-zlib.json"
# One file each, without the write-ahead log beside it.
for db in "$out"/dogschool*.sqlite; do
    "$PYTHON" -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA journal_mode=DELETE'); c.close()" "$db"
done
