//! The dog school of Python eventsourcing's README, in Rust: an application that
//! registers dogs and teaches them tricks, on the store the environment names (in memory
//! unless `PERSISTENCE_MODULE` says otherwise).
//!
//! Run it with `cargo run --example dog_school`.

use eventsourcing::prelude::*;

/// A dog at the school.
#[aggregate]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dog {
    name: String,
    tricks: Vec<String>,
}

#[aggregate]
impl Dog {
    /// Registers a new dog.
    #[event("Registered")]
    pub fn register(name: String) -> Self {
        Self { name, tricks: Vec::new() }
    }

    /// Teaches the dog a trick.
    #[event("TrickAdded")]
    pub fn add_trick(&mut self, trick: &str) {
        self.tricks.push(trick.to_owned());
    }
}

/// The application: commands and a query, each one transaction.
#[derive(Debug)]
pub struct DogSchool {
    app: Application,
}

/// What the school tells about a dog.
#[derive(Debug, PartialEq)]
pub struct DogDetails {
    /// The dog's name.
    pub name: String,
    /// The tricks it knows, oldest first.
    pub tricks: Vec<String>,
}

impl DogSchool {
    /// The school, configured from the environment (prefix `DOGSCHOOL_`).
    pub async fn new() -> Result<Self, ApplicationError> {
        Ok(DogSchool { app: Application::from_env("DogSchool").await? })
    }

    /// Registers a dog and returns its id.
    pub async fn register_dog(&self, name: &str) -> Result<Uuid, ApplicationError> {
        let mut dog = Dog::register(name.to_owned());
        self.app.save(&mut dog).await?;
        Ok(*dog.id())
    }

    /// Teaches a registered dog a trick.
    pub async fn add_trick(&self, dog_id: Uuid, trick: &str) -> Result<(), ApplicationError> {
        let mut dog: Dog = self.app.repository().get(&dog_id).await?;
        dog.add_trick(trick);
        self.app.save(&mut dog).await?;
        Ok(())
    }

    /// A dog's name and tricks.
    pub async fn get_dog(&self, dog_id: Uuid) -> Result<DogDetails, ApplicationError> {
        let dog: Dog = self.app.repository().get(&dog_id).await?;
        Ok(DogDetails { name: dog.name, tricks: dog.tricks })
    }
}

#[tokio::main]
async fn main() -> Result<(), ApplicationError> {
    let school = DogSchool::new().await?;
    let dog_id = school.register_dog("Fido").await?;
    school.add_trick(dog_id, "roll over").await?;
    school.add_trick(dog_id, "fetch ball").await?;

    let details = school.get_dog(dog_id).await?;
    assert_eq!(details.name, "Fido");
    assert_eq!(details.tricks, ["roll over", "fetch ball"]);
    println!("{} knows {:?}", details.name, details.tricks);

    // Every event is in the application's notification log, in order.
    let notifications = school.app.notification_log().select(1, 10).await?;
    for notification in &notifications {
        let event = notification.event.originator_version;
        println!("  notification {}: {} (version {event})", notification.id, notification.event.topic);
    }
    assert!(notifications.len() >= 3);

    // The dog as it was at version 2.
    let earlier: Dog = school.app.repository().get_at(&dog_id, 2).await?;
    assert_eq!(earlier.tricks, ["roll over"]);
    println!("at version 2, {} knew {:?}", earlier.name, earlier.tricks);
    Ok(())
}
