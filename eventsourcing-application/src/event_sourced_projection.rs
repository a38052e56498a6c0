//! Event-sourced projections: a policy following one upstream application outside any
//! system, its view the aggregates it records (Python's `EventSourcedProjectionRunner`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::application::Application;
use crate::process::Policy;
use crate::runner::{Running, Shared, deadline};
use crate::system::{Follower, SystemError};

/// Runs a policy that follows one upstream application, outside any system: an
/// event-sourced projection (Python's `EventSourcedProjectionRunner`), whose view is the
/// aggregates the policy records in its own application, read through that application's
/// repository. Each upstream event is processed exactly once, as in a system's follower; a
/// restarted runner resumes from the recorded position.
///
/// ```
/// # use std::time::Duration;
/// # use eventsourcing::prelude::*;
/// # use eventsourcing::persistence::BoxError;
/// # use eventsourcing::projection::EventSourcedProjectionRunner;
/// # use eventsourcing::system::{Policy, Processing};
/// # #[aggregate]
/// # #[derive(Debug, Clone, Serialize, Deserialize)]
/// # pub struct Dog { name: String }
/// # #[aggregate]
/// # impl Dog {
/// #     #[event("Registered")]
/// #     pub fn register(name: String) -> Self { Self { name } }
/// # }
/// #[aggregate]
/// #[derive(Debug, Clone, Serialize, Deserialize)]
/// pub struct Roll { names: Vec<String> }
///
/// #[aggregate]
/// impl Roll {
///     fn create_id() -> Uuid { Uuid::nil() }
///     #[event("Started")]
///     pub fn start() -> Self { Self { names: Vec::new() } }
///     #[event("Added")]
///     pub fn add(&mut self, name: String) { self.names.push(name); }
/// }
///
/// /// Keeps the roll of every dog's name.
/// struct RollCall;
///
/// impl Policy for RollCall {
///     type Event = Record<Dog>;
///
///     async fn policy(&self, event: Record<Dog>, processing: &mut Processing) -> Result<(), BoxError> {
///         let Record::Event(DomainEvent { payload: DogEvent::Registered { name }, .. }) = event else { return Ok(()) };
///         let mut roll = match processing.repository().get::<Roll>(&Uuid::nil()).await {
///             Ok(roll) => roll,
///             Err(ApplicationError::NotFound { .. }) => Roll::start(),
///             Err(error) => return Err(error.into()),
///         };
///         roll.add(name);
///         processing.collect(&mut roll)?;
///         Ok(())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let school = Application::builder("DogSchool").without_process_env().build().await?;
/// let roll_app = Application::builder("Roll").without_process_env().build().await?;
/// let runner = EventSourcedProjectionRunner::start(&school, roll_app, RollCall);
/// let ids = school.save(&mut Dog::register("Fido".into())).await?;
/// runner.wait(ids[0], Duration::from_secs(5)).await?;
/// let roll: Roll = runner.application().repository().get(&Uuid::nil()).await?;
/// assert_eq!(roll.names, ["Fido"]);
/// runner.stop().await?;
/// # Ok(()) }
/// ```
pub struct EventSourcedProjectionRunner<P> {
    policy: Arc<P>,
    running: Arc<Running>,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl<P> std::fmt::Debug for EventSourcedProjectionRunner<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSourcedProjectionRunner")
            .field("application", &self.running.name())
            .field("upstream", &self.running.leaders.first().map(Application::name))
            .finish_non_exhaustive()
    }
}

impl<P: Policy> EventSourcedProjectionRunner<P> {
    /// Starts following `upstream` (an application in this process, or one configured to
    /// open another process's store) with `policy`, recording into `application`. Needs a
    /// tokio runtime.
    pub fn start(upstream: &Application, application: Application, policy: P) -> Self {
        let policy = Arc::new(policy);
        let follow = Arc::new(Follower { application, policy: policy.clone() });
        let shared = Arc::new(Shared { failed: Mutex::new(None), changed: Notify::new() });
        let running = Arc::new(Running { follow, leaders: vec![upstream.clone()], shared: shared.clone() });
        let (stop, stopped) = watch::channel(false);
        let task = {
            let (running, shared) = (running.clone(), shared.clone());
            tokio::spawn(async move {
                if let Err(error) = running.follow(stopped).await {
                    shared.fail(error);
                }
                shared.changed.notify_waiters();
            })
        };
        EventSourcedProjectionRunner { policy, running, shared, stop, task: Some(task) }
    }

    /// The application the policy records into: its repository reads the projection.
    pub fn application(&self) -> &Application {
        self.running.follow.application()
    }

    /// The policy.
    pub fn policy(&self) -> &P {
        &self.policy
    }

    /// The error that stopped the runner, if it stopped on one.
    pub fn error(&self) -> Option<SystemError> {
        self.shared.failed().map(SystemError::Processing)
    }

    /// Waits until upstream notification `notification_id` (as returned by the upstream's
    /// `save`) is processed: its events recorded, or of a topic the policy does not read
    /// with every earlier one of its topics processed. Read-your-writes for the projection.
    ///
    /// # Errors
    /// [`SystemError::Processing`] with the error that stopped the runner;
    /// [`SystemError::WaitTimeout`] after `timeout`.
    pub async fn wait(&self, notification_id: u64, timeout: Duration) -> Result<(), SystemError> {
        let deadline = deadline(timeout);
        let mut delay = Duration::from_millis(1);
        let leader = &self.running.leaders[0];
        loop {
            let changed = self.shared.changed.notified();
            if let Some(error) = self.error() {
                return Err(error);
            }
            if self
                .running
                .processed(leader, notification_id)
                .await
                .map_err(|e| SystemError::Processing(Arc::new(e)))?
            {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(SystemError::WaitTimeout { waiting_for: self.running.name().to_owned(), timeout });
            }
            let _ = tokio::time::timeout_at(deadline.min(tokio::time::Instant::now() + delay), changed).await;
            delay = (delay * 2).min(Duration::from_millis(50));
        }
    }

    /// Stops the runner after the notification it is processing, and returns how it
    /// ended.
    ///
    /// # Errors
    /// [`SystemError::Processing`] with the error that stopped it, if one did.
    pub async fn stop(mut self) -> Result<(), SystemError> {
        self.stop.send_replace(true);
        if let Some(task) = self.task.take()
            && let Err(error) = task.await
            && error.is_panic()
        {
            tracing::error!(%error, "an event-sourced projection's task panicked");
        }
        self.error().map_or(Ok(()), Err)
    }
}

impl<P> Drop for EventSourcedProjectionRunner<P> {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}
