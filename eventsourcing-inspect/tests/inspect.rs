//! The inspector, run as operators run it, on stores the library wrote: SQLite files and
//! PostgreSQL schemas, plain and encrypted, whole and tampered with.
#![allow(missing_docs)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use eventsourcing::prelude::*;

#[path = "../../tests/support/schema.rs"]
mod schema;
#[path = "../../tests/support/sqlite_file.rs"]
mod sqlite_file;

use sqlite_file::SqliteFile;

#[aggregate]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dog {
    name: String,
    tricks: Vec<String>,
}

#[aggregate]
impl Dog {
    #[event("Registered")]
    pub fn register(name: &str) -> Self {
        Self { name: name.to_owned(), tricks: Vec::new() }
    }

    #[event("TrickAdded")]
    pub fn add_trick(&mut self, trick: &str) {
        self.tricks.push(trick.to_owned());
    }
}

/// Base64 of 32 bytes of `byte`.
fn key(byte: u8) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode([byte; 32])
}

/// Records encrypted, compressed and chained.
fn sealed() -> Vec<(&'static str, String)> {
    vec![
        ("CIPHER_TOPIC", "xchacha20poly1305".into()),
        ("CIPHER_KEY", key(7)),
        ("COMPRESSOR_TOPIC", "zstd".into()),
        ("HASH_CHAIN", "y".into()),
    ]
}

/// Six notifications: Fido registered and taught two tricks (#1 to #3) with Rex
/// registered (#4), a snapshot of Fido, a third trick (#5), Rex discarded (#6). Returns
/// Fido's id.
async fn write(mut builder: eventsourcing::application::ApplicationBuilder, settings: &[(&str, String)]) -> Uuid {
    for (key, value) in settings {
        builder = builder.env(*key, value.clone());
    }
    let app = builder.snapshotting(true).build().await.unwrap();
    let mut fido = Dog::register("Fido");
    fido.add_trick("roll over");
    fido.add_trick("fetch ball");
    let mut rex = Dog::register("Rex");
    app.save((&mut fido, &mut rex)).await.unwrap();
    app.take_snapshot::<Dog>(fido.id(), None).await.unwrap();
    fido.add_trick("play dead");
    app.save(&mut fido).await.unwrap();
    app.discard(&mut rex).await.unwrap();
    *fido.id()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the inspector with only these variables.
fn inspect(env: &[(&str, String)], args: &[&str]) -> Run {
    let Output { status, stdout, stderr } = Command::new(env!("CARGO_BIN_EXE_eventsourcing-inspect"))
        .env_clear()
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .args(args)
        .output()
        .unwrap();
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    };
    eprintln!("$ eventsourcing-inspect {}\n{}{}(exit {})", args.join(" "), run.stdout, run.stderr, run.code);
    run
}

fn sqlite_app(file: &SqliteFile) -> eventsourcing::application::ApplicationBuilder {
    Application::builder("Kennel").without_process_env().sqlite(file.0.clone())
}

async fn sqlite_pool(file: &SqliteFile) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("sqlite:{}", file.0)).await.unwrap()
}

