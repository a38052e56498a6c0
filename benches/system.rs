//! A two-application system on PostgreSQL beside the same work written by hand with sqlx.
//!
//! The leader records events; the follower's policy records one event for each, with its
//! tracking position in the same transaction, one transaction per upstream event.
//!
//! - Throughput: a follower starts on an empty system; the leader saves 2,000 events (20
//!   saves of 100); the time until the follower has processed the last one. The raw twin
//!   inserts the same rows with `unnest`, then reads them in pages of 100 and, for each,
//!   inserts one row and upserts the tracking position in one transaction; once with the
//!   same guarantees as the library (the table lock that orders notification ids, and
//!   NOTIFY), once without.
//! - Latency: the leader, through its own connection pool, saves one event; the time from
//!   the save's return (its commit) to the follower's commit, woken by LISTEN/NOTIFY. The
//!   raw twin: a LISTEN connection wakes a loop that reads the new row and records its
//!   copy and the tracking position. Medians and 99th percentiles are printed.
//!
//! `EVENTSOURCING_POSTGRES_TEST_URL=postgres://... cargo bench --bench system`
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eventsourcing::persistence::{ApplicationRecorder, BoxError, TrackingRecorder};
use eventsourcing::prelude::*;
use eventsourcing::system::{Policy, Processing, Runner, System, SystemApplication};
use futures_util::StreamExt;
use tokio::runtime::Runtime;
use tokio::sync::Notify;

const EVENTS: usize = 2_000;
const PER_SAVE: usize = 100;
const LATENCY_SAMPLES: usize = 200;

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

/// What the follower records: nothing reads it back.
#[allow(dead_code)]
#[aggregate]
#[derive(Debug, Clone)]
pub struct Copy {
    source: Uuid,
}

#[aggregate]
impl Copy {
    #[event("Made")]
    pub fn make(source: Uuid) -> Self {
        Self { source }
    }
}

#[derive(Debug)]
pub struct School(Application);

impl SystemApplication for School {
    const NAME: &'static str = "School";

    fn from_application(app: Application) -> Self {
        School(app)
    }

    fn application(&self) -> &Application {
        &self.0
    }
}

/// Records one event for each upstream event.
#[derive(Debug)]
pub struct Copier(Application);

impl SystemApplication for Copier {
    const NAME: &'static str = "Copier";

    fn from_application(app: Application) -> Self {
        Copier(app)
    }

    fn application(&self) -> &Application {
        &self.0
    }
}

impl Policy for Copier {
    type Event = Record<Dog>;

    async fn policy(&self, event: Record<Dog>, processing: &mut Processing) -> Result<(), BoxError> {
        if let Record::Event(event) = event {
            processing.collect(&mut Copy::make(event.originator_id))?;
        }
        Ok(())
    }
}

fn schema() -> String {
    format!("es_bench_{}", Uuid::new_v4().simple())
}

async fn runner(url: &str, schema: &str) -> Runner {
    let system = System::builder().pipe::<(School, Copier)>().build().unwrap();
    let runner = system.runner().without_process_env().env("PERSISTENCE_MODULE", "postgres");
    runner.env("POSTGRES_URL", url).env("POSTGRES_SCHEMA", schema).start().await.unwrap()
}

/// 20 dogs of 100 events each, one save each; the last notification id.
async fn teach(school: &Application) -> u64 {
    let mut last = 0;
    for _ in 0..EVENTS / PER_SAVE {
        let mut dog = Dog::register();
        for n in 0..PER_SAVE - 1 {
            dog.add_trick(format!("trick {n}"));
        }
        last = *school.save(&mut dog).await.unwrap().last().unwrap();
    }
    last
}

