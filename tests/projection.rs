//! Projections on every store: a view of event counters (Python's projection test case),
//! kept exactly once across restarts, failures, crashes mid-batch and rival runners.
#![allow(missing_docs)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use eventsourcing::persistence::{BoxError, MemoryView, PersistenceError, View};
use eventsourcing::postgres::PostgresView;
use eventsourcing::prelude::*;
use eventsourcing::projection::{Projection, ProjectionError, ProjectionRunner};
use eventsourcing::sqlite::SqliteView;
use support::{Dog, DogEvent, Note, Schema, SqliteFile};

const WAIT: Duration = Duration::from_secs(10);

/// The events the counters count; notes are passed over on purpose.
#[derive(Debug, LogEvent)]
#[log_event(skip("Note"))]
enum School {
    Dog(DomainEvent<DogEvent>),
}

/// Counts events by name. Fails on a dog called "poison" unless `cured`; panics (a crash
/// between its writes and the commit) on a dog called "crash" while `crash` is set.
struct Counters<V> {
    cured: bool,
    crash: Arc<AtomicBool>,
    view: std::marker::PhantomData<V>,
}

impl<V> Counters<V> {
    fn new(cured: bool, crash: Arc<AtomicBool>) -> Self {
        Counters { cured, crash, view: std::marker::PhantomData }
    }

    fn check(&self, event: &School) -> Result<&'static str, BoxError> {
        let School::Dog(event) = event;
        if let DogEvent::Registered { name } = &event.payload {
            if name == "poison" && !self.cured {
                return Err("this dog cannot be counted".into());
            }
            assert!(!(name == "crash" && self.crash.load(Ordering::SeqCst)), "crashed while counting");
        }
        Ok(event.name())
    }
}

impl Projection for Counters<MemoryView<BTreeMap<String, i64>>> {
    type Event = School;
    type View = MemoryView<BTreeMap<String, i64>>;

    async fn process(&mut self, event: School, view: &mut BTreeMap<String, i64>) -> Result<(), BoxError> {
        *view.entry(self.check(&event)?.to_owned()).or_default() += 1;
        Ok(())
    }
}

impl Projection for Counters<SqliteView> {
    type Event = School;
    type View = SqliteView;

    async fn process(
        &mut self,
        event: School,
        view: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    ) -> Result<(), BoxError> {
        let name = self.check(&event)?;
        sqlx::query(
            "INSERT INTO counters (name, count) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET count = count + 1",
        )
        .bind(name)
        .execute(&mut **view)
        .await?;
        Ok(())
    }
}

impl Projection for Counters<PostgresView> {
    type Event = School;
    type View = PostgresView;

    async fn process(
        &mut self,
        event: School,
        view: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    ) -> Result<(), BoxError> {
        // Each test's view is in a schema of its own, first in the search path.
        sqlx::query(
            "INSERT INTO counters AS c (name, count) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE SET count = c.count + 1",
        )
        .bind(self.check(&event)?)
        .execute(&mut **view)
        .await?;
        Ok(())
    }
}

/// A store to test on: the upstream application, and a way to open the view and read it.
#[allow(async_fn_in_trait)]
trait Store {
    type View: View;
    type Counters: Projection<View = Self::View, Event = School>;
    fn counters(&self, cured: bool, crash: Arc<AtomicBool>) -> Self::Counters;
    async fn upstream(&self) -> Application;
    async fn view(&self) -> Self::View;
    async fn counts(&self, view: &Self::View) -> BTreeMap<String, i64>;
}

struct Memory {
    upstream: Application,
    view: MemoryView<BTreeMap<String, i64>>,
}

impl Store for Memory {
    type View = MemoryView<BTreeMap<String, i64>>;
    type Counters = Counters<Self::View>;

    fn counters(&self, cured: bool, crash: Arc<AtomicBool>) -> Self::Counters {
        Counters::new(cured, crash)
    }

    async fn upstream(&self) -> Application {
        self.upstream.clone()
    }

    async fn view(&self) -> Self::View {
        self.view.clone()
    }

    async fn counts(&self, view: &Self::View) -> BTreeMap<String, i64> {
        view.read(Clone::clone)
    }
}

struct Sqlite {
    upstream: SqliteFile,
    view: SqliteFile,
}

impl Store for Sqlite {
    type View = SqliteView;
    type Counters = Counters<Self::View>;

    fn counters(&self, cured: bool, crash: Arc<AtomicBool>) -> Self::Counters {
        Counters::new(cured, crash)
    }

    async fn upstream(&self) -> Application {
        Application::builder("School").without_process_env().sqlite(self.upstream.0.clone()).build().await.unwrap()
    }

