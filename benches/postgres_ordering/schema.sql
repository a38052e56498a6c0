-- Three ways to number events on PostgreSQL, measured with pgbench by run.sh.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS es_ordering CASCADE;
CREATE SCHEMA es_ordering;
-- The store's scheme: ids from a sequence at insert, writers serialised by an EXCLUSIVE lock.
CREATE TABLE es_ordering.lock_events (originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text,
  state bytea, notification_id bigserial, PRIMARY KEY (originator_id, originator_version));
CREATE UNIQUE INDEX ON es_ordering.lock_events (notification_id);
-- Late ids: inserts run in parallel without ids; ids are given under an advisory lock just before commit.
CREATE SEQUENCE es_ordering.late_seq;
CREATE TABLE es_ordering.late_events (originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text,
  state bytea, notification_id bigint, writer xid8 NOT NULL DEFAULT pg_current_xact_id(),
  PRIMARY KEY (originator_id, originator_version));
CREATE UNIQUE INDEX ON es_ordering.late_events (notification_id);
CREATE INDEX ON es_ordering.late_events (writer) WHERE notification_id IS NULL;
-- No ordering at all: ids can become visible out of order. Only a ceiling to compare with.
CREATE TABLE es_ordering.free_events (LIKE es_ordering.lock_events INCLUDING ALL);