#[tokio::test]
async fn a_plain_sqlite_store_is_listed_counted_tailed_and_verified() {
    let file = SqliteFile::new("inspect");
    let fido = write(sqlite_app(&file), &[]).await;
    let before = std::fs::read(&file.0).unwrap();
    let at = ["--sqlite", file.0.as_str()];

    let tables = inspect(&[], &[&at[..], &["tables"]].concat());
    assert_eq!(tables.code, 0);
    assert!(tables.stdout.contains("stored_events") && tables.stdout.contains("6 rows"), "{}", tables.stdout);
    assert!(tables.stdout.contains("stored_snapshots") && tables.stdout.contains("1 rows"));

    let stats = inspect(&[], &[&at[..], &["stats"]].concat());
    assert_eq!(stats.code, 0);
    assert!(stats.stdout.contains("6 events of 2 aggregates"), "{}", stats.stdout);
    assert!(stats.stdout.contains("Dog.TrickAdded") && stats.stdout.contains("Dog#discarded"));

    let tail = inspect(&[], &[&at[..], &["tail", "-n", "2"]].concat());
    assert_eq!(tail.code, 0);
    let lines: Vec<&str> = tail.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", tail.stdout);
    assert!(lines[0].starts_with("#5 ") && lines[0].contains("play dead"), "{}", lines[0]);
    assert!(lines[1].starts_with("#6 ") && lines[1].contains("Dog#discarded"), "{}", lines[1]);

    let from = inspect(&[], &[&at[..], &["tail", "--from", "2", "-n", "2"]].concat());
    assert!(from.stdout.starts_with("#2 ") && from.stdout.contains("roll over") && from.stdout.lines().count() == 2);

    let history = inspect(&[], &[&at[..], &["history", &fido.to_string()]].concat());
    assert_eq!(history.code, 0);
    let lines: Vec<&str> = history.stdout.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].contains("v1  Dog.Registered") && lines[0].contains(r#""name":"Fido""#), "{}", lines[0]);
    assert!(lines[2].contains("v3  Dog.TrickAdded") && lines[2].contains("fetch ball"));
    assert!(lines[3].contains("v4  Dog.TrickAdded") && lines[3].contains("play dead"));

    let verify = inspect(&[], &[&at[..], &["verify"]].concat());
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    assert!(verify.stdout.contains("checked 6 records of 2 aggregates: 0 in hash chains, 6 not chained"));
    assert!(verify.stdout.contains("every record opens"));

    // JSON lines for programs.
    let json = inspect(&[], &[&at[..], &["--json", "tail", "-n", "6"]].concat());
    let objects: Vec<serde_json::Value> = json.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(objects.len(), 6);
    assert_eq!(objects[1]["envelope"]["payload"]["trick"], "roll over");
    assert_eq!(objects[1]["format"]["codec"], "json");
    assert_eq!(objects[1]["notification_id"], 2);

    // Nothing was written.
    assert_eq!(std::fs::read(&file.0).unwrap(), before, "the inspector changed the database file");
}

#[tokio::test]
async fn sealed_records_are_opened_with_the_key_and_refused_without_it() {
    let file = SqliteFile::new("inspect");
    let fido = write(sqlite_app(&file), &sealed()).await;
    let at = ["--sqlite", file.0.as_str()];

    // The application's own variables, with its prefix.
    let env: Vec<(&str, String)> =
        sealed().into_iter().map(|(k, v)| (if k == "CIPHER_KEY" { "KENNEL_CIPHER_KEY" } else { k }, v)).collect();
    let history = inspect(&env, &[&at[..], &["--app", "Kennel", "history", &fido.to_string()]].concat());
    assert_eq!(history.code, 0, "{}", history.stderr);
    assert!(history.stdout.contains("fetch ball") && history.stdout.lines().count() == 4);
    let verify = inspect(&env, &[&at[..], &["--app", "Kennel", "verify", "--quiet"]].concat());
    assert_eq!(verify.code, 0);
    assert!(verify.stdout.contains("checked 6 records of 2 aggregates: 6 in hash chains"), "{}", verify.stdout);
    let json = inspect(&env, &[&at[..], &["--app", "Kennel", "--json", "tail", "-n", "1"]].concat());
    let object: serde_json::Value = serde_json::from_str(json.stdout.trim()).unwrap();
    assert_eq!(
        object["format"],
        serde_json::json!({"codec": "json", "compressed": true, "encrypted": true, "chained": true, "python": false})
    );
    assert_eq!(object["hash"].as_str().unwrap().len(), 64);

    // Without the key, or with another, each record says why it cannot be read.
    let tail = inspect(&[], &[&at[..], &["tail", "-n", "1"]].concat());
    assert_eq!(tail.code, 1);
    assert!(tail.stdout.contains("no cipher key is configured"), "{}", tail.stdout);
    let wrong = [("CIPHER_TOPIC", "xchacha20poly1305".into()), ("CIPHER_KEY", key(8))];
    let verify = inspect(&wrong, &[&at[..], &["verify"]].concat());
    assert_eq!(verify.code, 1);
    assert!(verify.stdout.contains("2 aggregates have a bad record (4 later records of theirs not checked)"));
    assert!(verify.stdout.contains("#1: ") && verify.stdout.contains("#4: "), "{}", verify.stdout);
    assert!(verify.stdout.contains("encrypted with a different key"), "{}", verify.stdout);

    // A malformed key is named, as the application names it.
    let bad = [("CIPHER_TOPIC", "xchacha20poly1305".into()), ("CIPHER_KEY", "nope".into())];
    let run = inspect(&bad, &[&at[..], &["verify"]].concat());
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("CIPHER_KEY"), "{}", run.stderr);
}

