//! The dog school of Python eventsourcing's README, in Rust: dogs are registered, learn
//! tricks, and are rebuilt from their recorded events and from a snapshot.
//!
//! Run it with `cargo run --example dog_school`.

use eventsourcing::persistence::Codec;
use eventsourcing::prelude::*;

#[aggregate]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// A dog at the school.
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

    /// The dog's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tricks the dog knows, oldest first.
    pub fn tricks(&self) -> &[String] {
        &self.tricks
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut dog = Dog::register("Fido".into());
    dog.add_trick("roll over");
    dog.add_trick("play dead");
    println!("{} (id {}) knows {:?}, version {}", dog.name(), dog.id(), dog.tricks(), dog.version());

    // Each command recorded an event; an application would store these.
    let events = dog.collect_events();
    let codec = Codec::Json;
    for event in &events {
        let info = event.payload.info();
        let bytes = codec.encode_event(&event.payload)?;
        println!(
            "  v{} {} at {}: {}",
            event.originator_version,
            info.name,
            event.timestamp,
            String::from_utf8_lossy(&bytes)
        );
        // What is stored decodes back to the same event.
        assert_eq!(codec.decode_event::<DogEvent>(info.name, info.version, &bytes)?, event.payload);
    }

    // Replaying the events re-runs the command bodies and rebuilds the same dog.
    let replayed = Dog::from_events(events)?;
    assert_eq!(replayed, dog);
    println!("replayed from events: {:?}", replayed.tricks());

    // A snapshot restores the dog without its history; later events apply on top.
    let snapshot = Snapshot::take(&dog);
    let bytes = codec.encode_snapshot(&snapshot)?;
    let mut restored = codec.decode_snapshot::<Dog>(*dog.id(), dog.version(), &bytes)?.restore();
    dog.add_trick("fetch");
    restored.apply_events(dog.collect_events())?;
    assert_eq!(restored, dog);
    println!(
        "restored from a snapshot at version {}, now version {}: {:?}",
        snapshot.originator_version,
        restored.version(),
        restored.tricks()
    );
    Ok(())
}
