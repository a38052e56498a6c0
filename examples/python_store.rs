//! Opens a dog school store that Python `eventsourcing` 9.5 wrote (or any store in
//! Python's record format), lists its dogs from the notification log, and teaches each one
//! a trick, in records that Python reads back. The guide's chapter "Moving from Python"
//! walks through it.
//!
//! Configured as Python configures its application, plus `RECORD_FORMAT=python`:
//!
//! ```sh
//! RECORD_FORMAT=python PERSISTENCE_MODULE=sqlite SQLITE_DBNAME=dogs.sqlite \
//!     cargo run --example python_store
//! ```
//!
//! Without settings it runs on an in-memory store, registering a dog first.

use std::collections::BTreeSet;

use eventsourcing::prelude::*;

/// Python's `dogschool.Dog`: the same events and fields.
#[aggregate(python = "dogschool:Dog")]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dog {
    name: String,
    tricks: Vec<String>,
    owner: Option<Uuid>,
    born: Option<DateTime<Utc>>,
}

#[aggregate]
impl Dog {
    /// Registers a dog.
    #[event("Registered")]
    pub fn register(name: &str) -> Self {
        Self { name: name.to_owned(), tricks: Vec::new(), owner: None, born: None }
    }

    /// Teaches it a trick.
    #[event("TrickAdded")]
    pub fn add_trick(&mut self, trick: &str) {
        self.tricks.push(trick.to_owned());
    }

    /// Renames it (version 2 of the event has a reason; version 1 had none).
    #[event("NameChanged", version = 2, upcast(NameChangedV1))]
    pub fn change_name(&mut self, name: &str, reason: &str) {
        let _ = reason;
        name.clone_into(&mut self.name);
    }

    /// Gives it an owner.
    #[event("Adopted")]
    pub fn adopt(&mut self, owner: Uuid, born: DateTime<Utc>, friends: Vec<Uuid>) {
        let _ = friends;
        self.owner = Some(owner);
        self.born = Some(born);
    }
}

/// Version 1 of `NameChanged`, as Python's `upcast_v1_v2` knows it.
#[derive(Debug, Deserialize)]
pub struct NameChangedV1 {
    name: String,
}

impl From<NameChangedV1> for DogEvent {
    fn from(old: NameChangedV1) -> Self {
        DogEvent::NameChanged { name: old.name, reason: "upcast-default".into() }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let school = Application::builder("DogSchool").env("RECORD_FORMAT", "python").build().await?;
    let log = school.notification_log();
    if log.select(1, 1).await?.is_empty() {
        school.save(&mut Dog::register("Fido")).await?;
    }

    // Every dog in the log, by id.
    let mut dogs = BTreeSet::new();
    let mut start = 1;
    loop {
        let section = log.select(start, 10).await?;
        let Some(last) = section.last() else { break };
        start = last.id + 1;
        for notification in &section {
            println!("notification {}: {}", notification.id, notification.event.topic);
            if let Some(Record::Event(event)) = school.decode::<Record<Dog>>(notification)? {
                dogs.insert(event.originator_id);
            }
        }
    }

    for id in &dogs {
        let mut dog: Dog = school.repository().get(id).await?;
        dog.add_trick("sit");
        school.save(&mut dog).await?;
        println!("{} ({id}) knows {:?}", dog.name, dog.tricks);
    }
    Ok(())
}
