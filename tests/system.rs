//! Systems on every store, in both modes: the cases of Python's runner and system tests
//! (one edge, two edges, a cycle, catch-up after a restart, topic filtering, errors, ignored
//! events, re-processing), the tutorial's dog school and counters, and causation.
#![allow(missing_docs)]

mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use eventsourcing::domain::EventMetadata;
use eventsourcing::persistence::{BoxError, NotificationQuery};
use eventsourcing::prelude::*;
use eventsourcing::projection::EventSourcedProjectionRunner;
use eventsourcing::system::{
    Mode, Policy, Processing, ProcessingError, Runner, RunnerBuilder, System, SystemApplication, SystemError,
    process_notification,
};
use support::{Schema, SqliteDir};

const WAIT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------- the dog school

#[aggregate]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dog {
    name: String,
    tricks: Vec<String>,
}

#[aggregate]
impl Dog {
    fn create_id(name: &str) -> Uuid {
        Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("/dogs/{name}").as_bytes())
    }

    #[event("Registered")]
    pub fn register(name: &str) -> Self {
        Self { name: name.to_owned(), tricks: Vec::new() }
    }

    #[event("TrickAdded")]
    pub fn add_trick(&mut self, trick: &str) {
        self.tricks.push(trick.to_owned());
    }
}

/// Written beside the dogs; no follower reads notes.
#[aggregate]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Note {
    text: String,
}

#[aggregate]
impl Note {
    #[event("Written")]
    pub fn write(text: &str) -> Self {
        Self { text: text.to_owned() }
    }
}

#[derive(Debug)]
pub struct DogSchool {
    app: Application,
}

impl SystemApplication for DogSchool {
    const NAME: &'static str = "DogSchool";

    fn from_application(app: Application) -> Self {
        DogSchool { app }
    }

    fn application(&self) -> &Application {
        &self.app
    }
}

impl DogSchool {
    async fn register_dog(&self, name: &str) -> u64 {
        last(&self.app.save(&mut Dog::register(name)).await.unwrap())
    }

    async fn add_trick(&self, name: &str, trick: &str) -> u64 {
        let mut dog: Dog = self.app.repository().get(&Dog::create_id(name)).await.unwrap();
        dog.add_trick(trick);
        last(&self.app.save(&mut dog).await.unwrap())
    }

    async fn write_note(&self, text: &str) -> u64 {
        last(&self.app.save(&mut Note::write(text)).await.unwrap())
    }
}

fn last(ids: &[u64]) -> u64 {
    *ids.last().expect("a save records at least one event")
}

// ---------------------------------------------------------------- the counters

#[aggregate]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Counter {
    name: String,
    count: u64,
}

#[aggregate]
impl Counter {
    fn create_id(name: &str) -> Uuid {
        Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("/counters/{name}").as_bytes())
    }

    #[event("Created")]
    pub fn create(name: &str) -> Self {
        Self { name: name.to_owned(), count: 0 }
    }

    #[event("Incremented")]
    pub fn increment(&mut self) {
        self.count += 1;
    }
}

/// Dogs whose names the policies refuse, unless cured: each test uses its own names.
static CURED: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Mutex::default);

fn refuses(name: &str) -> bool {
    name.starts_with("poison") && !CURED.lock().unwrap().contains(name)
}

fn cure(name: &str) {
    CURED.lock().unwrap().insert(name.to_owned());
}

/// Counts the tricks dogs learn (the tutorial's process application).
#[derive(Debug)]
pub struct Counters {
    app: Application,
}

impl SystemApplication for Counters {
    const NAME: &'static str = "Counters";

    fn from_application(app: Application) -> Self {
        Counters { app }
    }

    fn application(&self) -> &Application {
        &self.app
    }
}

impl Policy for Counters {
    type Event = Record<Dog>;

