#!/usr/bin/env bash
# Transactions per second of 8 concurrent writers, each committing 10 events, under three
# numbering schemes (see schema.sql). Usage: run.sh [database URL], default the local `test`.
set -euo pipefail
cd "$(dirname "$0")"
url=${1:-postgres://postgres@127.0.0.1:5432/test}
psql "$url" -q -v ON_ERROR_STOP=1 -f schema.sql
for round in 1 2 3; do
    for scheme in lock late free; do
        tps=$(pgbench "$url" -n -c 8 -j 2 -T 8 -f "$scheme.sql" 2>/dev/null | grep -oE 'tps = [0-9.]+' | head -n 1)
        echo "round $round  $scheme  $tps (x10 events)"
    done
done
psql "$url" -q -c "SET client_min_messages = warning" -c "DROP SCHEMA es_ordering CASCADE"
