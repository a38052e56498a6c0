//! A projection catching up beside raw sqlx doing the same writes.
//!
//! 2,000 upstream events are projected into a view table of counters: one UPDATE per
//! event, the tracking position once per batch of 100, one transaction per batch. The raw
//! twin runs the same UPDATEs and tracking upserts in the same batches, without reading
//! or decoding the events. SQLite always; PostgreSQL when `EVENTSOURCING_POSTGRES_TEST_URL`
//! names a database.
//!
//! `cargo bench --bench projection`
#![allow(missing_docs)]

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eventsourcing::persistence::{BoxError, View};
use eventsourcing::postgres::PostgresView;
use eventsourcing::prelude::*;
use eventsourcing::projection::{Projection, ProjectionRunner};
use eventsourcing::sqlite::SqliteView;
use tokio::runtime::Runtime;

const EVENTS: usize = 2_000;
const BATCH: usize = 100;
const UPDATE: &str = "UPDATE counters SET count = count + 1 WHERE name = $1";

#[aggregate]
#[derive(Debug, Clone)]
pub struct Dog {
    tricks: u32,
}

#[aggregate]
impl Dog {
    #[event("Registered")]
    pub fn register() -> Self {
        Self { tricks: 0 }
    }

    #[event("TrickAdded")]
    pub fn add_trick(&mut self, trick: String) {
        let _ = trick;
        self.tricks += 1;
    }
}

#[derive(Debug, LogEvent)]
enum School {
    Dog(DomainEvent<DogEvent>),
}

struct Counting;

impl Projection for Counting {
    type Event = School;
    type View = SqliteView;

    async fn process(
        &mut self,
        School::Dog(event): School,
        view: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    ) -> Result<(), BoxError> {
        sqlx::query(UPDATE).bind(event.name()).execute(&mut **view).await?;
        Ok(())
    }
}

struct PgCounting;

impl Projection for PgCounting {
    type Event = School;
    type View = PostgresView;

    async fn process(
        &mut self,
        School::Dog(event): School,
        view: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    ) -> Result<(), BoxError> {
        sqlx::query(UPDATE).bind(event.name()).execute(&mut **view).await?;
        Ok(())
    }
}

/// Saves `EVENTS` events (dogs of 100 events each) and returns the last notification id.
async fn fill(app: &Application) -> u64 {
    let mut last = 0;
    for _ in 0..EVENTS / 100 {
        let mut dog = Dog::register();
        for n in 0..99 {
            dog.add_trick(format!("trick {n}"));
        }
        last = *app.save(&mut dog).await.unwrap().last().unwrap();
    }
    last
}

const CREATE: &str = "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, count BIGINT NOT NULL)";
const RESET: [&str; 2] =
    ["DELETE FROM counters", "INSERT INTO counters (name, count) VALUES ('Registered', 0), ('TrickAdded', 0)"];

fn benchmarks(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    sqlite(c, &rt);
    if let Some(url) = std::env::var("EVENTSOURCING_POSTGRES_TEST_URL").ok().filter(|u| !u.is_empty()) {
        postgres(c, &rt, &url);
    } else {
        eprintln!("PostgreSQL skipped: set EVENTSOURCING_POSTGRES_TEST_URL to include it");
    }
}

fn group<'c>(c: &'c mut Criterion, name: &str) -> criterion::BenchmarkGroup<'c, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group.sample_size(10).measurement_time(Duration::from_secs(10)).warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(EVENTS as u64));
    group
}

