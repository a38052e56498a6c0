//! The library beside the raw database, in one run, as a table.
//!
//! Each row measures one operation of the library and, where the database can do the same
//! work without it, raw sqlx on the same tables with the same bytes (the records the library
//! wrote): saving one new aggregate, saving 10 aggregates × 100 events at once, writers
//! saving concurrently, getting aggregates of 100 and 10,000 events (from their events, from
//! a snapshot, and encrypted and compressed), and reading the notification log in pages of
//! 1,000 with decoding. Every figure is the median of three rounds.
//!
//! Some rows put the library beside a floor rather than the same work: a snapshot load
//! beside the raw SELECT of the snapshot's row (in memory, beside building the same state),
//! with JSON and with the bincode codec; PostgreSQL's batch beside the raw INSERT with what
//! the store's write adds (the table lock, the ids returned in order, the NOTIFY); the
//! encrypted records opened alone (decrypted and decompressed) beside the whole plain get;
//! the records of a 10,000-event get selected alone (the store's part) beside the SELECT.
//!
//! `EVENTSOURCING_POSTGRES_TEST_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench speed`
//!
//! Without the variable, PostgreSQL's rows are left out. `SPEED_STORES=memory,sqlite` measures
//! only those stores; `SPEED_ROUND_MS` sets the length of a round (default 700 ms).
#![allow(missing_docs)]

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eventsourcing::application::ApplicationBuilder;
use eventsourcing::persistence::{AggregateRecorder, ChainCursor, Cipher, EventQuery, NotificationQuery};
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

const ROUNDS: usize = 3;
const WRITERS: usize = 8;

fn round() -> Duration {
    let ms = std::env::var("SPEED_ROUND_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(700);
    Duration::from_millis(ms)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Seconds per operation, the median of three rounds of at least `round()` and three
/// operations each.
async fn seconds<F, Fut>(mut op: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    op().await;
    let mut times = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let mut n = 0_u32;
        while n < 3 || start.elapsed() < round() {
            op().await;
            n += 1;
        }
        times.push(start.elapsed().as_secs_f64() / f64::from(n));
    }
    median(times)
}

/// Operations per second, each counting `per_op`.
async fn rate<F, Fut>(per_op: u32, op: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    f64::from(per_op) / seconds(op).await
}

/// Milliseconds per operation.
async fn millis<F, Fut>(op: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    seconds(op).await * 1000.0
}

/// Seconds per operation of the library's `lib` and the raw `raw`, run alternately so that
/// whatever else the machine does weighs on both alike; the medians of three rounds.
async fn paired<L, LF, R, RF>(mut lib: L, mut raw: R) -> (f64, f64)
where
    L: FnMut() -> LF,
    LF: Future<Output = ()>,
    R: FnMut() -> RF,
    RF: Future<Output = ()>,
{
    lib().await;
    raw().await;
    let (mut libs, mut raws) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let (mut in_lib, mut in_raw, mut n) = (Duration::ZERO, Duration::ZERO, 0_u32);
        while n < 3 || start.elapsed() < round() {
            let t = Instant::now();
            lib().await;
            in_lib += t.elapsed();
            let t = Instant::now();
            raw().await;
            in_raw += t.elapsed();
            n += 1;
        }
        libs.push(in_lib.as_secs_f64() / f64::from(n));
        raws.push(in_raw.as_secs_f64() / f64::from(n));
    }
    (median(libs), median(raws))
}