#[tokio::test]
async fn verify_finds_a_changed_and_a_removed_record() {
    let file = SqliteFile::new("inspect");
    write(sqlite_app(&file), &sealed()).await;
    let env = sealed();
    let at = ["--sqlite", file.0.as_str()];
    let pool = sqlite_pool(&file).await;
    // A byte of Fido's second record changed, and Rex's first record removed.
    sqlx::query("UPDATE stored_events SET state = substr(state, 1, 80) || X'00' || substr(state, 82) WHERE rowid = 2")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM stored_events WHERE rowid = 4").execute(&pool).await.unwrap();
    pool.close().await;

    let verify = inspect(&env, &[&at[..], &["verify", "--quiet"]].concat());
    assert_eq!(verify.code, 1);
    assert!(verify.stdout.contains("checked 5 records of 2 aggregates"), "{}", verify.stdout);
    assert!(
        verify.stdout.contains("#2: ") && verify.stdout.contains("content or identity was changed"),
        "{}",
        verify.stdout
    );
    assert!(
        verify.stdout.contains("#6: ") && verify.stdout.contains("a record before it was removed"),
        "{}",
        verify.stdout
    );
    assert!(verify.stdout.contains("2 aggregates have a bad record (2 later records of theirs not checked)"));

    let json = inspect(&env, &[&at[..], &["--json", "verify"]].concat());
    let summary: serde_json::Value = serde_json::from_str(json.stdout.trim()).unwrap();
    assert_eq!(summary["problems"].as_array().unwrap().len(), 2);
    assert_eq!(summary["problems"][0]["notification_id"], 2);
    assert_eq!(summary["problems"][0]["originator_version"], 2);
    assert_eq!(summary["skipped"], 2);
}

