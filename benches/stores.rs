//! The library beside the raw database, on the same tables.
//!
//! For each store: saving one event per transaction, saving 10 aggregates × 100 events in
//! one transaction, loading aggregates of 100 and 10,000 events, and reading notifications
//! in pages of 1,000 (with decoding). Each library measurement has a raw sqlx twin doing the
//! same work on the same schema without the library. PostgreSQL runs when
//! `EVENTSOURCING_POSTGRES_TEST_URL` names a database.
//!
//! `cargo bench --bench stores`
#![allow(missing_docs)]

use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use eventsourcing::persistence::{ChainCursor, NotificationQuery};
use eventsourcing::prelude::*;
use tokio::runtime::Runtime;

#[aggregate]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dog {
    name: String,
    tricks: Vec<String>,
}

#[aggregate]
impl Dog {
    #[event("Registered")]
    pub fn register(name: String) -> Self {
        Self { name, tricks: Vec::new() }
    }

    #[event("TrickAdded")]
    pub fn add_trick(&mut self, trick: String) {
        self.tricks.push(trick);
    }
}

fn dog_with(tricks: usize) -> Dog {
    let mut dog = Dog::register("Fido".into());
    for n in 0..tricks {
        dog.add_trick(format!("trick number {n}"));
    }
    dog
}

/// A payload the size of a stored event of this benchmark.
fn payload() -> Vec<u8> {
    br#"{"timestamp":"2026-11-23T12:00:00.000000000Z","version":1,"event_id":"5a3d1f8e-2c7b-4a9e-8f6d-1b2c3d4e5f60","correlation_id":"5a3d1f8e-2c7b-4a9e-8f6d-1b2c3d4e5f60","causation_id":null,"payload":{"trick":"trick number 42"}}"#.to_vec()
}

#[derive(Clone)]
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool, String),
}

impl Raw {
    async fn insert(&self, rows: &[(Uuid, i64)]) {
        let state = payload();
        match self {
            Raw::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
                for (id, version) in rows {
                    sqlx::query("INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)")
                        .bind(id.simple().to_string())
                        .bind(version)
                        .bind("Dog.TrickAdded")
                        .bind(&state)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                }
                tx.commit().await.unwrap();
            }
            Raw::Postgres(pool, table) => {
                let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
                let versions: Vec<i64> = rows.iter().map(|r| r.1).collect();
                let topics = vec!["Dog.TrickAdded"; rows.len()];
                let states = vec![state.as_slice(); rows.len()];
                let sql = format!(
                    "INSERT INTO {table} (originator_id, originator_version, topic, state) \
                     SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[])"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&ids)
                    .bind(&versions)
                    .bind(&topics)
                    .bind(&states)
                    .execute(pool)
                    .await
                    .unwrap();
            }
        }
    }

    async fn select(&self, id: Uuid) -> usize {
        match self {
            Raw::Sqlite(pool) => sqlx::query(
                "SELECT originator_id, originator_version, topic, state FROM stored_events \
                 WHERE originator_id = ? ORDER BY originator_version",
            )
            .bind(id.simple().to_string())
            .fetch_all(pool)
            .await
            .unwrap()
            .len(),
            Raw::Postgres(pool, table) => {
                let sql = format!(
                    "SELECT originator_id, originator_version, topic, state FROM {table} \
                     WHERE originator_id = $1 ORDER BY originator_version"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_all(pool).await.unwrap().len()
            }
        }
    }

    async fn page(&self, after: i64) -> usize {
        match self {
            Raw::Sqlite(pool) => sqlx::query(
                "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events \
                 WHERE rowid > ? ORDER BY rowid LIMIT 1000",
            )
            .bind(after)
            .fetch_all(pool)
            .await
            .unwrap()
            .len(),
            Raw::Postgres(pool, table) => {
                let sql = format!(
                    "SELECT notification_id, originator_id, originator_version, topic, state FROM {table} \
                     WHERE notification_id > $1 ORDER BY notification_id LIMIT 1000"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after).fetch_all(pool).await.unwrap().len()
            }
        }
    }
}

struct Target {
    name: &'static str,
    app: Application,
    raw: Option<Raw>,
}