/// SQLite: the upstream and the view in one file.
fn sqlite(c: &mut Criterion, rt: &Runtime) {
    let mut group = group(c, "projection sqlite");
    let dir = std::env::temp_dir().join("eventsourcing-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("projection-{}.sqlite", Uuid::new_v4())).display().to_string();
    let (app, last, pool) = rt.block_on(async {
        let app = Application::builder("Bench").without_process_env().sqlite(path.clone()).build().await.unwrap();
        let last = fill(&app).await;
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5));
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::query(CREATE).execute(&pool).await.unwrap();
        (app, last, pool)
    });
    let mut run = 0_u32;
    group.bench_function("project 2000 events", |b| {
        b.to_async(rt).iter_custom(|iterations| {
            let (app, pool) = (app.clone(), pool.clone());
            run += 1;
            let name = format!("run{run}");
            async move {
                let mut total = Duration::ZERO;
                for i in 0..iterations {
                    for reset in RESET {
                        sqlx::query(reset).execute(&pool).await.unwrap();
                    }
                    let view = SqliteView::open(pool.clone(), &format!("{name}_{i}")).await.unwrap();
                    let start = Instant::now();
                    let runner = ProjectionRunner::start(&app, Counting, view);
                    runner.wait(last, Duration::from_mins(1)).await.unwrap();
                    total += start.elapsed();
                    runner.stop().await.unwrap();
                }
                total
            }
        });
    });
    group.bench_function("raw updates, same batches", |b| {
        b.to_async(rt).iter(|| async {
            let view = SqliteView::open(pool.clone(), "raw").await.unwrap();
            let _ = view.max_tracking_id("Bench").await.unwrap();
            for batch in 0..EVENTS / BATCH {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
                for n in 0..BATCH {
                    let name = if n == 0 { "Registered" } else { "TrickAdded" };
                    sqlx::query(UPDATE).bind(name).execute(&mut *tx).await.unwrap();
                }
                sqlx::query(
                    "INSERT INTO raw_tracking (application_name, notification_id) VALUES ('Bench', $1) \
                     ON CONFLICT (application_name) DO UPDATE SET notification_id = excluded.notification_id",
                )
                .bind(i64::try_from((batch + 1) * BATCH).unwrap())
                .execute(&mut *tx)
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }
        });
    });
    group.finish();
}

/// PostgreSQL: the upstream's tables and the view in one schema.
fn postgres(c: &mut Criterion, rt: &Runtime, url: &str) {
    let mut group = group(c, "projection postgres");
    {
        let schema = format!("es_bench_{}", Uuid::new_v4().simple());
        let (app, last, pool) = rt.block_on(async {
            let app = Application::builder("Bench")
                .without_process_env()
                .postgres(url)
                .env("POSTGRES_SCHEMA", &schema)
                .build()
                .await
                .unwrap();
            let last = fill(&app).await;
            let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
            let pool = sqlx::PgPool::connect_with(options.options([("search_path", schema.as_str())])).await.unwrap();
            sqlx::query(CREATE).execute(&pool).await.unwrap();
            (app, last, pool)
        });
        let mut run = 0_u32;
        group.bench_function("project 2000 events", |b| {
            b.to_async(rt).iter_custom(|iterations| {
                let (app, pool, schema) = (app.clone(), pool.clone(), schema.clone());
                run += 1;
                let name = format!("run{run}");
                async move {
                    let mut total = Duration::ZERO;
                    for i in 0..iterations {
                        for reset in RESET {
                            sqlx::query(reset).execute(&pool).await.unwrap();
                        }
                        let view = PostgresView::open(pool.clone(), &schema, &format!("{name}_{i}")).await.unwrap();
                        let start = Instant::now();
                        let runner = ProjectionRunner::start(&app, PgCounting, view);
                        runner.wait(last, Duration::from_mins(1)).await.unwrap();
                        total += start.elapsed();
                        runner.stop().await.unwrap();
                    }
                    total
                }
            });
        });
        group.bench_function("raw updates, same batches", |b| {
            b.to_async(rt).iter(|| async {
                let view = PostgresView::open(pool.clone(), &schema, "raw").await.unwrap();
                let _ = view.max_tracking_id("Bench").await.unwrap();
                for batch in 0..EVENTS / BATCH {
                    let mut tx = pool.begin().await.unwrap();
                    for n in 0..BATCH {
                        let name = if n == 0 { "Registered" } else { "TrickAdded" };
                        sqlx::query(UPDATE).bind(name).execute(&mut *tx).await.unwrap();
                    }
                    sqlx::query(
                        "INSERT INTO raw_tracking AS t (application_name, notification_id) VALUES ('Bench', $1) \
                         ON CONFLICT (application_name) DO UPDATE SET notification_id = excluded.notification_id",
                    )
                    .bind(i64::try_from((batch + 1) * BATCH).unwrap())
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                    tx.commit().await.unwrap();
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