/// Transactions per second of `writers` tasks each running `op` in a loop for a round;
/// the median of three rounds.
async fn concurrent<F, Fut>(writers: usize, op: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    op().await;
    let mut rates = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let tasks: Vec<_> = (0..writers)
            .map(|_| {
                let op = op.clone();
                tokio::spawn(async move {
                    let mut done = 0_u32;
                    while start.elapsed() < round() {
                        op().await;
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        let mut done = 0;
        for task in tasks {
            done += task.await.unwrap();
        }
        rates.push(f64::from(done) / start.elapsed().as_secs_f64());
    }
    median(rates)
}

/// A row of the table, printed as it is measured.
fn row(operation: &str, library: &str, raw: &str, ratio: &str) {
    println!("| {operation} | {library} | {raw} | {ratio} |");
}

/// A throughput beside its raw twin: ratio = library / raw (higher is better).
fn rates(operation: &str, unit: &str, library: f64, raw: Option<(&str, f64)>) {
    let (raw, ratio) = match raw {
        Some((what, r)) => (format!("{} {unit} {what}", count(r)), format!("{:.2}x", library / r)),
        None => ("-".into(), "-".into()),
    };
    row(operation, &format!("{} {unit}", count(library)), &raw, &ratio);
}

/// A time beside its raw twin: ratio = library / raw (lower is better).
fn times(operation: &str, library: f64, raw: Option<(&str, f64)>) {
    let (raw, ratio) = match raw {
        Some((what, r)) => (format!("{} {what}", ms(r)), format!("{:.2}x", library / r)),
        None => ("-".into(), "-".into()),
    };
    row(operation, &ms(library), &raw, &ratio);
}

fn count(value: f64) -> String {
    if value >= 100_000.0 { format!("{:.0}k", value / 1000.0) } else { format!("{value:.0}") }
}

fn ms(value: f64) -> String {
    if value < 1.0 { format!("{value:.3} ms") } else { format!("{value:.2} ms") }
}

/// A raw connection to the same tables.
#[derive(Clone)]
enum Raw {
    /// SQLite: reads from the library's file; writes to a file of the same schema of its
    /// own, so that neither side pays for the other's WAL checkpoints.
    Sqlite {
        reads: sqlx::SqlitePool,
        writes: sqlx::SqlitePool,
        /// The files of the applications taking snapshots, with JSON and with bincode.
        snapshots: [sqlx::SqlitePool; 2],
    },
    Postgres(sqlx::PgPool, String),
}

impl Raw {
    /// Inserts one row in autocommit.
    async fn insert_one(&self, state: &[u8]) {
        match self {
            Raw::Sqlite { writes: pool, .. } => {
                sqlx::query("INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?, 1, 'Dog.Registered', ?)")
                    .bind(Uuid::new_v4().simple().to_string())
                    .bind(state)
                    .execute(pool)
                    .await
                    .unwrap();
            }
            Raw::Postgres(pool, table) => {
                let sql = format!(
                    "INSERT INTO {table} (originator_id, originator_version, topic, state) VALUES ($1, 1, 'Dog.Registered', $2)"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(Uuid::new_v4()).bind(state).execute(pool).await.unwrap();
            }
        }
    }

    /// Inserts one row in an explicit transaction.
    async fn insert_one_in_transaction(&self, state: &[u8]) {
        let Raw::Postgres(pool, table) = self else { unreachable!() };
        let mut tx = pool.begin().await.unwrap();
        let sql = format!(
            "INSERT INTO {table} (originator_id, originator_version, topic, state) VALUES ($1, 1, 'Dog.Registered', $2)"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(Uuid::new_v4()).bind(state).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    }

    /// Inserts rows in one transaction: row by row on SQLite, one `unnest` on PostgreSQL.
    async fn insert_many(&self, rows: &[(Uuid, i64)], state: &[u8]) {
        match self {
            Raw::Sqlite { writes: pool, .. } => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
                for (id, version) in rows {
                    sqlx::query("INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?, ?, 'Dog.TrickAdded', ?)")
                        .bind(id.simple().to_string())
                        .bind(version)
                        .bind(state)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                }
                tx.commit().await.unwrap();
            }
            Raw::Postgres(pool, table) => {
                let sql = format!("INSERT INTO {table} (originator_id, originator_version, topic, state) {UNNEST}");
                unnest(sql, rows, state).execute(pool).await.unwrap();
            }
        }
    }

    /// Inserts rows with one `unnest` as the store does, with the guarantees its write
    /// adds: in one transaction under the table's `EXCLUSIVE` lock, returning the
    /// notification ids in order, notifying (PostgreSQL only).
    async fn insert_many_guarded(&self, rows: &[(Uuid, i64)], state: &[u8]) {
        let Raw::Postgres(pool, table) = self else { unreachable!() };
        let mut tx = pool.begin().await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("LOCK TABLE {table} IN EXCLUSIVE MODE")))
            .execute(&mut *tx)
            .await
            .unwrap();
        let sql = format!(
            "WITH new AS (INSERT INTO {table} (originator_id, originator_version, topic, state) {UNNEST} \
             RETURNING notification_id), notified AS (SELECT pg_notify('speed_raw', '')) \
             SELECT new.notification_id FROM new, notified ORDER BY new.notification_id"
        );
        let returned = unnest(sql, rows, state).fetch_all(&mut *tx).await.unwrap();
        assert_eq!(returned.len(), rows.len());
        tx.commit().await.unwrap();
    }

    /// Selects one aggregate's rows, as the library does.
    async fn select(&self, id: Uuid) -> usize {
        match self {
            Raw::Sqlite { reads: pool, .. } => sqlx::query(
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

    /// Selects an aggregate's latest snapshot, of the application taking snapshots with
    /// JSON (`compact` false) or with bincode.
    async fn snapshot(&self, compact: bool, id: Uuid) {
        match self {
            Raw::Sqlite { snapshots, .. } => {
                let row = sqlx::query(
                    "SELECT originator_version, topic, state FROM stored_snapshots \
                     WHERE originator_id = ? ORDER BY originator_version DESC LIMIT 1",
                )
                .bind(id.simple().to_string())
                .fetch_one(&snapshots[usize::from(compact)])
                .await
                .unwrap();
                std::hint::black_box(row);
            }
            Raw::Postgres(pool, table) => {
                let prefix = if compact { "compact" } else { "snapshots" };
                let table = table.replace("plain_events", &format!("{prefix}_snapshots"));
                let sql = format!(
                    "SELECT originator_version, topic, state FROM {table} \
                     WHERE originator_id = $1 ORDER BY originator_version DESC LIMIT 1"
                );
                let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(pool).await.unwrap();
                std::hint::black_box(row);
            }
        }
    }

    /// One page of 1,000 notifications after `after`.
    async fn page(&self, after: i64) -> usize {
        match self {
            Raw::Sqlite { reads: pool, .. } => sqlx::query(
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

/// The rows of PostgreSQL's raw batch, as `$1` to `$4` of [`unnest`].
const UNNEST: &str = "SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[])";

/// `sql`, which inserts [`UNNEST`], with the rows' ids, versions, topics and states bound.
fn unnest<'q>(
    sql: String,
    rows: &[(Uuid, i64)],
    state: &'q [u8],
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(rows.iter().map(|r| r.0).collect::<Vec<Uuid>>())
        .bind(rows.iter().map(|r| r.1).collect::<Vec<i64>>())
        .bind(vec!["Dog.TrickAdded"; rows.len()])
        .bind(vec![state; rows.len()])
}

/// The rows of a batch of 10 new aggregates × 100 events: ids and versions.
fn batch_rows() -> Vec<(Uuid, i64)> {
    (0..10).flat_map(|_| std::iter::repeat(Uuid::new_v4()).zip(1..=100)).collect()
}

/// One store: its plain application, one taking snapshots, one encrypting and compressing,
/// and the raw connection.
struct Store {
    name: &'static str,
    plain: Application,
    snapshots: Application,
    /// Taking snapshots, with the bincode codec.
    compact: Application,
    sealed: Application,
    raw: Option<Raw>,
    /// Dropped after the run (PostgreSQL).
    schemas: Vec<String>,
}

async fn build(name: &'static str, configure: impl Fn(ApplicationBuilder, &str) -> ApplicationBuilder) -> Application {
    let builder =
        Application::builder(name).without_process_env().snapshotting(matches!(name, "Snapshots" | "Compact"));
    let builder = match name {
        "Sealed" => builder.env("CIPHER_KEY", Cipher::generate_key().unwrap()).env("COMPRESSOR_TOPIC", "zstd"),
        "Compact" => builder.env("TRANSCODER_TOPIC", "bincode"),
        _ => builder,
    };
    configure(builder, name).build().await.unwrap()
}

async fn stores() -> Vec<Store> {
    let mut stores = Vec::new();
    stores.push(Store {
        name: "memory",
        plain: build("Plain", |b, _| b).await,
        snapshots: build("Snapshots", |b, _| b).await,
        compact: build("Compact", |b, _| b).await,
        sealed: build("Sealed", |b, _| b).await,
        raw: None,
        schemas: Vec::new(),
    });

    let dir = std::env::temp_dir().join("eventsourcing-speed");
    std::fs::create_dir_all(&dir).unwrap();
    let file = |what: &str| dir.join(format!("{what}-{}.sqlite", Uuid::new_v4())).display().to_string();
    let plain_path = file("plain");
    let plain = build("Plain", |b, _| b.sqlite(plain_path.clone())).await;
    let snapshots_path = file("snapshots");
    let snapshots = build("Snapshots", |b, _| b.sqlite(snapshots_path.clone())).await;
    let compact_path = file("compact");
    let compact = build("Compact", |b, _| b.sqlite(compact_path.clone())).await;
    let sealed_path = file("sealed");
    let sealed = build("Sealed", |b, _| b.sqlite(sealed_path.clone())).await;
    // The raw twin's own file, with the tables the library makes.
    let raw_path = file("raw");
    build("Raw", |b, _| b.sqlite(raw_path.clone())).await;
    let raw_pool = async |path: &str| {
        sqlx::sqlite::SqlitePoolOptions::new()
            .connect_with(
                sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlx::sqlite::SqliteSynchronous::Full),
            )
            .await
            .unwrap()
    };
    let raw = Raw::Sqlite {
        reads: raw_pool(&plain_path).await,
        writes: raw_pool(&raw_path).await,
        snapshots: [raw_pool(&snapshots_path).await, raw_pool(&compact_path).await],
    };
    stores.push(Store { name: "SQLite", plain, snapshots, compact, sealed, raw: Some(raw), schemas: Vec::new() });

    match std::env::var("EVENTSOURCING_POSTGRES_TEST_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => {
            let schema = format!("es_speed_{}", Uuid::new_v4().simple());
            let on_postgres = |b: ApplicationBuilder, _: &str| {
                b.postgres(url.clone()).env("POSTGRES_SCHEMA", &schema).env("POSTGRES_POOL_SIZE", "10")
            };
            let plain = build("Plain", on_postgres).await;
            let snapshots = build("Snapshots", on_postgres).await;
            let compact = build("Compact", on_postgres).await;
            let sealed = build("Sealed", on_postgres).await;
            let pool = sqlx::postgres::PgPoolOptions::new().max_connections(10).connect(&url).await.unwrap();
            let table = format!("\"{schema}\".plain_events");
            stores.push(Store {
                name: "PostgreSQL",
                plain,
                snapshots,
                compact,
                sealed,
                raw: Some(Raw::Postgres(pool, table)),
                schemas: vec![schema],
            });
        }
        None => eprintln!("PostgreSQL left out: set EVENTSOURCING_POSTGRES_TEST_URL to include it"),
    }
    stores
}

/// Saving: one event, a batch, and concurrent writers.
async fn measure_writes(store: &Store) {
    let name = store.name;
    let app = &store.plain;
    // The bytes the library writes for one event, for the raw twin to write too.
    let registered = app.mapper().encode_events::<Dog>(dog_with(0).pending_events(), None).unwrap().0;
    let added = app.mapper().encode_events::<Dog>(&dog_with(1).pending_events()[1..], None).unwrap().0;
    let (one, trick) = (registered[0].state.clone(), added[0].state.clone());

    let save_one = || async {
        app.save(&mut Dog::register("Fido".into())).await.unwrap();
    };
    let operation = format!("{name}: save 1 new aggregate (1 event)");
    match &store.raw {
        Some(raw @ Raw::Postgres(..)) => {
            let (library, auto) = paired(save_one, || raw.insert_one(&one)).await;
            rates(&operation, "/s", 1.0 / library, Some(("autocommit INSERT", 1.0 / auto)));
            let (library, tx) = paired(save_one, || raw.insert_one_in_transaction(&one)).await;
            rates(&format!("{name}: the same"), "/s", 1.0 / library, Some(("BEGIN/INSERT/COMMIT", 1.0 / tx)));
        }
        Some(raw) => {
            let (library, auto) = paired(save_one, || raw.insert_one(&one)).await;
            rates(&operation, "/s", 1.0 / library, Some(("INSERT", 1.0 / auto)));
        }
        None => rates(&operation, "/s", rate(1, save_one).await, None),
    }

    measure_batch(store, &trick).await;

    if matches!(store.raw, Some(Raw::Postgres(..))) {
        let one_writer = rate(1, save_one).await;
        let shared = app.clone();
        let many = concurrent(WRITERS, move || {
            let app = shared.clone();
            async move {
                app.save(&mut Dog::register("Fido".into())).await.unwrap();
            }
        })
        .await;
        let raw = store.raw.clone().unwrap();
        let state = one.clone();
        let raw_many = concurrent(WRITERS, move || {
            let (raw, state) = (raw.clone(), state.clone());
            async move { raw.insert_one(&state).await }
        })
        .await;
        row(
            &format!("{name}: {WRITERS} writers, 1-event saves"),
            &format!("{} tx/s ({:.2}x 1 writer: {})", count(many), many / one_writer, count(one_writer)),
            &format!("{} tx/s autocommit INSERTs", count(raw_many)),
            &format!("{:.2}x", many / raw_many),
        );
    }
}

/// Saving a batch of 10 aggregates x 100 events, beside the raw INSERTs of the same rows.
async fn measure_batch(store: &Store, trick: &[u8]) {
    let name = store.name;
    let app = &store.plain;
    let save_many = || async {
        let mut dogs: Vec<Dog> = (0..10).map(|_| dog_with(99)).collect();
        app.save(&mut dogs[..]).await.unwrap();
    };
    let operation = format!("{name}: save 10 aggregates x 100 events at once");
    match &store.raw {
        Some(raw) => {
            let what =
                if matches!(raw, Raw::Sqlite { .. }) { "row by row, one transaction" } else { "one unnest INSERT" };
            let insert_many = || async {
                raw.insert_many(&batch_rows(), trick).await;
            };
            let (library, raw_rate) = paired(save_many, insert_many).await;
            rates(&operation, "ev/s", 1000.0 / library, Some((what, 1000.0 / raw_rate)));
            // The store alone: the same records, encoded beforehand, through the recorder.
            let record = || async {
                let mut dogs: Vec<Dog> = (0..10).map(|_| dog_with(99)).collect();
                let records = dogs
                    .iter_mut()
                    .flat_map(|dog| app.mapper().encode_events::<Dog>(dog.pending_events(), None).unwrap().0)
                    .collect();
                app.recorder().insert_events(records).await.unwrap();
            };
            let encode = || async {
                let mut dogs: Vec<Dog> = (0..10).map(|_| dog_with(99)).collect();
                for dog in &mut dogs {
                    std::hint::black_box(app.mapper().encode_events::<Dog>(dog.pending_events(), None).unwrap());
                }
            };
            let (recorded, encoded) = paired(record, encode).await;
            let store_alone = recorded - encoded;
            rates(
                &format!("{name}: the same, store alone (encoding taken out)"),
                "ev/s",
                1000.0 / store_alone,
                Some((what, 1000.0 / raw_rate)),
            );
            if matches!(raw, Raw::Postgres(..)) {
                // The raw INSERT with what the store's write adds: the table lock that
                // keeps commit order, the notification ids returned in order, the NOTIFY.
                let guarded = || async {
                    raw.insert_many_guarded(&batch_rows(), trick).await;
                };
                let (library, guarded) = paired(save_many, guarded).await;
                rates(
                    &format!("{name}: the same"),
                    "ev/s",
                    1000.0 / library,
                    Some(("unnest INSERT with LOCK, RETURNING, NOTIFY", 1000.0 / guarded)),
                );
            }
        }
        None => rates(&operation, "ev/s", rate(1000, save_many).await, None),
    }
}

/// Getting aggregates (from events, a snapshot, encrypted records) and reading the log.
async fn measure_reads(store: &Store) {
    let name = store.name;
    let app = &store.plain;
    for size in [100_usize, 10_000] {
        let mut dog = dog_with(size - 1);
        app.save(&mut dog).await.unwrap();
        let id = *dog.id();
        let get = || async {
            app.repository().get::<Dog>(&id).await.unwrap();
        };
        let operation = format!("{name}: get a {size}-event aggregate");
        match &store.raw {
            Some(raw) => {
                let select = || async { assert_eq!(raw.select(id).await, size) };
                let (library, raw_select) = paired(get, select).await;
                times(&operation, library * 1000.0, Some(("SELECT", raw_select * 1000.0)));
                if size == 10_000 {
                    // The store's part of that get: the same rows selected as records, not
                    // decoded; the rest of the get is decoding and replaying.
                    let originator_id = id.to_originator_id();
                    let records = || async {
                        let selected = app.recorder().select_events_shared(&originator_id, EventQuery::all()).await;
                        assert_eq!(selected.unwrap().len(), size);
                    };
                    let (records, raw_select) = paired(records, select).await;
                    times(
                        &format!("{name}: its records selected alone, not decoded"),
                        records * 1000.0,
                        Some(("SELECT", raw_select * 1000.0)),
                    );
                }
            }
            None => times(&operation, millis(get).await, None),
        }
        if size == 10_000 {
            // Beside the raw SELECT of the snapshot's row, and in memory beside building
            // the same state (cloning its 10,000 strings): the floors under the two costs.
            for (compact, snapshots) in [(false, &store.snapshots), (true, &store.compact)] {
                let mut dog = dog_with(size - 1);
                snapshots.save(&mut dog).await.unwrap();
                let id = *dog.id();
                snapshots.take_snapshot::<Dog>(&id, None).await.unwrap();
                let get = || async {
                    snapshots.repository().get::<Dog>(&id).await.unwrap();
                };
                let operation =
                    format!("{name}: get it from a snapshot{}", if compact { ", bincode codec" } else { "" });
                let (library, raw, what) = if let Some(raw) = &store.raw {
                    let (library, raw) = paired(get, || raw.snapshot(compact, id)).await;
                    (library, raw, "SELECT")
                } else {
                    let (name, tricks) = (dog.name.clone(), dog.tricks.clone());
                    let build = || async {
                        std::hint::black_box((name.clone(), tricks.clone()));
                    };
                    let (library, build) = paired(get, build).await;
                    (library, build, "building the same state")
                };
                times(&operation, library * 1000.0, Some((what, raw * 1000.0)));
            }

            let sealed = &store.sealed;
            let mut dog = dog_with(size - 1);
            sealed.save(&mut dog).await.unwrap();
            let sealed_id = *dog.id();
            let get_sealed = || async {
                sealed.repository().get::<Dog>(&sealed_id).await.unwrap();
            };
            let (encrypted, plain) = paired(get_sealed, get).await;
            times(&format!("{name}: get it encrypted + zstd"), encrypted * 1000.0, Some(("plain", plain * 1000.0)));
            // What the cipher and zstd cost on their own: the same records opened (checked,
            // decrypted, decompressed) without decoding, beside the whole plain get.
            let records =
                sealed.recorder().select_events(&sealed_id.to_originator_id(), EventQuery::all()).await.unwrap();
            let open = || async {
                let mut cursor = ChainCursor::from_start();
                for record in &records {
                    std::hint::black_box(sealed.mapper().inspect(record, &mut cursor).unwrap());
                }
            };
            let (opened, plain) = paired(open, get).await;
            times(
                &format!("{name}: its records decrypted + decompressed alone"),
                opened * 1000.0,
                Some(("plain get", plain * 1000.0)),
            );
        }
    }

    let read_log = || async {
        let page = app.recorder().select_notifications(NotificationQuery::after(Some(0), 1000)).await.unwrap();
        let mut cursor = ChainCursor::after(None);
        for n in &page {
            app.mapper().decode_event::<Dog>(&n.event, &mut cursor).unwrap();
        }
        assert_eq!(page.len(), 1000);
    };
    let operation = format!("{name}: read + decode the log, pages of 1000");
    match &store.raw {
        Some(raw) => {
            let (library, raw) = paired(read_log, || async { assert_eq!(raw.page(0).await, 1000) }).await;
            rates(&operation, "ev/s", 1000.0 / library, Some(("paged SELECT", 1000.0 / raw)));
        }
        None => rates(&operation, "ev/s", rate(1000, read_log).await, None),
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter or other arguments are not used.
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        let stores = stores().await;
        println!("| operation | this library | raw sqlx, same work | ratio |");
        println!("|---|---|---|---|");
        let only = std::env::var("SPEED_STORES").unwrap_or_default().to_lowercase();
        for store in &stores {
            if only.is_empty() || only.split(',').any(|s| s.trim() == store.name.to_lowercase()) {
                measure_writes(store).await;
                measure_reads(store).await;
            }
        }
        for store in &stores {
            if let Some(Raw::Postgres(pool, _)) = &store.raw {
                for schema in &store.schemas {
                    let sql = format!("DROP SCHEMA \"{schema}\" CASCADE");
                    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await.unwrap();
                }
            }
        }
        let _ = std::fs::remove_dir_all(std::env::temp_dir().join("eventsourcing-speed"));
    });
}
