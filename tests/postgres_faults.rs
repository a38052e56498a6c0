//! PostgreSQL under faults: backends terminated by the server (as `pg_terminate_backend`
//! or a restart does) while an application saves and a subscriber follows, and a server
//! that cannot be reached at all. Needs `EVENTSOURCING_POSTGRES_TEST_URL`.
//!
//! Tests run in parallel in one database, so each test names its connections with a unique
//! `application_name` and terminates only those.
#![allow(missing_docs)]

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eventsourcing::persistence::{OriginatorId, PersistenceError};
use eventsourcing::prelude::*;
use futures_util::StreamExt;
use support::{Dog, Schema};

fn postgres_url() -> Option<String> {
    eventsourcing_core::testing::env_or_skip("EVENTSOURCING_POSTGRES_TEST_URL")
}

/// A fresh schema and a unique `application_name` (both at most 63 bytes).
fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", Uuid::new_v4().simple())
}

/// `url` with `application_name` set, so that this test's connections (the pool's and the
/// LISTEN connection, which copies the pool's options) can be told apart.
fn named(url: &str, application_name: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}application_name={application_name}")
}

async fn open(url: &str, application_name: &str, schema: &str) -> Application {
    Application::builder("Kennel")
        .without_process_env()
        .postgres(named(url, application_name))
        .env("POSTGRES_SCHEMA", schema)
        .build()
        .await
        .unwrap()
}

/// Terminates every backend named `application_name`, waiting for each to end; returns how
/// many there were.
async fn terminate(admin: &sqlx::PgPool, application_name: &str) -> usize {
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity \
         WHERE application_name = $1 AND pid <> pg_backend_pid()",
    )
    .bind(application_name)
    .fetch_all(admin)
    .await
    .unwrap();
    ended.len()
}

/// What each save returned, by the id of the dog it saved.
type Outcomes = HashMap<OriginatorId, Result<Vec<u64>, ApplicationError>>;

fn is_commit_outcome_unknown(error: &ApplicationError) -> bool {
    error.to_string().contains("commit outcome unknown")
}

#[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_every_backend_is_terminated_the_next_read_and_save_succeed() {
    let Some(url) = postgres_url() else { return };
    let (name, schema) = (unique("es_fault"), Schema::new(&url));
    let app = open(&url, &name, &schema).await;
    let mut fido = Dog::register("Fido");
    app.save(&mut fido).await.unwrap();
    // Fill the pool with idle connections: several reads at once each take one.
    let reads = (0..8).map(|_| async {
        let repository = app.repository();
        repository.get::<Dog>(fido.id()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        repository.get::<Dog>(fido.id()).await.unwrap();
    });
    futures_util::future::join_all(reads).await;
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    assert!(terminate(&admin, &name).await >= 2, "the pool held several connections");

    assert_eq!(app.repository().get::<Dog>(fido.id()).await.unwrap(), fido, "the next read succeeds");
    terminate(&admin, &name).await;
    app.save(&mut Dog::register("Rex")).await.expect("the next save succeeds");
    terminate(&admin, &name).await;
    assert_eq!(app.notification_log().max_notification_id().await.unwrap(), Some(2));
}

