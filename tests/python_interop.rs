//! Both ways with Python `eventsourcing` 9.5.6 itself, on SQLite and PostgreSQL, plain and
//! with AES-GCM and zlib: Python's own `Application` writes a dog school that this library
//! reads (events, versions, a snapshot, the notification log), and reads with its own
//! `Application` one that this library wrote.
//!
//! `EVENTSOURCING_PYTHON` names a Python interpreter with `eventsourcing==9.5.6` (and
//! `pycryptodome`, `psycopg[binary]`, `psycopg_pool`) installed; `.ci/run` makes one.
//! Without it the tests print that they were skipped.
#![allow(missing_docs)]

mod support;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use std::time::Duration;

use eventsourcing::persistence::python::AesCipher;
use eventsourcing::persistence::{AggregateRecorder, BoxError, EventQuery, TrackingRecorder};
use eventsourcing::prelude::*;
use eventsourcing::system::{Policy, Processing, System, SystemApplication};
use support::python_dog::{Dog, DogEvent};
use support::{Schema, SqliteFile};

/// The interpreter, or `None` (having said so) to skip.
fn python() -> Option<String> {
    eventsourcing_core::testing::env_or_skip("EVENTSOURCING_PYTHON")
}

/// Runs `script` (in `tests/python`) with `env`, feeding it `input`; its standard output.
fn run(python: &str, script: &str, env: &[(String, String)], input: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("python");
    let mut child = Command::new(python)
        .arg(script)
        .current_dir(&dir)
        .env_clear()
        .envs(env.iter().cloned())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{script} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A store both sides open: the variables Python reads and those this library reads.
struct Store {
    python: Vec<(String, String)>,
    rust: Vec<(String, String)>,
    /// The PostgreSQL schema, dropped with the store.
    _schema: Option<Schema>,
    _file: Option<SqliteFile>,
}

fn pair(key: &str, value: &str) -> (String, String) {
    (key.to_owned(), value.to_owned())
}

impl Store {
    fn sqlite() -> Self {
        let file = SqliteFile::new("python");
        Store {
            python: vec![pair("PERSISTENCE_MODULE", "eventsourcing.sqlite"), pair("SQLITE_DBNAME", &file.0)],
            rust: vec![pair("PERSISTENCE_MODULE", "sqlite"), pair("SQLITE_DBNAME", &file.0)],
            _schema: None,
            _file: Some(file),
        }
    }

    /// A schema of the test's own, which Python needs to exist already.
    async fn postgres() -> Option<Self> {
        let url = eventsourcing_core::testing::env_or_skip("EVENTSOURCING_POSTGRES_TEST_URL")?;
        let schema = Schema::new(&url);
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&pool).await.unwrap();
        let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
        let python = vec![
            pair("PERSISTENCE_MODULE", "eventsourcing.postgres"),
            pair("POSTGRES_HOST", options.get_host()),
            pair("POSTGRES_PORT", &options.get_port().to_string()),
            pair("POSTGRES_USER", options.get_username()),
            pair("POSTGRES_PASSWORD", ""),
            pair("POSTGRES_DBNAME", options.get_database().unwrap_or("postgres")),
            pair("POSTGRES_SCHEMA", &schema),
        ];
        let rust =
            vec![pair("PERSISTENCE_MODULE", "postgres"), pair("POSTGRES_URL", &url), pair("POSTGRES_SCHEMA", &schema)];
        Some(Store { python, rust, _schema: Some(schema), _file: None })
    }

    /// With AES-GCM and zlib, set as Python sets them.
    fn encrypted(mut self) -> Self {
        let key = AesCipher::create_key(24).unwrap();
        for vars in [&mut self.python, &mut self.rust] {
            vars.push(pair("COMPRESSOR_TOPIC", "eventsourcing.compressor:ZlibCompressor"));
            vars.push(pair("CIPHER_TOPIC", "eventsourcing.cipher:AESCipher"));
            vars.push(pair("CIPHER_KEY", &key));
        }
        self
    }

    async fn application(&self) -> Application {
        let mut builder = Application::builder("DogSchool")
            .without_process_env()
            .env("RECORD_FORMAT", "python")
            .env("IS_SNAPSHOTTING_ENABLED", "y");
        for (key, value) in &self.rust {
            builder = builder.env(key, value);
        }
        builder.build().await.unwrap()
    }
}

