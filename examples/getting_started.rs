//! A dog school whose every change is kept: the guide's first program.

use eventsourcing::prelude::*;

/// A dog at the school: its events are its history.
#[aggregate]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dog {
    name: String,
    tricks: Vec<String>,
}

#[aggregate]
impl Dog {
    /// Registers a dog: the event `Registered` creates it.
    #[event("Registered")]
    pub fn register(name: &str) -> Self {
        Dog { name: name.to_owned(), tricks: Vec::new() }
    }

    /// Teaches it a trick: the event `TrickAdded` changes it.
    #[event("TrickAdded")]
    pub fn add_trick(&mut self, trick: &str) {
        self.tricks.push(trick.to_owned());
    }
}

#[tokio::main]
async fn main() -> Result<(), ApplicationError> {
    // The store, the encryption, the snapshots: all from the environment.
    let app = Application::from_env("DogSchool").await?;

    let mut dog = Dog::register("Fido");
    dog.add_trick("roll over");
    dog.add_trick("fetch ball");
    app.save(&mut dog).await?;

    let fido: Dog = app.repository().get(dog.id()).await?;
    println!("{} knows {:?} (version {})", fido.name, fido.tricks, fido.version());

    if app.snapshot_recorder().is_some() {
        app.take_snapshot::<Dog>(dog.id(), None).await?;
        println!("took a snapshot of {}", fido.name);
    }

    let events = app.recorder().max_notification_id().await?.unwrap_or(0);
    println!("the store holds {events} events");
    Ok(())
}