#[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_is_woken_without_polling_after_its_listen_connection_is_terminated() {
    let Some(url) = postgres_url() else { return };
    let (name, schema) = (unique("es_fault"), Schema::new(&url));
    let app = open(&url, &name, &schema).await;
    let mut live = app.subscribe(None, Vec::new()).await.unwrap();
    // Let the subscription catch up (nothing yet) and start waiting.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    let listening: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
    )
    .bind(&name)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(listening, 1, "the LISTEN connection carries the application name");
    terminate(&admin, &name).await;

    let started = Instant::now();
    app.save(&mut Dog::register("Fido")).await.unwrap();
    let notification = tokio::time::timeout(Duration::from_secs(2), live.next())
        .await
        .expect("woken once the new LISTEN connection listens (subscriptions do not poll)")
        .unwrap()
        .expect("the subscription goes on");
    assert_eq!(notification.event.topic, "Dog.Registered");
    assert!(started.elapsed() < Duration::from_secs(2));
    // And it listens again: the next commit wakes it too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    app.save(&mut Dog::register("Rex")).await.unwrap();
    tokio::time::timeout(Duration::from_secs(1), live.next()).await.expect("woken by NOTIFY").unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_and_savers_survive_backends_terminated_repeatedly() {
    const WRITERS: usize = 3;
    const FAULTS_FOR: Duration = Duration::from_secs(3);

    let Some(url) = postgres_url() else { return };
    let (name, schema) = (unique("es_fault"), Schema::new(&url));
    let app = open(&url, &name, &schema).await;
    let mut live = app.subscribe(None, Vec::new()).await.unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let follower = tokio::spawn({
        let seen = Arc::clone(&seen);
        async move {
            while let Some(next) = live.next().await {
                let notification = next.expect("a subscription does not end on a lost connection");
                seen.lock().unwrap().push((notification.id, notification.event.originator_id));
            }
            panic!("the subscription ended");
        }
    });

    // Each writer saves new dogs until the faults stop, noting each outcome.
    let started = Instant::now();
    let outcomes: Arc<Mutex<Outcomes>> = Arc::default();
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (app, outcomes) = (app.clone(), Arc::clone(&outcomes));
            tokio::spawn(async move {
                while started.elapsed() < FAULTS_FOR {
                    let mut dog = Dog::register("Fido");
                    let outcome = app.save(&mut dog).await;
                    outcomes.lock().unwrap().insert(OriginatorId::Uuid(*dog.id()), outcome);
                }
            })
        })
        .collect();
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    let mut terminated = 0;
    while started.elapsed() < FAULTS_FOR {
        tokio::time::sleep(Duration::from_millis(150)).await;
        terminated += terminate(&admin, &name).await;
    }
    for writer in writers {
        writer.await.unwrap();
    }

    // After the faults, calls succeed at once.
    let mut last = Dog::register("Last");
    let last_ids = app.save(&mut last).await.expect("a save after the faults succeeds");
    assert_eq!(app.repository().get::<Dog>(last.id()).await.unwrap(), last, "a read after the faults succeeds");
    let last_id = last_ids[0];
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.lock().unwrap().last().is_none_or(|(id, _)| *id < last_id) {
        assert!(!follower.is_finished(), "the subscriber keeps going");
        assert!(Instant::now() < deadline, "the subscriber reaches the last save");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    follower.abort();

    let seen = seen.lock().unwrap().clone();
    assert!(seen.windows(2).all(|pair| pair[0].0 < pair[1].0), "ascending, so none twice");
    let outcomes = outcomes.lock().unwrap();
    let mut saved = 0;
    let mut failed = Vec::new();
    for (id, outcome) in outcomes.iter() {
        let delivered: Vec<u64> = seen.iter().filter(|(_, seen)| seen == id).map(|(n, _)| *n).collect();
        match outcome {
            Ok(ids) => {
                saved += 1;
                assert_eq!(&delivered, ids, "a saved event is delivered once, under its notification id");
            }
            // The one case where the event may or may not be stored: the store could not
            // tell whether its commit took effect.
            Err(error) if is_commit_outcome_unknown(error) => failed.push(error.to_string()),
            Err(error) => {
                assert!(delivered.is_empty(), "a failed save stored nothing: {error}");
                failed.push(error.to_string());
            }
        }
    }
    let last_dog = OriginatorId::Uuid(*last.id());
    let expected: HashSet<&OriginatorId> = outcomes.keys().chain([&last_dog]).collect();
    assert!(seen.iter().all(|(_, id)| expected.contains(id)), "nothing delivered that was not saved");
    println!(
        "{terminated} backends terminated in {FAULTS_FOR:?}; {saved} saves succeeded, {} failed: {failed:?}",
        failed.len()
    );
    assert!(terminated > 0 && saved > 0);
    assert!(
        failed.iter().all(|error| error.contains("commit outcome unknown")),
        "only a save whose commit was cut off may fail: {failed:?}"
    );
}

#[tokio::test]
async fn opening_a_closed_port_fails_fast_naming_host_port_and_cause() {
    let started = Instant::now();
    let error = Application::builder("App")
        .without_process_env()
        .postgres("postgres://postgres:hunter2@127.0.0.1:1/test")
        .env("POSTGRES_CONNECT_TIMEOUT", "10")
        .build()
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    let message = error.to_string();
    assert!(matches!(error, ApplicationError::Persistence(PersistenceError::Connection { .. })), "{message}");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?} of the 10 s connect timeout: {message}");
    assert!(message.contains("127.0.0.1:1"), "names host and port: {message}");
    assert!(message.to_lowercase().contains("refused"), "names the cause: {message}");
    assert!(!message.contains("hunter2"), "never the password: {message}");
}