/// Python writes; this library reads every record, a version, the snapshot and the log.
async fn python_writes_rust_reads(python: &str, store: Store) {
    let wrote = run(python, "write_store.py", &store.python, "");
    rust_reads(&store, &wrote).await;
}

/// Reads the store `tests/python/write_store.py` wrote, which printed `wrote`.
async fn rust_reads(store: &Store, wrote: &str) {
    let wrote: serde_json::Value = serde_json::from_str(wrote.trim()).unwrap();
    let fido = Uuid::parse_str(wrote["fido"].as_str().unwrap()).unwrap();
    let app = store.application().await;

    let dog: Dog = app.repository().get(&fido).await.unwrap();
    assert_eq!(dog.name, "Max", "renamed last by a version 1 record, upcast");
    assert_eq!(dog.tricks, ["roll over", "fetch"]);
    assert_eq!(dog.owner, Some(Uuid::parse_str("12345678-1234-5678-1234-567812345678").unwrap()));
    assert_eq!(dog.born.unwrap().to_rfc3339(), "2020-01-02T03:04:05.678901+00:00");
    assert_eq!(dog.version(), wrote["fido_version"].as_u64().unwrap());
    let first: Dog = app.repository().get_at(&fido, 1).await.unwrap();
    assert!(first.tricks.is_empty());

    // The snapshot Python took (at version 3) reads as one.
    let snapshots = app.snapshot_recorder().unwrap();
    let taken = snapshots.select_events(&fido.to_originator_id(), EventQuery::all()).await.unwrap();
    assert_eq!(taken.len(), 1);
    let snapshot = app.mapper().decode_snapshot::<Dog>(&taken[0]).unwrap();
    assert_eq!((snapshot.originator_version, snapshot.state.tricks.len()), (3, 1));

    let milly = Uuid::parse_str(wrote["milly"].as_str().unwrap()).unwrap();
    assert_eq!(app.repository().get::<Dog>(&milly).await.unwrap().name, "Milly");
    let log = app.notification_log().select(1, 10).await.unwrap();
    assert_eq!(log.len() as u64, wrote["notifications"].as_u64().unwrap());
    assert_eq!(log.len(), 7);
    for notification in &log {
        let record: Option<Record<Dog>> = app.decode(notification).unwrap();
        assert!(matches!(record, Some(Record::Event(_))), "{}", notification.event.topic);
    }
    let renamed = |index: usize| match app.decode::<Record<Dog>>(&log[index]).unwrap() {
        Some(Record::Event(event)) => event.payload,
        other => panic!("{other:?}"),
    };
    assert_eq!(renamed(3), DogEvent::NameChanged { name: "Rex".into(), reason: "renamed".into() });
    assert_eq!(renamed(6), DogEvent::NameChanged { name: "Max".into(), reason: "upcast-default".into() });
}

/// This library writes; Python's own application reads it back.
async fn rust_writes_python_reads(python: &str, store: Store) {
    let app = store.application().await;
    let mut dog = Dog::register("Fido");
    dog.add_trick("roll over");
    let owner = Uuid::new_v4();
    let born = DateTime::parse_from_rfc3339("2019-05-06T07:08:09.123456Z").unwrap().with_timezone(&Utc);
    dog.adopt(owner, born, vec![owner]);
    app.save(&mut dog).await.unwrap();
    app.take_snapshot::<Dog>(dog.id(), None).await.unwrap();
    dog.change_name("Rex", "renamed");
    dog.add_trick("fetch");
    app.save(&mut dog).await.unwrap();
    let expected = serde_json::json!({
        "id": dog.id().to_string(),
        "name": "Rex",
        "tricks": ["roll over", "fetch"],
        "version": dog.version(),
        "owner": owner.to_string(),
        "born": "2019-05-06T07:08:09.123456+00:00",
        "notifications": 5,
    });
    let said = run(python, "check_store.py", &store.python, &expected.to_string());
    assert!(said.contains("Python read what the Rust side wrote"), "{said}");
}