fn benchmarks(c: &mut Criterion) {
    let Some(url) = std::env::var("EVENTSOURCING_POSTGRES_TEST_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("skipped: set EVENTSOURCING_POSTGRES_TEST_URL to a PostgreSQL database to run it");
        return;
    };
    let rt = Runtime::new().unwrap();
    let mut group = c.benchmark_group("system postgres");
    group.sample_size(10).measurement_time(Duration::from_secs(20)).warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(EVENTS as u64));

    group.bench_function("library: leader saves, follower processes 2000 events", |b| {
        b.to_async(&rt).iter_custom(|iterations| {
            let url = url.clone();
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let schema = schema();
                    let runner = runner(&url, &schema).await;
                    let school = runner.get::<School>().unwrap().0.clone();
                    let copier = runner.get::<Copier>().unwrap().0.clone();
                    let start = Instant::now();
                    let last = teach(&school).await;
                    runner.wait(Duration::from_mins(2)).await.unwrap();
                    assert_eq!(copier.recorder().max_tracking_id("School").await.unwrap(), Some(last));
                    total += start.elapsed();
                    runner.stop().await.unwrap();
                }
                total
            }
        });
    });
    for guarantees in [true, false] {
        let name = if guarantees {
            "raw sqlx: same rows, lock + notify, one transaction per event"
        } else {
            "raw sqlx: same rows, no lock, one transaction per event"
        };
        group.bench_function(name, |b| {
            b.to_async(&rt).iter_custom(|iterations| {
                let url = url.clone();
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iterations {
                        let raw = Raw::create(&url).await;
                        let start = Instant::now();
                        raw.teach().await;
                        raw.follow_all(guarantees).await;
                        total += start.elapsed();
                    }
                    total
                }
            });
        });
    }
    group.finish();

    latency(&rt, &url);
}

/// Leader commit to follower commit, one event at a time: the library, then raw.
fn latency(rt: &Runtime, url: &str) {
    let library = rt.block_on(async {
        let schema = schema();
        let runner = runner(url, &schema).await;
        // The leader writes through a pool of its own: the follower is woken by NOTIFY.
        let builder = Application::builder("School").without_process_env().postgres(url);
        let school = builder.env("POSTGRES_SCHEMA", &schema).build().await.unwrap();
        let copier = runner.get::<Copier>().unwrap().0.clone();
        let mut copies = copier.recorder().subscribe(None, Vec::new()).await.unwrap();
        let mut samples = Vec::with_capacity(LATENCY_SAMPLES);
        for _ in 0..LATENCY_SAMPLES {
            school.save(&mut Dog::register()).await.unwrap();
            let saved = Instant::now();
            copies.next().await.unwrap().unwrap();
            samples.push(saved.elapsed());
        }
        runner.stop().await.unwrap();
        samples
    });
    let raw = rt.block_on(async {
        let raw = Raw::create(url).await;
        raw.latency().await
    });
    report("library", library);
    report("raw sqlx", raw);
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let median = samples[samples.len() / 2];
    let p99 = samples[samples.len() * 99 / 100];
    println!("system postgres latency, leader commit to follower commit, {name}: median {median:?}, p99 {p99:?}");
}

/// The same tables by hand.
struct Raw {
    pool: sqlx::PgPool,
}

