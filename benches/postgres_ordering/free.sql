BEGIN;
INSERT INTO es_ordering.free_events (originator_id, originator_version, topic, state) SELECT id, g, 'Dog.TrickAdded', '\x7b2274696d657374616d70223a22323032362d31312d32335431323a30303a30305a222c2276657273696f6e223a312c227061796c6f6164223a7b22747269636b223a227369742d3432227d7d'::bytea FROM (SELECT gen_random_uuid() AS id) a, generate_series(1,10) g;
COMMIT;
