//! Trying a command again when another writer got there first.
//!
//! A command reads an aggregate, changes it and saves it; if another command saved the
//! same aggregate in between, the save fails with a version conflict and nothing is
//! written. The cure is to run the whole command again, from the read, which
//! [`retry_on_conflict`] and [`Retry`] do.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use eventsourcing_core::persistence::PersistenceError;

use crate::error::ApplicationError;

/// An error that may be an optimistic concurrency conflict, which [`Retry`] runs the
/// command again for.
///
/// Implemented for [`ApplicationError`] and [`PersistenceError`]; an application's own
/// error type that wraps one implements it by asking the wrapped error:
///
/// ```
/// use eventsourcing::application::{ApplicationError, Conflict};
///
/// #[derive(Debug)]
/// enum BankError {
///     Application(ApplicationError),
///     InsufficientFunds,
/// }
///
/// impl Conflict for BankError {
///     fn is_conflict(&self) -> bool {
///         matches!(self, BankError::Application(e) if e.is_conflict())
///     }
/// }
/// ```
pub trait Conflict {
    /// Whether the command failed because the aggregate changed since it was read.
    fn is_conflict(&self) -> bool;
}

impl Conflict for ApplicationError {
    fn is_conflict(&self) -> bool {
        ApplicationError::is_conflict(self)
    }
}

impl Conflict for PersistenceError {
    fn is_conflict(&self) -> bool {
        PersistenceError::is_conflict(self)
    }
}

/// How often, and after what waits, a command is run again after a version conflict.
///
/// The waits grow: the first is [`Retry::wait`], each next one twice the last, up to
/// [`Retry::max_wait`], each shortened by a random part of up to half, so that writers
/// that collided do not collide again in step. Errors other than conflicts are returned
/// at once. The default: 10 attempts in all, waits from 2 ms up to 200 ms.
///
/// ```
/// # use eventsourcing::prelude::*;
/// use eventsourcing::application::Retry;
/// # #[aggregate]
/// # #[derive(Debug, Clone, Serialize, Deserialize)]
/// # pub struct Dog { tricks: Vec<String> }
/// # #[aggregate]
/// # impl Dog {
/// #     #[event("Registered")]
/// #     pub fn register() -> Self { Self { tricks: Vec::new() } }
/// #     #[event("TrickAdded")]
/// #     pub fn add_trick(&mut self, trick: String) { self.tricks.push(trick); }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ApplicationError> {
/// # let app = Application::builder("DogSchool").without_process_env().build().await?;
/// # let mut dog = Dog::register();
/// # app.save(&mut dog).await?;
/// # let id = *dog.id();
/// let retry = Retry::new().attempts(5);
/// retry
///     .run(|| async {
///         let mut dog: Dog = app.repository().get(&id).await?;
///         dog.add_trick("sit".into());
///         app.save(&mut dog).await
///     })
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    attempts: u32,
    wait: Duration,
    max_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry { attempts: 10, wait: Duration::from_millis(2), max_wait: Duration::from_millis(200) }
    }
}

impl Retry {
    /// The default: 10 attempts, waits from 2 ms up to 200 ms.
    pub fn new() -> Self {
        Retry::default()
    }

    /// How many times the command runs at most, the first time included (at least 1).
    #[must_use]
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// The wait before the second attempt; each next wait is twice the last.
    #[must_use]
    pub fn wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// The longest wait between two attempts.
    #[must_use]
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// Runs `command`, and runs it again while it fails with a conflict, until it
    /// succeeds, fails otherwise, or has run [`Retry::attempts`] times; then returns its
    /// last result. The command must read what it changes afresh each time.
    pub async fn run<T, E, F, Fut>(&self, mut command: F) -> Result<T, E>
    where
        E: Conflict,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut wait = self.wait.min(self.max_wait);
        let mut attempt = 1;
        loop {
            match command().await {
                Err(error) if error.is_conflict() && attempt < self.attempts => {
                    tracing::debug!(attempt, "version conflict: running the command again");
                    tokio::time::sleep(jittered(wait)).await;
                    wait = (wait * 2).min(self.max_wait);
                    attempt += 1;
                }
                result => return result,
            }
        }
    }
}