    async fn policy(&self, event: Record<Dog>, processing: &mut Processing) -> Result<(), BoxError> {
        let Record::Event(event) = event else { return Ok(()) };
        match event.payload {
            DogEvent::Registered { name } if refuses(&name) => Err(format!("cannot count {name}").into()),
            DogEvent::Registered { .. } => Ok(()),
            DogEvent::TrickAdded { trick } => {
                let repository = processing.repository();
                let mut counter = match repository.get::<Counter>(&Counter::create_id(&trick)).await {
                    Ok(counter) => counter,
                    Err(ApplicationError::NotFound { .. }) => Counter::create(&trick),
                    Err(error) => return Err(error.into()),
                };
                counter.increment();
                processing.collect(&mut counter)?;
                Ok(())
            }
        }
    }
}

impl Counters {
    async fn count(&self, trick: &str) -> u64 {
        match self.app.repository().get::<Counter>(&Counter::create_id(trick)).await {
            Ok(counter) => counter.count,
            Err(ApplicationError::NotFound { .. }) => 0,
            Err(error) => panic!("{error}"),
        }
    }
}

#[aggregate]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Email {
    dog: Uuid,
}

#[aggregate]
impl Email {
    #[event("Sent")]
    pub fn send(dog: Uuid) -> Self {
        Self { dog }
    }
}

/// Sends an email for each registration (Python's email process).
#[derive(Debug)]
pub struct Emails {
    app: Application,
}

impl SystemApplication for Emails {
    const NAME: &'static str = "Emails";

    fn from_application(app: Application) -> Self {
        Emails { app }
    }

    fn application(&self) -> &Application {
        &self.app
    }
}

impl Policy for Emails {
    type Event = Record<Dog>;

    async fn policy(&self, event: Record<Dog>, processing: &mut Processing) -> Result<(), BoxError> {
        if let Record::Event(DomainEvent { payload: DogEvent::Registered { .. }, originator_id, .. }) = event {
            processing.collect(&mut Email::send(originator_id))?;
        }
        Ok(())
    }
}

/// Follows the dog school but reads only notes' topics, of which there are none here:
/// it never receives an event.
#[derive(Debug)]
pub struct NoteReader {
    app: Application,
}

impl SystemApplication for NoteReader {
    const NAME: &'static str = "NoteReader";

    fn from_application(app: Application) -> Self {
        NoteReader { app }
    }

    fn application(&self) -> &Application {
        &self.app
    }
}

impl Policy for NoteReader {
    type Event = Record<Note>;

    async fn policy(&self, _: Record<Note>, processing: &mut Processing) -> Result<(), BoxError> {
        processing.collect(&mut Email::send(Uuid::nil()))?;
        Ok(())
    }
}

// ---------------------------------------------------------------- a cycle

#[aggregate]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Command {
    text: String,
    output: Option<String>,
}

#[aggregate]
impl Command {
    #[event("Created")]
    pub fn create(text: &str) -> Self {
        Self { text: text.to_owned(), output: None }
    }

    #[event("Done")]
    pub fn done(&mut self, output: &str) {
        self.output = Some(output.to_owned());
    }
}

#[aggregate]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outcome {
    command: Uuid,
    output: String,
}

#[aggregate]
impl Outcome {
    #[event("Created")]
    pub fn create(command: Uuid, output: &str) -> Self {
        Self { command, output: output.to_owned() }
    }
}

/// Takes commands, and records their results when `Results` has worked them out.
#[derive(Debug)]
pub struct Commands {
    app: Application,
}

impl SystemApplication for Commands {
    const NAME: &'static str = "Commands";

    fn from_application(app: Application) -> Self {
        Commands { app }
    }

    fn application(&self) -> &Application {
        &self.app
    }
}

impl Policy for Commands {
    type Event = Record<Outcome>;

    async fn policy(&self, event: Record<Outcome>, processing: &mut Processing) -> Result<(), BoxError> {
        let Record::Event(event) = event else { return Ok(()) };
        let OutcomeEvent::Created { command, output } = event.payload;
        let mut command: Command = processing.repository().get(&command).await?;
        command.done(&output);
        processing.collect(&mut command)?;
        Ok(())
    }
}

/// Works out each command's result (the text in upper case), and passes over done ones.
#[derive(Debug)]
pub struct Results {
    app: Application,
}

impl SystemApplication for Results {
    const NAME: &'static str = "Results";