    async fn view(&self) -> SqliteView {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&self.view.0).create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::query("CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, count INTEGER NOT NULL)")
            .execute(&pool)
            .await
            .unwrap();
        SqliteView::open(pool, "counters").await.unwrap()
    }

    async fn counts(&self, view: &SqliteView) -> BTreeMap<String, i64> {
        sqlx::query_as("SELECT name, count FROM counters").fetch_all(view.pool()).await.unwrap().into_iter().collect()
    }
}

struct Postgres {
    url: String,
    schema: Schema,
}

impl Store for Postgres {
    type View = PostgresView;
    type Counters = Counters<Self::View>;

    fn counters(&self, cured: bool, crash: Arc<AtomicBool>) -> Self::Counters {
        Counters::new(cured, crash)
    }

    async fn upstream(&self) -> Application {
        let builder = Application::builder("School").without_process_env().postgres(self.url.clone());
        builder.env("POSTGRES_SCHEMA", &self.schema).build().await.unwrap()
    }

    async fn view(&self) -> PostgresView {
        let schema = &self.schema;
        let options: sqlx::postgres::PgConnectOptions = self.url.parse().unwrap();
        let options = options.options([("search_path", schema.as_str())]);
        let pool = sqlx::PgPool::connect_with(options).await.unwrap();
        let create =
            format!("CREATE TABLE IF NOT EXISTS \"{schema}\".counters (name text PRIMARY KEY, count bigint NOT NULL)");
        let view = PostgresView::open(pool, schema, "counters").await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(create)).execute(view.pool()).await.unwrap();
        view
    }

    async fn counts(&self, view: &PostgresView) -> BTreeMap<String, i64> {
        sqlx::query_as("SELECT name, count FROM counters").fetch_all(view.pool()).await.unwrap().into_iter().collect()
    }
}

fn counts(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(name, count)| ((*name).to_owned(), *count)).collect()
}

async fn save_dog(app: &Application, name: &str, tricks: &[&str]) -> u64 {
    let mut dog = Dog::register(name);
    for trick in tricks {
        dog.add_trick(trick);
    }
    *app.save(&mut dog).await.unwrap().last().unwrap()
}

/// Counts, waits, follows live, skips other topics, stops and resumes where it left off.
async fn counts_each_event_once<S: Store>(store: S) {
    let app = store.upstream().await;
    let crash = Arc::new(AtomicBool::new(false));
    save_dog(&app, "Fido", &["sit", "roll over"]).await;
    let runner = ProjectionRunner::start(&app, store.counters(false, crash.clone()), store.view().await);
    let last = save_dog(&app, "Rex", &["fetch"]).await;
    runner.wait(last, WAIT).await.unwrap();
    assert_eq!(store.counts(runner.view()).await, counts(&[("Registered", 2), ("TrickAdded", 3)]));
    assert_eq!(runner.position(), Some(last));
    assert_eq!(runner.lag().await.unwrap(), 0);

    // A note is of a topic the projection does not read: waiting for it returns at once.
    let note = *app.save(&mut Note::write("hello")).await.unwrap().last().unwrap();
    runner.wait(note, WAIT).await.unwrap();
    assert_eq!(runner.position(), Some(last), "nothing was applied for the note");
    runner.stop().await.unwrap();

    // Saved while no runner runs; a new runner resumes after the last position.
    let later = save_dog(&app, "Max", &[]).await;
    let runner = ProjectionRunner::start(&app, store.counters(false, crash), store.view().await);
    runner.wait(later, WAIT).await.unwrap();
    assert_eq!(store.counts(runner.view()).await, counts(&[("Registered", 3), ("TrickAdded", 3)]));
    runner.stop().await.unwrap();
}

/// A failing handler stops the runner at its notification; nothing after it is applied; a
/// cured projection restarted resumes at that very notification.
async fn a_failure_stops_at_the_notification_and_a_restart_resumes_there<S: Store>(store: S) {
    let app = store.upstream().await;
    let crash = Arc::new(AtomicBool::new(false));
    save_dog(&app, "Fido", &[]).await;
    let poison = save_dog(&app, "poison", &[]).await;
    let after = save_dog(&app, "Rex", &["sit"]).await;
    let mut runner = ProjectionRunner::start(&app, store.counters(false, crash.clone()), store.view().await);
    let error = runner.wait(after, WAIT).await.unwrap_err();
    assert_eq!(error.notification_id(), Some(poison), "{error}");
    assert!(error.to_string().contains("cannot be counted"), "{error}");
    let joined = runner.join().await.unwrap_err();
    assert_eq!(joined.notification_id(), Some(poison), "{joined}");
    // The batch with the poison rolled back whole: nothing at or after it counts.
    let view = store.view().await;
    assert!(view.max_tracking_id(app.name()).await.unwrap().is_none_or(|p| p < poison));
    assert_eq!(store.counts(&view).await.get("TrickAdded"), None);

    let runner = ProjectionRunner::start(&app, store.counters(true, crash), view);
    runner.wait(after, WAIT).await.unwrap();
    assert_eq!(store.counts(runner.view()).await, counts(&[("Registered", 3), ("TrickAdded", 1)]));
    runner.stop().await.unwrap();
}