async fn targets() -> Vec<Target> {
    let mut targets = Vec::new();
    let memory = Application::builder("Bench").without_process_env().build().await.unwrap();
    targets.push(Target { name: "memory", app: memory, raw: None });

    let dir = std::env::temp_dir().join("eventsourcing-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.sqlite", Uuid::new_v4())).display().to_string();
    let sqlite = Application::builder("Bench").without_process_env().sqlite(path.clone()).build().await.unwrap();
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .connect_with(
            sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal),
        )
        .await
        .unwrap();
    targets.push(Target { name: "sqlite", app: sqlite, raw: Some(Raw::Sqlite(pool)) });

    if let Some(url) = std::env::var("EVENTSOURCING_POSTGRES_TEST_URL").ok().filter(|u| !u.is_empty()) {
        let schema = format!("es_bench_{}", Uuid::new_v4().simple());
        let postgres = Application::builder("Bench")
            .without_process_env()
            .postgres(url.clone())
            .env("POSTGRES_SCHEMA", &schema)
            .build()
            .await
            .unwrap();
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        targets.push(Target {
            name: "postgres",
            app: postgres,
            raw: Some(Raw::Postgres(pool, format!("\"{schema}\".bench_events"))),
        });
    } else {
        eprintln!("PostgreSQL skipped: set EVENTSOURCING_POSTGRES_TEST_URL to include it");
    }
    targets
}

fn benchmarks(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let targets = rt.block_on(targets());
    for target in &targets {
        let mut group = c.benchmark_group(target.name);
        group.sample_size(20).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));
        let app = &target.app;

        group.throughput(Throughput::Elements(1));
        group.bench_function("save 1 event", |b| {
            b.to_async(&rt).iter_batched(
                || Dog::register("Fido".into()),
                |mut dog| async move {
                    app.save(&mut dog).await.unwrap();
                },
                BatchSize::SmallInput,
            );
        });
        if let Some(raw) = &target.raw {
            group.bench_function("raw insert 1 row", |b| {
                b.to_async(&rt).iter(|| async { raw.insert(&[(Uuid::new_v4(), 1)]).await });
            });
        }

        group.throughput(Throughput::Elements(1000));
        group.bench_function("save 10 aggregates x 100 events", |b| {
            b.to_async(&rt).iter_batched(
                || (0..10).map(|_| dog_with(99)).collect::<Vec<_>>(),
                |mut dogs| async move {
                    app.save(&mut dogs[..]).await.unwrap();
                },
                BatchSize::SmallInput,
            );
        });
        if let Some(raw) = &target.raw {
            group.bench_function("raw insert 1000 rows", |b| {
                b.to_async(&rt).iter(|| async {
                    let rows: Vec<(Uuid, i64)> = (0..10)
                        .flat_map(|_| {
                            let id = Uuid::new_v4();
                            (1..=100).map(move |v| (id, v))
                        })
                        .collect();
                    raw.insert(&rows).await;
                });
            });
        }

        for size in [100_usize, 10_000] {
            let mut dog = dog_with(size - 1);
            rt.block_on(app.save(&mut dog)).unwrap();
            let id = *dog.id();
            group.throughput(Throughput::Elements(size as u64));
            group.bench_function(format!("get {size}-event aggregate"), |b| {
                b.to_async(&rt).iter(|| async { app.repository().get::<Dog>(&id).await.unwrap() });
            });
            if let Some(raw) = &target.raw {
                group.bench_function(format!("raw select {size} rows"), |b| {
                    b.to_async(&rt).iter(|| async { assert_eq!(raw.select(id).await, size) });
                });
            }
        }

        group.throughput(Throughput::Elements(1000));
        group.bench_function("read and decode 1000 notifications", |b| {
            b.to_async(&rt).iter(|| async {
                let page = app.recorder().select_notifications(NotificationQuery::after(Some(0), 1000)).await.unwrap();
                let mut cursor = ChainCursor::after(None);
                for n in &page {
                    app.mapper().decode_event::<Dog>(&n.event, &mut cursor).unwrap();
                }
                assert_eq!(page.len(), 1000);
            });
        });
        if let Some(raw) = &target.raw {
            group.bench_function("raw select 1000 notifications", |b| {
                b.to_async(&rt).iter(|| async { assert_eq!(raw.page(0).await, 1000) });
            });
        }
        group.finish();
    }
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
