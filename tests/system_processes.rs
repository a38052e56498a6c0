//! A system across operating-system processes on PostgreSQL: this test is the leader (the
//! dog school), and the follower (the counters) is `examples/system.rs` started with only
//! environment settings, woken by LISTEN/NOTIFY. Killed in a loop while the school
//! teaches, it still counts every trick exactly once.
#![allow(missing_docs)]

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use std::time::{Duration, Instant};

use eventsourcing::persistence::{NotificationQuery, TrackingRecorder};
use eventsourcing::prelude::*;
use support::Schema;

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

/// The example's counter: read back here to check the counts.
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

/// The follower binary: `examples/system.rs`, which `cargo test` builds beside the tests.
fn follower_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let binary = profile_dir.join("examples").join(format!("system{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: `cargo test` builds it; alone, run `cargo build --example system` first",
        binary.display()
    );
    binary
}

struct Setup {
    url: String,
    schema: Schema,
}

impl Setup {
    fn new() -> Option<Self> {
        let url = eventsourcing_core::testing::env_or_skip("EVENTSOURCING_POSTGRES_TEST_URL")?;
        Some(Setup { schema: Schema::new(&url), url })
    }

    /// The follower process: the example, configured by the environment alone.
    fn follower(&self) -> Follower {
        let child = Command::new(follower_binary())
            .arg("follow")
            .env_clear()
            .env("PERSISTENCE_MODULE", "postgres")
            .env("POSTGRES_URL", &self.url)
            .env("POSTGRES_SCHEMA", self.schema.as_str())
            .env("SYSTEM_FOLLOWERS", "Counters")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        Follower(child)
    }

    async fn application(&self, name: &str) -> Application {
        let builder = Application::builder(name).without_process_env().postgres(self.url.clone());
        builder.env("POSTGRES_SCHEMA", &self.schema).build().await.unwrap()
    }
}

/// A follower process, killed (as with `kill -9`) when dropped, so that a failed test
/// leaves none behind.
struct Follower(Child);

impl Follower {
    fn kill(&mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn count(counters: &Application, trick: &str) -> u64 {
    match counters.repository().get::<Counter>(&Counter::create_id(trick)).await {
        Ok(counter) => counter.count,
        Err(ApplicationError::NotFound { .. }) => 0,
        Err(error) => panic!("{error}"),
    }
}

/// The follower in another process processes what the leader here saves, woken by
/// LISTEN/NOTIFY, and catches up with what was saved before it started.
#[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
#[tokio::test(flavor = "multi_thread")]
async fn a_follower_in_another_process_follows_the_leader() {
    let Some(setup) = Setup::new() else { return };
    let school = setup.application("DogSchool").await;
    let counters = setup.application("Counters").await;
    let mut dog = Dog::register("Fido");
    dog.add_trick("sit");
    school.save(&mut dog).await.unwrap();

    let mut follower = setup.follower();
    counters.recorder().wait("DogSchool", Some(2), Duration::from_secs(20)).await.unwrap();
    assert_eq!(count(&counters, "sit").await, 1, "caught up with what was saved before it started");

    // Live: each trick is counted soon after it is saved.
    let mut latencies = Vec::new();
    for _ in 0..20 {
        dog.add_trick("roll over");
        let id = *school.save(&mut dog).await.unwrap().last().unwrap();
        let saved = Instant::now();
        counters.recorder().wait("DogSchool", Some(id), Duration::from_secs(20)).await.unwrap();
        latencies.push(saved.elapsed());
    }
    assert_eq!(count(&counters, "roll over").await, 20);
    follower.kill();
    latencies.sort();
    eprintln!("follower in another process: median wait {:?} (the wait polls from 100 ms)", latencies[10]);
}

/// The follower process is killed at random moments, again and again, while the leader
/// saves: when a last follower has caught up, every trick is counted exactly once and
/// the counters' events are exactly those one count each makes.
#[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
#[tokio::test(flavor = "multi_thread")]
async fn a_follower_killed_in_a_loop_counts_every_trick_exactly_once() {
    let Some(setup) = Setup::new() else { return };
    let school = setup.application("DogSchool").await;
    let counters = setup.application("Counters").await;

    let writer = {
        let school = school.clone();
        tokio::spawn(async move {
            let tricks = ["sit", "roll over", "fetch"];
            let mut dogs: Vec<Dog> = (0..5).map(|i| Dog::register(&format!("dog {i}"))).collect();
            let mut taught = 0_u64;
            let mut last = 0;
            let until = Instant::now() + Duration::from_secs(5);
            while Instant::now() < until {
                for dog in &mut dogs {
                    dog.add_trick(tricks[usize::try_from(taught % 3).unwrap()]);
                    taught += 1;
                }
                last = *school.save(&mut dogs[..]).await.unwrap().last().unwrap();
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            (taught, last)
        })
    };

    let mut kills = 0;
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    while !writer.is_finished() {
        let mut follower = setup.follower();
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        tokio::time::sleep(Duration::from_millis(50 + rng % 400)).await;
        follower.kill();
        kills += 1;
    }
    let (taught, last) = writer.await.unwrap();

    let mut follower = setup.follower();
    counters.recorder().wait("DogSchool", Some(last), Duration::from_mins(1)).await.unwrap();
    follower.kill();

    let counts = [count(&counters, "sit").await, count(&counters, "roll over").await, count(&counters, "fetch").await];
    eprintln!("{taught} tricks taught while the follower was killed {kills} times; counted {counts:?}");
    assert!(kills >= 5, "the follower was killed only {kills} times");
    assert_eq!(counts.iter().sum::<u64>(), taught, "every trick counted exactly once");
    // One Created per counter, one Incremented per trick: nothing recorded twice.
    let recorded = counters.recorder().select_notifications(NotificationQuery::after(None, 1_000_000)).await.unwrap();
    assert_eq!(recorded.len() as u64, taught + 3);
}