impl Raw {
    async fn create(url: &str) -> Self {
        let schema = schema();
        let admin = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&admin).await.unwrap();
        let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
        let pool = sqlx::PgPool::connect_with(options.options([("search_path", schema.as_str())])).await.unwrap();
        for table in ["leader_events", "follower_events"] {
            let create = format!(
                "CREATE TABLE {table} (originator_id uuid NOT NULL, originator_version bigint NOT NULL, \
                 topic text, state bytea, notification_id bigserial, \
                 PRIMARY KEY (originator_id, originator_version))"
            );
            sqlx::query(sqlx::AssertSqlSafe(create)).execute(&pool).await.unwrap();
        }
        sqlx::query(
            "CREATE TABLE follower_tracking (application_name text PRIMARY KEY, notification_id bigint NOT NULL)",
        )
        .execute(&pool)
        .await
        .unwrap();
        Raw { pool }
    }

    async fn teach(&self) {
        let state = vec![b'x'; 106];
        for _ in 0..EVENTS / PER_SAVE {
            let id = Uuid::new_v4();
            let versions: Vec<i64> = (1..=i64::try_from(PER_SAVE).unwrap()).collect();
            let ids = vec![id; PER_SAVE];
            let topics = vec!["Dog.TrickAdded"; PER_SAVE];
            let states = vec![state.clone(); PER_SAVE];
            let mut tx = self.pool.begin().await.unwrap();
            sqlx::query("LOCK TABLE leader_events IN EXCLUSIVE MODE").execute(&mut *tx).await.unwrap();
            sqlx::query(
                "INSERT INTO leader_events (originator_id, originator_version, topic, state) \
                 SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[])",
            )
            .bind(&ids)
            .bind(&versions)
            .bind(&topics)
            .bind(&states)
            .execute(&mut *tx)
            .await
            .unwrap();
            sqlx::query("SELECT pg_notify('leader', '')").execute(&mut *tx).await.unwrap();
            tx.commit().await.unwrap();
        }
    }

    /// Processes every leader row after the tracking position; returns how many.
    async fn follow_all(&self, guarantees: bool) -> usize {
        let mut processed = 0;
        loop {
            let position: Option<i64> =
                sqlx::query_scalar("SELECT notification_id FROM follower_tracking WHERE application_name = 'leader'")
                    .fetch_optional(&self.pool)
                    .await
                    .unwrap();
            let rows: Vec<(Uuid, i64, Vec<u8>)> = sqlx::query_as(
                "SELECT originator_id, notification_id, state FROM leader_events \
                 WHERE notification_id > $1 ORDER BY notification_id LIMIT 100",
            )
            .bind(position.unwrap_or(0))
            .fetch_all(&self.pool)
            .await
            .unwrap();
            if rows.is_empty() {
                return processed;
            }
            for (source, notification_id, state) in rows {
                let _ = source;
                let mut tx = self.pool.begin().await.unwrap();
                if guarantees {
                    sqlx::query("LOCK TABLE follower_events IN EXCLUSIVE MODE").execute(&mut *tx).await.unwrap();
                }
                sqlx::query(
                    "INSERT INTO follower_tracking (application_name, notification_id) VALUES ('leader', $1) \
                     ON CONFLICT (application_name) DO UPDATE SET notification_id = excluded.notification_id \
                     WHERE follower_tracking.notification_id < excluded.notification_id",
                )
                .bind(notification_id)
                .execute(&mut *tx)
                .await
                .unwrap();
                let insert = if guarantees {
                    "WITH new AS (INSERT INTO follower_events (originator_id, originator_version, topic, state) \
                     VALUES ($1, 1, 'Copy.Made', $2) RETURNING notification_id) \
                     SELECT notification_id, pg_notify('follower', '') FROM new"
                } else {
                    "INSERT INTO follower_events (originator_id, originator_version, topic, state) \
                     VALUES ($1, 1, 'Copy.Made', $2) RETURNING notification_id"
                };
                sqlx::query(insert).bind(Uuid::new_v4()).bind(&state).fetch_all(&mut *tx).await.unwrap();
                tx.commit().await.unwrap();
                processed += 1;
            }
        }
    }

    /// Leader commit to follower commit, woken by LISTEN/NOTIFY.
    async fn latency(&self) -> Vec<Duration> {
        let done = Arc::new(Notify::new());
        let follower = {
            let (pool, done) = (self.pool.clone(), done.clone());
            tokio::spawn(async move {
                let raw = Raw { pool: pool.clone() };
                let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await.unwrap();
                listener.listen("leader").await.unwrap();
                loop {
                    if listener.recv().await.is_err() {
                        return;
                    }
                    if raw.follow_all(true).await > 0 {
                        done.notify_one();
                    }
                }
            })
        };
        // Let the listener start.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut samples = Vec::with_capacity(LATENCY_SAMPLES);
        let state = vec![b'x'; 106];
        for _ in 0..LATENCY_SAMPLES {
            let mut tx = self.pool.begin().await.unwrap();
            sqlx::query("LOCK TABLE leader_events IN EXCLUSIVE MODE").execute(&mut *tx).await.unwrap();
            sqlx::query(
                "WITH new AS (INSERT INTO leader_events (originator_id, originator_version, topic, state) \
                 VALUES ($1, 1, 'Dog.Registered', $2) RETURNING notification_id) \
                 SELECT notification_id, pg_notify('leader', '') FROM new",
            )
            .bind(Uuid::new_v4())
            .bind(&state)
            .fetch_all(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
            let committed = Instant::now();
            done.notified().await;
            samples.push(committed.elapsed());
        }
        follower.abort();
        samples
    }
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
