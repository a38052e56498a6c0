//! Python eventsourcing's tutorial part 5, in Rust: a system in which the `Counters`
//! process application counts the tricks the dog school teaches, each trick counted
//! exactly once.
//!
//! Every application is on the store the environment names: in memory by default, SQLite
//! with `PERSISTENCE_MODULE=sqlite` (one database per application:
//! `DOGSCHOOL_SQLITE_DBNAME=...` and `COUNTERS_SQLITE_DBNAME=...`, or `SQLITE_DBNAME=:memory:`
//! for both), PostgreSQL with `PERSISTENCE_MODULE=postgres POSTGRES_URL=...` (tables side by
//! side, prefixed with each application's name).
//!
//! ```sh
//! cargo run --example system                  # the school teaches, the counters count
//! ```
//!
//! With PostgreSQL, the counters can run in another process, or on another host:
//!
//! ```sh
//! # terminal 1: only the follower runs here; it follows the school's log until stopped
//! SYSTEM_FOLLOWERS=Counters cargo run --example system -- follow
//! # terminal 2: no follower runs here; the school teaches, and waits for the counts
//! SYSTEM_FOLLOWERS= cargo run --example system
//! ```

use std::time::Duration;

use eventsourcing::application::ApplicationBuilder;
use eventsourcing::persistence::{ApplicationRecorder, BoxError, TrackingRecorder};
use eventsourcing::prelude::*;
use eventsourcing::system::{Policy, Processing, System, SystemApplication};

/// A dog at the school.
#[aggregate]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dog {
    name: String,
    tricks: Vec<String>,
}

#[aggregate]
impl Dog {
    /// Registers a new dog.
    #[event("Registered")]
    pub fn register(name: &str) -> Self {
        Self { name: name.to_owned(), tricks: Vec::new() }
    }

    /// Teaches the dog a trick.
    #[event("TrickAdded")]
    pub fn add_trick(&mut self, trick: &str) {
        self.tricks.push(trick.to_owned());
    }
}

/// The dog school: a leader of the system.
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
    /// Registers a dog and returns its id.
    pub async fn register_dog(&self, name: &str) -> Result<Uuid, ApplicationError> {
        let mut dog = Dog::register(name);
        self.app.save(&mut dog).await?;
        Ok(*dog.id())
    }

    /// Teaches a dog a trick; returns the notification id of the event.
    pub async fn add_trick(&self, dog_id: Uuid, trick: &str) -> Result<u64, ApplicationError> {
        let mut dog: Dog = self.app.repository().get(&dog_id).await?;
        dog.add_trick(trick);
        let ids = self.app.save(&mut dog).await?;
        Ok(ids.last().copied().unwrap_or_default())
    }
}

/// How many times a trick has been taught, across all dogs.
#[aggregate]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Counter {
    name: String,
    count: u64,
}

#[aggregate]
impl Counter {
    /// One counter per trick: its id is derived from the trick's name.
    fn create_id(name: &str) -> Uuid {
        Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("/counters/{name}").as_bytes())
    }

    /// Starts counting a trick.
    #[event("Created")]
    pub fn create(name: &str) -> Self {
        Self { name: name.to_owned(), count: 0 }
    }

    /// Counts one more.
    #[event("Incremented")]
    pub fn increment(&mut self) {
        self.count += 1;
    }
}

/// The process application: counts each trick the school teaches.
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

    /// The policy reads a counter for every trick: a cache keeps the counters in memory,
    /// brought up to date from the store on each read, instead of replaying them.
    fn configure(builder: ApplicationBuilder) -> ApplicationBuilder {
        builder.cache(Some(1000))
    }
}

impl Policy for Counters {
    type Event = Record<Dog>;

    async fn policy(&self, event: Record<Dog>, processing: &mut Processing) -> Result<(), BoxError> {
        // Registrations are passed over (and still tracked); each trick is counted.
        let Record::Event(DomainEvent { payload: DogEvent::TrickAdded { trick }, .. }) = event else {
            return Ok(());
        };
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

impl Counters {
    /// How many times `trick` has been taught.
    pub async fn get_count(&self, trick: &str) -> Result<u64, ApplicationError> {
        match self.app.repository().get::<Counter>(&Counter::create_id(trick)).await {
            Ok(counter) => Ok(counter.count),
            Err(ApplicationError::NotFound { .. }) => Ok(0),
            Err(error) => Err(error),
        }
    }

    async fn counts(&self) -> Result<[u64; 3], ApplicationError> {
        Ok([
            self.get_count("roll over").await?,
            self.get_count("fetch ball").await?,
            self.get_count("play dead").await?,
        ])
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let system = System::builder().pipe::<(DogSchool, Counters)>().build()?;
    // The followers to run here: all, unless SYSTEM_FOLLOWERS names them.
    let runner = system.runner().start().await?;

    if std::env::args().nth(1).as_deref() == Some("follow") {
        println!("following DogSchool; stop with Ctrl-C");
        tokio::select! {
            result = tokio::signal::ctrl_c() => result?,
            result = runner.watch_for_errors(Duration::MAX) => result?,
        }
        return Ok(runner.stop().await?);
    }

    let school = runner.get::<DogSchool>()?;
    let counters = runner.get::<Counters>()?;
    // The store may hold earlier runs' dogs: once the counters have caught up with them,
    // this run adds to their counts.
    if let Some(recorded) = school.app.recorder().max_notification_id().await? {
        counters.app.recorder().wait("DogSchool", Some(recorded), Duration::from_secs(10)).await?;
    }
    let before = counters.counts().await?;

    let billy = school.register_dog("Billy").await?;
    let milly = school.register_dog("Milly").await?;
    let scrappy = school.register_dog("Scrappy").await?;
    for dog in [billy, milly, scrappy] {
        school.add_trick(dog, "roll over").await?;
    }
    for dog in [billy, milly] {
        school.add_trick(dog, "fetch ball").await?;
    }
    let last = school.add_trick(billy, "play dead").await?;

    // Wait for the followers running here, then for the position of the last trick in
    // the counters' tracking (recorded by a follower here, or in another process).
    runner.wait(Duration::from_secs(10)).await?;
    counters.app.recorder().wait("DogSchool", Some(last), Duration::from_secs(10)).await?;
    let after = counters.counts().await?;
    let counted: Vec<u64> = after.iter().zip(before).map(|(after, before)| after - before).collect();
    println!("roll over: {}, fetch ball: {}, play dead: {}", counted[0], counted[1], counted[2]);
    assert_eq!(counted, [3, 2, 1]);
    runner.stop().await?;
    Ok(())
}