/// The stores `tests/python/make_fixtures.sh` made with Python 9.5.6, read without Python.
#[tokio::test]
async fn golden_stores_python_wrote_read_back() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures").join("python");
    for (name, key) in [("dogschool", None), ("dogschool-aes-zlib", Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"))] {
        // A copy: opening a store may change the file (its journal mode).
        let mut store = Store::sqlite();
        let (_, path) = &store.rust[1];
        std::fs::copy(fixtures.join(format!("{name}.sqlite")), path).unwrap();
        if let Some(key) = key {
            store.rust.push(pair("COMPRESSOR_TOPIC", "eventsourcing.compressor:ZlibCompressor"));
            store.rust.push(pair("CIPHER_KEY", key));
        }
        let wrote = std::fs::read_to_string(fixtures.join(format!("{name}.json"))).unwrap();
        rust_reads(&store, &wrote).await;
    }
}

/// The PostgreSQL schemas `tests/python/make_fixtures.sh` made with Python 9.5.6 and
/// dumped, loaded into a schema of the test's own and read without Python.
#[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
#[tokio::test]
async fn golden_postgres_dumps_python_wrote_read_back() {
    let Some(url) = eventsourcing_core::testing::env_or_skip("EVENTSOURCING_POSTGRES_TEST_URL") else { return };
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures").join("python");
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    for (name, key) in
        [("dogschool-postgres", None), ("dogschool-aes-zlib-postgres", Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"))]
    {
        let schema = Schema::new(&url);
        let dump = std::fs::read_to_string(fixtures.join(format!("{name}.sql"))).unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(dump.replace("python_fixture", &schema))).execute(&pool).await.unwrap();
        let mut rust =
            vec![pair("PERSISTENCE_MODULE", "postgres"), pair("POSTGRES_URL", &url), pair("POSTGRES_SCHEMA", &schema)];
        if let Some(key) = key {
            rust.push(pair("COMPRESSOR_TOPIC", "eventsourcing.compressor:ZlibCompressor"));
            rust.push(pair("CIPHER_KEY", key));
        }
        let wrote = std::fs::read_to_string(fixtures.join(format!("{name}.json"))).unwrap();
        rust_reads(&Store { python: Vec::new(), rust, _schema: Some(schema), _file: None }, &wrote).await;
    }
}

#[cfg_attr(not(python_tests), ignore = "set EVENTSOURCING_PYTHON to run it")]
#[tokio::test(flavor = "multi_thread")]
async fn python_and_rust_read_each_others_sqlite_stores() {
    let Some(python) = python() else { return };
    python_writes_rust_reads(&python, Store::sqlite()).await;
    python_writes_rust_reads(&python, Store::sqlite().encrypted()).await;
    rust_writes_python_reads(&python, Store::sqlite()).await;
    rust_writes_python_reads(&python, Store::sqlite().encrypted()).await;
}

#[cfg_attr(
    not(all(python_tests, postgres_tests)),
    ignore = "set EVENTSOURCING_PYTHON and EVENTSOURCING_POSTGRES_TEST_URL to run it"
)]
#[tokio::test(flavor = "multi_thread")]
async fn python_and_rust_read_each_others_postgres_stores() {
    let Some(python) = python() else { return };
    let Some(store) = Store::postgres().await else { return };
    python_writes_rust_reads(&python, store).await;
    python_writes_rust_reads(&python, Store::postgres().await.unwrap().encrypted()).await;
    rust_writes_python_reads(&python, Store::postgres().await.unwrap()).await;
    rust_writes_python_reads(&python, Store::postgres().await.unwrap().encrypted()).await;
}

