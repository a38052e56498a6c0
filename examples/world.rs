//! The synopsis of Python eventsourcing's older README, in Rust: a `World` whose history
//! is recorded, read back at an earlier version, protected by optimistic concurrency,
//! hash-chained, encrypted, and finally discarded.
//!
//! Run it with `cargo run --example world`.

use eventsourcing::persistence::{Cipher, EventQuery, Record};
use eventsourcing::prelude::*;

/// A world, and what happened in it.
#[aggregate]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct World {
    ruler: String,
    history: Vec<String>,
}

#[aggregate]
impl World {
    /// Creates a world with a ruler.
    #[event("Created")]
    pub fn create(ruler: &str) -> Self {
        Self { ruler: ruler.to_owned(), history: Vec::new() }
    }

    /// Records that something happened.
    #[event("SomethingHappened")]
    pub fn make_it_so(&mut self, what: &str) {
        self.history.push(what.to_owned());
    }

    /// Changes the ruler.
    #[event("RulerChanged")]
    pub fn set_ruler(&mut self, ruler: &str) {
        ruler.clone_into(&mut self.ruler);
    }

    /// What happened, oldest first.
    pub fn history(&self) -> &[String] {
        &self.history
    }

    /// Who rules.
    pub fn ruler(&self) -> &str {
        &self.ruler
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Encrypted, compressed and hash-chained records (the variables could come from the
    // environment instead, as WORLDS_CIPHER_KEY and so on).
    let app = Application::builder("Worlds")
        .env("CIPHER_KEY", Cipher::generate_key()?)
        .env("COMPRESSOR_TOPIC", "zstd")
        .env("HASH_CHAIN", "yes")
        .build()
        .await?;

    let mut world = World::create("gods");
    world.make_it_so("dinosaurs");
    world.make_it_so("trucks");
    let version = world.version(); // note the version at this stage
    world.make_it_so("internet");
    world.set_ruler("money");
    app.save(&mut world).await?;

    // The repository returns the same state.
    let copy: World = app.repository().get(world.id()).await?;
    assert_eq!(copy.ruler(), "money");
    assert_eq!(copy.history(), ["dinosaurs", "trucks", "internet"]);
    assert_eq!(copy, world);
    println!("{} rules a world where {:?} happened", copy.ruler(), copy.history());

    // The world as it was at an earlier version.
    let mut old: World = app.repository().get_at(world.id(), version).await?;
    assert_eq!(old.history().last().map(String::as_str), Some("trucks"));
    println!("at version {version}: {:?}", old.history());

    // Optimistic concurrency: a stale copy cannot overwrite history.
    old.make_it_so("future");
    let error = app.save(&mut old).await.expect_err("the stale copy conflicts");
    assert!(error.is_conflict());
    println!("saving a stale copy: {error}");

    // Every record commits to the one before it; the head vouches for the whole history.
    // Loading verified the chain, and arrives at the head the saved world has.
    let head = world.head().expect("hash chaining is on");
    assert_eq!(copy.head(), Some(head));
    println!("head of the hash chain: {head}");

    // The records are encrypted: none of the values is visible in the stored bytes.
    let records = app.recorder().select_events(&world.id().to_originator_id(), EventQuery::all()).await?;
    assert_eq!(records.len(), 5); // created, 3 × something happened, ruler changed
    for record in &records {
        for word in ["gods", "dinosaurs", "trucks", "internet", "money"] {
            assert!(!record.state.windows(word.len()).any(|w| w == word.as_bytes()));
        }
    }
    println!("{} records, none with a readable value", records.len());

    // Discarding: the world is gone from the repository, its history stays readable.
    app.discard(&mut world).await?;
    assert!(!app.repository().contains::<World>(world.id()).await?);
    let error = app.repository().get::<World>(world.id()).await.expect_err("discarded");
    assert!(matches!(error, ApplicationError::NotFound { .. }));
    let history = app.repository().history::<World>(world.id()).await?;
    assert!(matches!(history.last(), Some(Record::Discarded { .. })));
    println!("discarded: {error}; its history still has {} records", history.len());

    // The notification log holds every record, in order; new aggregates follow on.
    let log = app.notification_log();
    let ids: Vec<u64> = log.select(1, 10).await?.iter().map(|n| n.id).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
    let (mut a, mut b) = (World::create("cats"), World::create("dogs"));
    let new_ids = app.save((&mut a, &mut b)).await?;
    assert_eq!(new_ids, [7, 8]);
    let section = log.section("1,10").await?;
    assert_eq!(section.id.as_deref(), Some("1,8"));
    println!("notifications {ids:?}, then {new_ids:?} for two new worlds");
    Ok(())
}