/// A crash between the handler's writes and the commit loses the batch, which a restart
/// applies again, once; a runner dropped right after a commit leaves nothing to redo.
async fn a_crash_mid_batch_or_after_commit_counts_each_event_once<S: Store>(store: S) {
    let app = store.upstream().await;
    let crash = Arc::new(AtomicBool::new(true));
    save_dog(&app, "Fido", &["sit"]).await;
    let crashing = save_dog(&app, "crash", &[]).await;
    let mut runner = ProjectionRunner::start(&app, store.counters(true, crash.clone()), store.view().await);
    let error = runner.join().await.unwrap_err();
    assert!(error.to_string().contains("crashed while counting") || error.notification_id().is_some(), "{error}");

    crash.store(false, Ordering::SeqCst);
    let runner = ProjectionRunner::start(&app, store.counters(true, crash.clone()), store.view().await);
    runner.wait(crashing, WAIT).await.unwrap();
    // Killed just after its commit: a new runner finds the position committed.
    runner.abort().await;
    let runner = ProjectionRunner::start(&app, store.counters(true, crash), store.view().await);
    let last = save_dog(&app, "Rex", &[]).await;
    runner.wait(last, WAIT).await.unwrap();
    assert_eq!(store.counts(runner.view()).await, counts(&[("Registered", 3), ("TrickAdded", 1)]));
    runner.stop().await.unwrap();
}

/// Two runners of one projection on one view: one of them commits each batch, the other
/// fails with a tracking conflict and never applies it a second time.
async fn rival_runners_never_apply_twice<S: Store>(store: S) {
    let app = store.upstream().await;
    let crash = Arc::new(AtomicBool::new(false));
    let mut last = 0;
    for n in 0..20 {
        last = save_dog(&app, &format!("dog {n}"), &["sit"]).await;
    }
    let mut first = ProjectionRunner::start(&app, store.counters(false, crash.clone()), store.view().await);
    let mut second = ProjectionRunner::start(&app, store.counters(false, crash), store.view().await);
    let (a, b) = tokio::join!(first.wait(last, WAIT), second.wait(last, WAIT));
    let view = store.view().await;
    assert_eq!(view.max_tracking_id(app.name()).await.unwrap(), Some(last));
    assert_eq!(store.counts(&view).await, counts(&[("Registered", 20), ("TrickAdded", 20)]), "{a:?} {b:?}");
    for runner in [&mut first, &mut second] {
        if let Err(error) = runner.wait(last, Duration::ZERO).await {
            let ProjectionError::Failed(cause) = &error else { panic!("{error}") };
            assert!(
                matches!(
                    &**cause,
                    ProjectionError::Persistence { source: PersistenceError::TrackingConflict { .. }, .. }
                ),
                "{error}"
            );
        }
    }
}

/// The runner follows an upstream that another instance writes, as a process with only
/// the store's configuration would.
async fn follows_an_upstream_that_another_instance_writes<S: Store>(store: S) {
    let writer = store.upstream().await;
    let reader = store.upstream().await;
    let runner = ProjectionRunner::start(&reader, store.counters(false, Arc::default()), store.view().await);
    let first = save_dog(&writer, "Fido", &["sit"]).await;
    runner.wait(first, WAIT).await.unwrap();
    // Caught up: this one arrives while the runner follows live.
    let second = save_dog(&writer, "Rex", &[]).await;
    runner.wait(second, WAIT).await.unwrap();
    assert_eq!(store.counts(runner.view()).await, counts(&[("Registered", 2), ("TrickAdded", 1)]));
    runner.stop().await.unwrap();
}

/// Without `skip`, a topic the enum does not know stops the runner, naming the notification.
#[derive(Debug, LogEvent)]
enum Strict {
    Dog(DomainEvent<DogEvent>),
}

struct StrictCounter;

impl Projection for StrictCounter {
    type Event = Strict;
    type View = MemoryView<u64>;

    async fn process(&mut self, Strict::Dog(event): Strict, count: &mut u64) -> Result<(), BoxError> {
        assert_eq!(event.name(), "Registered");
        *count += 1;
        Ok(())
    }
}