    fn from_application(app: Application) -> Self {
        Results { app }
    }

    fn application(&self) -> &Application {
        &self.app
    }
}

impl Policy for Results {
    type Event = Record<Command>;

    async fn policy(&self, event: Record<Command>, processing: &mut Processing) -> Result<(), BoxError> {
        if let Record::Event(DomainEvent { payload: CommandEvent::Created { text }, originator_id, .. }) = event {
            processing.collect(&mut Outcome::create(originator_id, &text.to_uppercase()))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- stores

/// Where a system's applications keep their events.
#[derive(Debug, Clone)]
enum Store {
    Memory,
    /// A directory of database files, one per application.
    Sqlite(Arc<SqliteDir>),
    /// A database URL and a schema of the test's own.
    Postgres(String, Arc<Schema>),
}

impl Store {
    fn memory() -> Store {
        Store::Memory
    }

    fn sqlite() -> Store {
        Store::Sqlite(Arc::new(SqliteDir::new("system")))
    }

    fn postgres() -> Option<Store> {
        let url = eventsourcing_core::testing::env_or_skip("EVENTSOURCING_POSTGRES_TEST_URL")?;
        Some(Store::Postgres(url.clone(), Arc::new(Schema::new(&url))))
    }

    /// A runner builder for `system` on this store.
    fn runner(&self, system: &System, mode: Mode) -> RunnerBuilder {
        let mut builder = system.runner().without_process_env().mode(mode);
        match self {
            Store::Memory => {}
            Store::Sqlite(dir) => {
                builder = builder.env("PERSISTENCE_MODULE", "sqlite");
                for name in system.names() {
                    let file = dir.file(name);
                    builder = builder.env(format!("{}_SQLITE_DBNAME", name.to_uppercase()), file);
                }
            }
            Store::Postgres(url, schema) => {
                builder = builder.env("PERSISTENCE_MODULE", "postgres").env("POSTGRES_URL", url);
                builder = builder.env("POSTGRES_SCHEMA", schema.as_str());
            }
        }
        builder
    }

    /// One application on this store, outside a system.
    async fn application(&self, name: &str) -> Application {
        let mut builder = Application::builder(name).without_process_env();
        match self {
            Store::Memory => {}
            Store::Sqlite(dir) => builder = builder.sqlite(dir.file(name)),
            Store::Postgres(url, schema) => {
                builder = builder.postgres(url.clone()).env("POSTGRES_SCHEMA", schema.as_str());
            }
        }
        builder.build().await.unwrap()
    }

    /// A second runner, after `before` stopped: on memory it runs the same applications
    /// (their stores live in them); on the other stores it opens them again.
    fn restart(&self, system: &System, mode: Mode, before: &[Application]) -> RunnerBuilder {
        let mut builder = self.runner(system, mode);
        if matches!(self, Store::Memory) {
            for application in before {
                builder = builder.application(application.clone());
            }
        }
        builder
    }
}

fn applications(runner: &Runner) -> Vec<Application> {
    runner.system().names().into_iter().filter_map(|name| runner.application(name)).collect()
}

/// After a command: inline, everything is processed already; with tasks, wait for it.
async fn settle(runner: &Runner, mode: Mode) {
    if mode == Mode::Tasks {
        runner.wait(WAIT).await.unwrap();
    }
}

async fn count_notifications(app: &Application) -> usize {
    app.recorder().select_notifications(NotificationQuery::after(None, 1000)).await.unwrap().len()
}

async fn position(follower: &Application, leader: &str) -> Option<u64> {
    follower.recorder().max_tracking_id(leader).await.unwrap()
}

// ---------------------------------------------------------------- cases

/// The tutorial's system: counts of tricks across three dogs, exact, with each counter
/// event caused by the trick that led to it.
async fn one_edge_counts_tricks(store: Store, mode: Mode) {
    let system = System::builder().pipe::<(DogSchool, Counters)>().build().unwrap();
    assert_eq!(system.names(), ["DogSchool", "Counters"]);
    let runner = store.runner(&system, mode).start().await.unwrap();
    let school = runner.get::<DogSchool>().unwrap();
    let counters = runner.get::<Counters>().unwrap();

    for name in ["Billy", "Milly", "Scrappy"] {
        school.register_dog(name).await;
    }
    for name in ["Billy", "Milly", "Scrappy"] {
        school.add_trick(name, "roll over").await;
    }
    settle(&runner, mode).await;
    assert_eq!(
        (counters.count("roll over").await, counters.count("fetch ball").await, counters.count("play dead").await),
        (3, 0, 0)
    );
    for name in ["Billy", "Milly"] {
        school.add_trick(name, "fetch ball").await;
    }
    settle(&runner, mode).await;
    assert_eq!((counters.count("roll over").await, counters.count("fetch ball").await), (3, 2));
    let last = school.add_trick("Billy", "play dead").await;
    settle(&runner, mode).await;
    assert_eq!(
        (counters.count("roll over").await, counters.count("fetch ball").await, counters.count("play dead").await),
        (3, 2, 1)
    );
    assert_eq!(last, 9);
    assert_eq!(position(&counters.app, "DogSchool").await, Some(9), "registrations are tracked too");
    // A Created and an Incremented for each counter's first trick, an Incremented after.
    assert_eq!(count_notifications(&counters.app).await, 9);

    // Each counter event names the trick event that caused it.
    let history = counters.app.repository().history::<Counter>(&Counter::create_id("play dead")).await.unwrap();
    let tricks = school.app.repository().history::<Dog>(&Dog::create_id("Billy")).await.unwrap();
    let cause: &EventMetadata = tricks.last().unwrap().metadata();
    for record in &history {
        assert_eq!(record.metadata().causation_id, Some(cause.event_id));
        assert_eq!(record.metadata().correlation_id, cause.correlation_id);
    }
    runner.stop().await.unwrap();
}

/// Two followers of one leader each process every event.
async fn two_edges_each_process_every_event(store: Store, mode: Mode) {
    let system = System::builder().pipe::<(DogSchool, Counters)>().pipe::<(DogSchool, Emails)>().build().unwrap();
    assert_eq!(system.leads("DogSchool"), ["Counters", "Emails"]);
    let runner = store.runner(&system, mode).start().await.unwrap();
    let school = runner.get::<DogSchool>().unwrap();
    assert_eq!(count_notifications(&runner.get::<Emails>().unwrap().app).await, 0);
    for i in 0..10 {
        school.register_dog(&format!("dog {i}")).await;
        school.add_trick(&format!("dog {i}"), "sit").await;
    }
    settle(&runner, mode).await;
    assert_eq!(count_notifications(&runner.get::<Emails>().unwrap().app).await, 10);
    assert_eq!(runner.get::<Counters>().unwrap().count("sit").await, 10);
    runner.stop().await.unwrap();
}

/// A cycle: commands go to Results, whose outcomes come back to Commands; done commands
/// are passed over, so the loop ends.
async fn a_cycle_processes_both_ways(store: Store, mode: Mode) {
    let system = System::builder().pipe::<(Commands, Results, Commands)>().build().unwrap();
    assert_eq!(system.processors(), ["Commands", "Results"]);
    let runner = store.runner(&system, mode).start().await.unwrap();
    let commands = runner.get::<Commands>().unwrap();
    let mut hello = Command::create("hello world");
    let mut other = Command::create("again");
    commands.app.save((&mut hello, &mut other)).await.unwrap();
    settle(&runner, mode).await;
    let hello: Command = commands.app.repository().get(hello.id()).await.unwrap();
    let other: Command = commands.app.repository().get(other.id()).await.unwrap();
    assert_eq!(hello.output.as_deref(), Some("HELLO WORLD"));
    assert_eq!(other.output.as_deref(), Some("AGAIN"));
    // Commands: 2 created, 2 done; Results: 2 outcomes.
    assert_eq!(count_notifications(&commands.app).await, 4);
    assert_eq!(count_notifications(&runner.get::<Results>().unwrap().app).await, 2);
    runner.stop().await.unwrap();
}

/// Notifications recorded while no follower runs are processed when one starts; a
/// stopped system's followers resume where they left off, each event processed once.
async fn catches_up_after_a_restart(store: Store, mode: Mode) {
    let system = System::builder().pipe::<(DogSchool, Counters)>().build().unwrap();
    let leader_only = store.runner(&system, mode).followers(Vec::<String>::new()).start().await.unwrap();
    let school = leader_only.get::<DogSchool>().unwrap();
    school.register_dog("Fido").await;
    school.add_trick("Fido", "sit").await;
    let counters_app = leader_only.get::<Counters>().unwrap().app.clone();
    assert_eq!(position(&counters_app, "DogSchool").await, None, "no follower ran");
    let before = applications(&leader_only);
    leader_only.stop().await.unwrap();

    let runner = store.restart(&system, mode, &before).start().await.unwrap();
    settle(&runner, mode).await;
    let counters = runner.get::<Counters>().unwrap();
    assert_eq!(counters.count("sit").await, 1, "outstanding notifications are processed at start");
    assert_eq!(position(&counters.app, "DogSchool").await, Some(2));
    let school = runner.get::<DogSchool>().unwrap();
    school.add_trick("Fido", "sit").await;
    settle(&runner, mode).await;
    let before = applications(&runner);
    runner.stop().await.unwrap();

    // Recorded while stopped.
    let stopped = store.restart(&system, mode, &before).followers(Vec::<String>::new()).start().await.unwrap();
    stopped.get::<DogSchool>().unwrap().add_trick("Fido", "sit").await;
    let before = applications(&stopped);
    stopped.stop().await.unwrap();

    let runner = store.restart(&system, mode, &before).start().await.unwrap();
    settle(&runner, mode).await;
    let counters = runner.get::<Counters>().unwrap();
    assert_eq!(counters.count("sit").await, 3);
    assert_eq!(position(&counters.app, "DogSchool").await, Some(4));
    runner.stop().await.unwrap();
}

/// A follower receives only the topics its policy reads: notes are neither processed nor
/// tracked, and a follower of notes alone receives nothing from a school without notes.
async fn receives_only_its_topics(store: Store, mode: Mode) {
    let system = System::builder().pipe::<(DogSchool, NoteReader)>().build().unwrap();
    let runner = store.runner(&system, mode).start().await.unwrap();
    let school = runner.get::<DogSchool>().unwrap();
    school.register_dog("Max").await;
    settle(&runner, mode).await;
    let reader = runner.get::<NoteReader>().unwrap();
    assert_eq!(count_notifications(&reader.app).await, 0);
    assert_eq!(position(&reader.app, "DogSchool").await, None);
    let before = applications(&runner);
    runner.stop().await.unwrap();

    let system = System::builder().pipe::<(DogSchool, Counters)>().pipe::<(DogSchool, NoteReader)>().build().unwrap();
    let runner = store.restart(&system, mode, &before).followers(["Counters"]).start().await.unwrap();
    let school = runner.get::<DogSchool>().unwrap();
    school.register_dog("Rex").await;
    let trick = school.add_trick("Rex", "sit").await;
    school.write_note("no dog here").await;
    settle(&runner, mode).await;
    let counters = runner.get::<Counters>().unwrap();
    assert_eq!(counters.count("sit").await, 1);
    assert_eq!(position(&counters.app, "DogSchool").await, Some(trick), "the note was not tracked");
    runner.stop().await.unwrap();
}

/// A policy error stops that follower at its notification, reported with the id; nothing
/// after it is processed; the leader's save is not undone; a cured restart resumes at it.
async fn a_policy_error_stops_the_follower_at_its_notification(store: Store, mode: Mode) {
    let poison = format!("poison {}", Uuid::new_v4());
    let system = System::builder().pipe::<(DogSchool, Counters)>().pipe::<(DogSchool, Emails)>().build().unwrap();
    let runner = store.runner(&system, mode).start().await.unwrap();
    let school = runner.get::<DogSchool>().unwrap();
    school.register_dog("Fido").await;
    let first = school.add_trick("Fido", "sit").await;
    let poisoned = school.register_dog(&poison).await;
    school.add_trick("Fido", "sit").await;

    let error = runner.watch_for_errors(WAIT).await.unwrap_err();
    let processing = error.processing().expect("a follower stopped");
    assert_eq!(processing.notification_id(), Some(poisoned));
    assert_eq!(processing.follower(), "Counters");
    assert!(matches!(processing, ProcessingError::Policy { .. }), "{processing:?}");
    assert!(error.to_string().contains(&format!("cannot count {poison}")), "{error}");
    let counters = runner.get::<Counters>().unwrap();
    assert_eq!(position(&counters.app, "DogSchool").await, Some(first), "nothing after the failure");
    assert_eq!(counters.count("sit").await, 1);
    // The other follower goes on.
    runner.wait(WAIT).await.unwrap_err();
    assert_eq!(count_notifications(&runner.get::<Emails>().unwrap().app).await, 2);
    let before = applications(&runner);
    let stopped = runner.stop().await.unwrap_err();
    assert_eq!(stopped.processing().and_then(ProcessingError::notification_id), Some(poisoned));

    cure(&poison);
    let runner = store.restart(&system, mode, &before).start().await.unwrap();
    settle(&runner, mode).await;
    let counters = runner.get::<Counters>().unwrap();
    assert_eq!(counters.count("sit").await, 2);
    assert_eq!(position(&counters.app, "DogSchool").await, Some(poisoned + 1));
    runner.stop().await.unwrap();
}

/// An event the policy ignores records no new event but advances the position; processing
/// a tracked notification again is a tracking conflict that records nothing.
async fn ignored_events_are_tracked_and_reprocessing_conflicts(store: Store, mode: Mode) {
    let system = System::builder().pipe::<(DogSchool, Counters)>().build().unwrap();
    let runner = store.runner(&system, mode).start().await.unwrap();
    let school = runner.get::<DogSchool>().unwrap();
    let registered = school.register_dog("Fido").await;
    settle(&runner, mode).await;
    let counters = runner.get::<Counters>().unwrap();
    assert_eq!(position(&counters.app, "DogSchool").await, Some(registered));
    assert_eq!(count_notifications(&counters.app).await, 0);

    let trick = school.add_trick("Fido", "sit").await;
    settle(&runner, mode).await;
    let notification = school.app.recorder().select_notifications(NotificationQuery::after(Some(trick - 1), 1));
    let notification = notification.await.unwrap().remove(0);
    let error = process_notification(counters, &counters.app, &school.app, &notification).await.unwrap_err();
    assert!(error.is_tracking_conflict(), "{error:?}");
    assert_eq!(error.notification_id(), Some(trick));
    assert_eq!(counters.count("sit").await, 1, "nothing recorded");
    assert_eq!(count_notifications(&counters.app).await, 2);
    runner.stop().await.unwrap();
}

/// An event-sourced projection outside a system: counts, waits, resumes after a restart,
/// and stops at a failing event, which a cured restart processes.
async fn an_event_sourced_projection_counts_and_resumes(store: Store, mode: Mode) {
    // The projection runner has one way of running; the mode only doubles the coverage of
    // the runner's restarts.
    let _ = mode;
    let school = DogSchool { app: store.application("DogSchool").await };
    let projection = store.application("Counters").await;
    school.register_dog("Fido").await;
    school.add_trick("Fido", "sit").await;
    let runner =
        EventSourcedProjectionRunner::start(&school.app, projection.clone(), Counters { app: projection.clone() });
    let trick = school.add_trick("Fido", "sit").await;
    runner.wait(trick, WAIT).await.unwrap();
    assert_eq!(runner.policy().count("sit").await, 2);
    // A note is of a topic the policy does not read: waiting for it returns at once.
    let note = school.write_note("hello").await;
    runner.wait(note, WAIT).await.unwrap();
    assert_eq!(position(runner.application(), "DogSchool").await, Some(trick));
    runner.stop().await.unwrap();

    let poison = format!("poison {}", Uuid::new_v4());
    let poisoned = school.register_dog(&poison).await;
    let after = school.add_trick("Fido", "sit").await;
    let projection = if matches!(store, Store::Memory) { projection } else { store.application("Counters").await };
    let runner =
        EventSourcedProjectionRunner::start(&school.app, projection.clone(), Counters { app: projection.clone() });
    let error = runner.wait(after, WAIT).await.unwrap_err();
    assert_eq!(error.processing().and_then(ProcessingError::notification_id), Some(poisoned), "{error}");
    assert_eq!(runner.policy().count("sit").await, 2, "nothing after the failure");
    assert!(runner.stop().await.is_err());

    cure(&poison);
    let runner = EventSourcedProjectionRunner::start(&school.app, projection.clone(), Counters { app: projection });
    runner.wait(after, WAIT).await.unwrap();
    assert_eq!(runner.policy().count("sit").await, 3);
    runner.stop().await.unwrap();
}

/// Counters that snapshot every second version: a process application takes its snapshots
/// as a save does.
#[derive(Debug)]
pub struct SnapshottingCounters(Counters);

impl SystemApplication for SnapshottingCounters {
    const NAME: &'static str = "Counters";

    fn from_application(app: Application) -> Self {
        SnapshottingCounters(Counters { app })
    }

    fn application(&self) -> &Application {
        &self.0.app
    }

    fn configure(
        builder: eventsourcing::application::ApplicationBuilder,
    ) -> eventsourcing::application::ApplicationBuilder {
        builder.snapshot_every::<Counter>(2)
    }
}

impl Policy for SnapshottingCounters {
    type Event = Record<Dog>;

    async fn policy(&self, event: Record<Dog>, processing: &mut Processing) -> Result<(), BoxError> {
        self.0.policy(event, processing).await
    }
}

async fn a_process_application_takes_snapshots_at_its_intervals(store: Store, mode: Mode) {
    let system = System::builder().pipe::<(DogSchool, SnapshottingCounters)>().build().unwrap();
    let runner = store.runner(&system, mode).start().await.unwrap();
    let school = runner.get::<DogSchool>().unwrap();
    school.register_dog("Fido").await;
    for _ in 0..4 {
        school.add_trick("Fido", "sit").await;
    }
    settle(&runner, mode).await;
    let counters = &runner.get::<SnapshottingCounters>().unwrap().0;
    assert_eq!(counters.count("sit").await, 4);
    let snapshots = counters.app.snapshot_recorder().expect("snapshotting is on");
    let id = Counter::create_id("sit").to_originator_id();
    let taken = snapshots.select_events(&id, eventsourcing::persistence::EventQuery::all()).await.unwrap();
    // Created is version 1, four increments make 5: snapshots at 2 and 4.
    assert_eq!(taken.iter().map(|s| s.originator_version).collect::<Vec<_>>(), [2, 4]);
    runner.stop().await.unwrap();
}

// ---------------------------------------------------------------- definition

struct Impostor(Application);

impl SystemApplication for Impostor {
    const NAME: &'static str = "DogSchool";

    fn from_application(app: Application) -> Self {
        Impostor(app)
    }

    fn application(&self) -> &Application {
        &self.0
    }
}

impl Policy for Impostor {
    type Event = Record<Dog>;

    async fn policy(&self, _: Record<Dog>, _: &mut Processing) -> Result<(), BoxError> {
        Ok(())
    }
}

#[test]
fn the_definition_is_checked_when_built() {
    let system = System::builder()
        .pipe::<(DogSchool, Counters)>()
        .pipe::<(DogSchool, Counters)>()
        .single::<Emails>()
        .build()
        .unwrap();
    assert_eq!(system.names(), ["DogSchool", "Counters", "Emails"]);
    assert_eq!(system.leaders(), ["DogSchool"]);
    assert_eq!(system.followers(), ["Counters"]);
    assert_eq!(system.singles(), ["Emails"]);
    assert_eq!(system.leads("DogSchool"), ["Counters"], "an edge given twice counts once");
    assert!(system.processors().is_empty());

    let error = System::builder().pipe::<(DogSchool, Counters)>().pipe::<(Counters, Impostor)>().build().unwrap_err();
    assert!(matches!(error, SystemError::DuplicateName { name: "DogSchool", .. }), "{error:?}");
    assert!(error.to_string().contains("Impostor"), "{error}");
    assert!(matches!(System::builder().build(), Err(SystemError::Empty)));

    // A pipe may lead back to where it started.
    let cycle = System::builder().pipe::<(Commands, Results, Commands)>().build().unwrap();
    assert_eq!(cycle.follows("Commands"), ["Results"]);
}

#[tokio::test]
async fn a_runner_refuses_names_it_cannot_run_and_types_it_does_not_have() {
    let system = System::builder().pipe::<(DogSchool, Counters)>().build().unwrap();
    let error = system.runner().without_process_env().followers(["Countres"]).start().await.unwrap_err();
    assert!(matches!(&error, SystemError::UnknownApplication { name, .. } if name == "Countres"), "{error:?}");
    assert!(error.to_string().contains("Counters, DogSchool"), "{error}");
    let error = system.runner().without_process_env().env("SYSTEM_FOLLOWERS", "DogSchool").start().await.unwrap_err();
    assert!(
        matches!(&error, SystemError::NotAFollower { name, setting, .. } if name == "DogSchool" && setting == "SYSTEM_FOLLOWERS"),
        "{error:?}"
    );

    let error = system.runner().without_process_env().env("PERSISTENCE_MODULE", "nosuch").start().await.unwrap_err();
    assert!(matches!(&error, SystemError::Build { name: "DogSchool", .. }), "{error:?}");

    let runner = system.runner().without_process_env().start().await.unwrap();
    let error = runner.get::<Emails>().err().unwrap();
    assert!(matches!(error, SystemError::NotInSystem { .. }), "{error:?}");
    assert!(runner.application("Emails").is_none());
    // Healthy: no error within the time given.
    runner.watch_for_errors(Duration::from_millis(50)).await.unwrap();
    runner.stop().await.unwrap();
}

/// Inline, saves from many tasks at once are all processed before each returns.
#[tokio::test(flavor = "multi_thread")]
async fn inline_processing_keeps_up_with_concurrent_saves() {
    let system = System::builder().pipe::<(DogSchool, Counters)>().build().unwrap();
    let runner = system.runner().without_process_env().inline().start().await.unwrap();
    let school = runner.get::<DogSchool>().unwrap().app.clone();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let school = school.clone();
            tokio::spawn(async move {
                let mut dog = Dog::register(&format!("dog {i}"));
                dog.add_trick("sit");
                school.save(&mut dog).await.unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(runner.get::<Counters>().unwrap().count("sit").await, 8);
    runner.stop().await.unwrap();
}

macro_rules! on_every_store {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                use super::*;

                async fn run(store: Option<Store>, mode: Mode) {
                    let Some(store) = store else { return };
                    super::$case(store, mode).await;
                }

                #[tokio::test(flavor = "multi_thread")]
                async fn memory_inline() { run(Some(Store::memory()), Mode::Inline).await }
                #[tokio::test(flavor = "multi_thread")]
                async fn memory_tasks() { run(Some(Store::memory()), Mode::Tasks).await }
                #[tokio::test(flavor = "multi_thread")]
                async fn sqlite_inline() { run(Some(Store::sqlite()), Mode::Inline).await }
                #[tokio::test(flavor = "multi_thread")]
                async fn sqlite_tasks() { run(Some(Store::sqlite()), Mode::Tasks).await }
#[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
                #[tokio::test(flavor = "multi_thread")]
                async fn postgres_inline() { run(Store::postgres(), Mode::Inline).await }
#[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
                #[tokio::test(flavor = "multi_thread")]
                async fn postgres_tasks() { run(Store::postgres(), Mode::Tasks).await }
            }
        )*
    };
}

on_every_store!(
    one_edge_counts_tricks,
    two_edges_each_process_every_event,
    a_cycle_processes_both_ways,
    catches_up_after_a_restart,
    receives_only_its_topics,
    a_policy_error_stops_the_follower_at_its_notification,
    ignored_events_are_tracked_and_reprocessing_conflicts,
    an_event_sourced_projection_counts_and_resumes,
    a_process_application_takes_snapshots_at_its_intervals,
);