#[tokio::test]
async fn follow_shows_new_notifications_as_they_are_written() {
    let file = SqliteFile::new("inspect");
    let fido = write(sqlite_app(&file), &[]).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_eventsourcing-inspect"))
        .env_clear()
        .args(["--sqlite", &file.0, "tail", "-n", "1", "--follow", "--interval", "20"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(lines.next().unwrap().unwrap().starts_with("#6 "));

    let app = sqlite_app(&file).build().await.unwrap();
    let mut dog: Dog = app.repository().get(&fido).await.unwrap();
    dog.add_trick("sit");
    app.save(&mut dog).await.unwrap();
    let started = Instant::now();
    let line = lines.next().unwrap().unwrap();
    assert!(line.starts_with("#7 ") && line.contains("sit"), "{line}");
    assert!(started.elapsed() < Duration::from_secs(5));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn mistakes_are_told_with_what_to_do() {
    let none = inspect(&[], &["tables"]);
    assert_eq!(none.code, 2);
    assert!(none.stderr.contains("give --sqlite PATH or --postgres URL"), "{}", none.stderr);

    let missing = std::env::temp_dir().join(format!("{}.sqlite", Uuid::new_v4())).display().to_string();
    let run = inspect(&[], &["--sqlite", &missing, "stats"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains(&format!("no SQLite database at {missing}")));
    assert!(!std::path::Path::new(&missing).exists(), "the inspector created a database");

    // The store from the application's variables.
    let file = SqliteFile::new("inspect");
    let fido = write(sqlite_app(&file), &[]).await;
    let env = [("PERSISTENCE_MODULE", "sqlite".into()), ("SQLITE_DBNAME", file.0.clone())];
    let run = inspect(&env, &["history", &Uuid::new_v4().to_string()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no events of the aggregate"), "{}", run.stderr);
    assert_eq!(inspect(&env, &["history", &fido.to_string()]).code, 0);

    let refused = inspect(&[], &["--postgres", "postgres://postgres@127.0.0.1:1/none", "--app", "Kennel", "stats"]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("127.0.0.1:1") && refused.stderr.contains("refused"), "{}", refused.stderr);
}

fn postgres_url() -> String {
    std::env::var("EVENTSOURCING_POSTGRES_TEST_URL").unwrap()
}

#[tokio::test]
#[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
async fn a_postgres_schema_is_inspected_read_only() {
    let schema = schema::Schema::new(&postgres_url());
    let builder = Application::builder("Kennel")
        .without_process_env()
        .env("POSTGRES_SCHEMA", schema.as_str())
        .postgres(postgres_url());
    let fido = write(builder, &sealed()).await;
    let mut env = sealed();
    env.push(("POSTGRES_SCHEMA", schema.to_string()));
    let url = postgres_url();
    let at = ["--postgres", url.as_str()];

    let tables = inspect(&env, &[&at[..], &["tables"]].concat());
    assert_eq!(tables.code, 0);
    assert!(tables.stdout.contains(&format!("{schema}.kennel_events")) && tables.stdout.contains("6 rows"));
    assert!(tables.stdout.contains("on disk"));
    let json = inspect(&env, &[&at[..], &["--json", "tables"]].concat());
    let first: serde_json::Value = serde_json::from_str(json.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["application"], "kennel");

    let needs_app = inspect(&env, &[&at[..], &["stats"]].concat());
    assert_eq!(needs_app.code, 2);
    assert!(needs_app.stderr.contains("--app NAME"));
    let unknown = inspect(&env, &[&at[..], &["--app", "Cattery", "stats"]].concat());
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("no tables of the application \"Cattery\""), "{}", unknown.stderr);

    let at_app = ["--postgres", url.as_str(), "--app", "Kennel"];
    let stats = inspect(&env, &[&at_app[..], &["stats"]].concat());
    assert!(stats.stdout.contains("6 events of 2 aggregates") && stats.stdout.contains("last notification id: 6"));
    let history = inspect(&env, &[&at_app[..], &["history", &fido.to_string()]].concat());
    assert_eq!(history.code, 0);
    assert_eq!(history.stdout.lines().count(), 4);
    let verify = inspect(&env, &[&at_app[..], &["verify", "--quiet"]].concat());
    assert_eq!(verify.code, 0);
    assert!(verify.stdout.contains("6 in hash chains"), "{}", verify.stdout);

    // A changed record is found; and the inspector's sessions cannot write.
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let update = format!(
        "UPDATE \"{schema}\".kennel_events SET state = overlay(state placing '\\x00'::bytea from 90 for 1) \
         WHERE notification_id = 3"
    );
    sqlx::query(sqlx::AssertSqlSafe(update)).execute(&pool).await.unwrap();
    let verify = inspect(&env, &[&at_app[..], &["verify", "--quiet"]].concat());
    assert_eq!(verify.code, 1);
    assert!(
        verify.stdout.contains("#3: ") && verify.stdout.contains("content or identity was changed"),
        "{}",
        verify.stdout
    );
    let tables: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_tables WHERE schemaname = $1")
        .bind(schema.as_str())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(tables, 3, "the inspector created tables");
    pool.close().await;
}