/// Runs `command` again while it fails with a version conflict, with the default
/// [`Retry`]: up to 10 attempts, after growing waits. The command must read the
/// aggregates it changes afresh each time.
///
/// ```
/// # use eventsourcing::prelude::*;
/// use eventsourcing::application::retry_on_conflict;
/// # #[aggregate]
/// # #[derive(Debug, Clone, Serialize, Deserialize)]
/// # pub struct Dog { tricks: Vec<String> }
/// # #[aggregate]
/// # impl Dog {
/// #     #[event("Registered")]
/// #     pub fn register() -> Self { Self { tricks: Vec::new() } }
/// #     #[event("TrickAdded")]
/// #     pub fn add_trick(&mut self, trick: String) { self.tricks.push(trick); }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ApplicationError> {
/// # let app = Application::builder("DogSchool").without_process_env().build().await?;
/// # let mut dog = Dog::register();
/// # app.save(&mut dog).await?;
/// # let id = *dog.id();
/// retry_on_conflict(|| async {
///     let mut dog: Dog = app.repository().get(&id).await?;
///     dog.add_trick("sit".into());
///     app.save(&mut dog).await
/// })
/// .await?;
/// # Ok(()) }
/// ```
pub async fn retry_on_conflict<T, E, F, Fut>(command: F) -> Result<T, E>
where
    E: Conflict,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    Retry::default().run(command).await
}

/// `wait`, less a random part of up to half of it.
fn jittered(wait: Duration) -> Duration {
    // A randomly keyed hasher, with nothing written to it, gives a random number.
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    let high = u32::try_from(random >> 32).unwrap_or(u32::MAX);
    let fraction = f64::from(high) / f64::from(u32::MAX);
    wait.mul_f64(1.0 - fraction / 2.0)
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[derive(Debug, PartialEq)]
    enum Failure {
        Conflict,
        Other,
    }

    impl Conflict for Failure {
        fn is_conflict(&self) -> bool {
            *self == Failure::Conflict
        }
    }

    fn quick() -> Retry {
        Retry::new().wait(Duration::from_micros(10)).max_wait(Duration::from_micros(40))
    }

    #[tokio::test]
    async fn runs_again_after_conflicts_until_it_succeeds() {
        let calls = Cell::new(0);
        let result = quick()
            .run(|| async {
                calls.set(calls.get() + 1);
                if calls.get() < 3 { Err(Failure::Conflict) } else { Ok(calls.get()) }
            })
            .await;
        assert_eq!(result, Ok(3));
    }

    #[tokio::test]
    async fn returns_other_errors_at_once() {
        let calls = Cell::new(0);
        let result: Result<(), _> = quick()
            .run(|| async {
                calls.set(calls.get() + 1);
                Err(Failure::Other)
            })
            .await;
        assert_eq!((result, calls.get()), (Err(Failure::Other), 1));
    }

    #[tokio::test]
    async fn gives_up_after_the_attempts_with_the_last_conflict() {
        let calls = Cell::new(0);
        let result: Result<(), _> = quick()
            .attempts(4)
            .run(|| async {
                calls.set(calls.get() + 1);
                Err(Failure::Conflict)
            })
            .await;
        assert_eq!((result, calls.get()), (Err(Failure::Conflict), 4));
        // At least one attempt, whatever is asked for.
        calls.set(0);
        let result: Result<(), _> = quick()
            .attempts(0)
            .run(|| async {
                calls.set(calls.get() + 1);
                Err(Failure::Conflict)
            })
            .await;
        assert_eq!((result, calls.get()), (Err(Failure::Conflict), 1));
    }

    #[tokio::test(start_paused = true)]
    async fn waits_grow_to_the_longest_and_are_shortened_by_at_most_half() {
        let retry = Retry::new().attempts(6).wait(Duration::from_millis(100)).max_wait(Duration::from_millis(400));
        let started = tokio::time::Instant::now();
        let _ = retry.run(|| async { Err::<(), _>(Failure::Conflict) }).await;
        // Waits of 100, 200, 400, 400, 400 ms, each cut by up to half.
        let waited = started.elapsed();
        assert!(waited <= Duration::from_millis(1500), "{waited:?}");
        assert!(waited >= Duration::from_millis(750), "{waited:?}");
    }

    #[test]
    fn jitter_stays_within_half() {
        let wait = Duration::from_millis(100);
        let waits: Vec<_> = (0..200).map(|_| jittered(wait)).collect();
        assert!(waits.iter().all(|w| *w <= wait && *w >= wait / 2));
        assert!(waits.iter().any(|w| *w != waits[0]), "the waits are not random");
    }
}