#[tokio::test]
async fn an_unknown_topic_stops_the_runner_at_its_notification() {
    let app = Application::builder("School").without_process_env().build().await.unwrap();
    save_dog(&app, "Fido", &[]).await;
    let note = *app.save(&mut Note::write("not a dog")).await.unwrap().last().unwrap();
    // Subscribed to the dogs' topics only, the store never returns the note...
    let runner = ProjectionRunner::start(&app, StrictCounter, MemoryView::default());
    runner.wait(note, WAIT).await.unwrap();
    assert_eq!(runner.view().read(|count| *count), 1);
    runner.stop().await.unwrap();
    // ...but decoding it, as a subscription to everything would, names it.
    let notification = &app.notification_log().select(note, 1).await.unwrap()[0];
    let error = app.decode::<Strict>(notification).unwrap_err();
    assert!(error.to_string().contains("Note.Written"), "{error}");
}

#[tokio::test]
async fn an_undecodable_record_stops_the_runner_naming_it_and_nothing_after_it_counts() {
    let store = sqlite();
    let app = store.upstream().await;
    save_dog(&app, "Fido", &[]).await;
    let damaged = save_dog(&app, "Rex", &[]).await;
    let last = save_dog(&app, "Max", &["sit"]).await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", store.upstream.0)).await.unwrap();
    sqlx::query("UPDATE stored_events SET state = x'7b2262726f6b656e' WHERE rowid = ?")
        .bind(i64::try_from(damaged).unwrap())
        .execute(&pool)
        .await
        .unwrap();
    let mut runner = ProjectionRunner::start(&app, store.counters(false, Arc::default()), store.view().await);
    let error = runner.wait(last, WAIT).await.unwrap_err();
    assert_eq!(error.notification_id(), Some(damaged), "{error}");
    let ProjectionError::Failed(cause) = &error else { panic!("{error}") };
    assert!(matches!(&**cause, ProjectionError::Decode { .. }), "{error}");
    assert!(runner.join().await.is_err());
    let view = store.view().await;
    assert!(view.max_tracking_id(app.name()).await.unwrap().is_none_or(|p| p < damaged), "nothing after it");
}

#[tokio::test]
async fn a_missing_view_table_stops_the_runner_and_a_restart_after_creating_it_resumes() {
    let store = sqlite();
    let app = store.upstream().await;
    let first = save_dog(&app, "Fido", &["sit"]).await;
    let pool = sqlx::SqlitePool::connect_with(
        sqlx::sqlite::SqliteConnectOptions::new().filename(&store.view.0).create_if_missing(true),
    )
    .await
    .unwrap();
    let view = SqliteView::open(pool.clone(), "counters").await.unwrap();
    let mut runner = ProjectionRunner::start(&app, store.counters(false, Arc::default()), view);
    let error = runner.join().await.unwrap_err();
    assert_eq!(error.notification_id(), Some(first - 1), "{error}");
    assert!(error.to_string().contains("no such table"), "{error}");

    let view = store.view().await; // creates the table
    assert_eq!(view.max_tracking_id(app.name()).await.unwrap(), None, "nothing was committed");
    let runner = ProjectionRunner::start(&app, store.counters(false, Arc::default()), view);
    runner.wait(first, WAIT).await.unwrap();
    assert_eq!(store.counts(runner.view()).await, counts(&[("Registered", 1), ("TrickAdded", 1)]));
    runner.stop().await.unwrap();
}

fn memory() -> Memory {
    let upstream = tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current()
            .block_on(Application::builder("School").without_process_env().build())
            .unwrap()
    });
    Memory { upstream, view: MemoryView::default() }
}

fn sqlite() -> Sqlite {
    Sqlite { upstream: SqliteFile::new("upstream"), view: SqliteFile::new("view") }
}

fn postgres() -> Option<Postgres> {
    let url = eventsourcing_core::testing::env_or_skip("EVENTSOURCING_POSTGRES_TEST_URL")?;
    Some(Postgres { schema: Schema::new(&url), url })
}

macro_rules! on_every_store {
    ($($case:ident),* $(,)?) => {
        mod memory {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread")] async fn $case() { super::$case(memory()).await })*
        }
        mod sqlite {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread")] async fn $case() { super::$case(sqlite()).await })*
        }
        mod postgres {
            use super::*;
            $(#[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")] #[tokio::test(flavor = "multi_thread")] async fn $case() {
                let Some(store) = postgres() else { return };
                super::$case(store).await
            })*
        }
    };
}

on_every_store!(
    counts_each_event_once,
    a_failure_stops_at_the_notification_and_a_restart_resumes_there,
    a_crash_mid_batch_or_after_commit_counts_each_event_once,
    rival_runners_never_apply_twice,
    follows_an_upstream_that_another_instance_writes,
);