/// The Python application, as a leader of a Rust system.
#[derive(Debug)]
pub struct DogSchool(Application);

impl SystemApplication for DogSchool {
    const NAME: &'static str = "DogSchool";

    fn from_application(app: Application) -> Self {
        DogSchool(app)
    }

    fn application(&self) -> &Application {
        &self.0
    }
}

#[aggregate]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Counter {
    count: u64,
}

#[aggregate]
impl Counter {
    fn create_id(trick: &str) -> Uuid {
        Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("/counters/{trick}").as_bytes())
    }

    #[event("Created")]
    pub fn create(trick: &str) -> Self {
        let _ = trick;
        Self { count: 0 }
    }

    #[event("Incremented")]
    pub fn increment(&mut self) {
        self.count += 1;
    }
}

/// A Rust process application, in this library's own format, counting the tricks the
/// Python application teaches.
#[derive(Debug)]
pub struct Counters(Application);

impl SystemApplication for Counters {
    const NAME: &'static str = "Counters";

    fn from_application(app: Application) -> Self {
        Counters(app)
    }

    fn application(&self) -> &Application {
        &self.0
    }
}

impl Policy for Counters {
    type Event = Record<Dog>;

    async fn policy(&self, event: Record<Dog>, processing: &mut Processing) -> Result<(), BoxError> {
        let Record::Event(DomainEvent { payload: DogEvent::TrickAdded { trick }, .. }) = event else { return Ok(()) };
        let mut counter = match processing.repository().get::<Counter>(&Counter::create_id(&trick)).await {
            Ok(counter) => counter,
            Err(ApplicationError::NotFound { .. }) => Counter::create(&trick),
            Err(error) => return Err(error.into()),
        };
        counter.increment();
        processing.collect(&mut counter)?;
        Ok(())
    }
}

/// One PostgreSQL schema, two applications side by side: Python's `DogSchool` (in
/// Python's format) and a Rust process application following its log, woken by the
/// NOTIFY of Python's own inserts (subscriptions do not poll).
#[cfg_attr(
    not(all(python_tests, postgres_tests)),
    ignore = "set EVENTSOURCING_PYTHON and EVENTSOURCING_POSTGRES_TEST_URL to run it"
)]
#[tokio::test(flavor = "multi_thread")]
async fn a_rust_process_application_follows_a_python_application() {
    let Some(python) = python() else { return };
    let Some(store) = Store::postgres().await else { return };
    let system = System::builder().pipe::<(DogSchool, Counters)>().build().unwrap();
    let mut runner = system.runner().without_process_env().env("DOGSCHOOL_RECORD_FORMAT", "python");
    for (key, value) in &store.rust {
        runner = runner.env(key, value);
    }
    let runner = runner.start().await.unwrap();
    // Python writes while the follower runs.
    run(&python, "write_store.py", &store.python, "");
    runner.wait(Duration::from_secs(20)).await.unwrap();
    let counters = &runner.get::<Counters>().unwrap().0;
    assert_eq!(counters.recorder().max_tracking_id("DogSchool").await.unwrap(), Some(7));
    for (trick, count) in [("roll over", 1), ("fetch", 1)] {
        let counter: Counter = counters.repository().get(&Counter::create_id(trick)).await.unwrap();
        assert_eq!(counter.count, count, "{trick}");
    }
    // Python's tables and the follower's are side by side in the schema.
    let topics: Vec<String> =
        counters.notification_log().select(1, 10).await.unwrap().into_iter().map(|n| n.event.topic).collect();
    assert_eq!(topics, ["Counter.Created", "Counter.Incremented", "Counter.Created", "Counter.Incremented"]);
    runner.stop().await.unwrap();
}
