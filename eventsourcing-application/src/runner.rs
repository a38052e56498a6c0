//! Running a system: the applications built from the environment, each follower
//! processing its leaders' events, inline in each save (deterministic, for tests) or in
//! tokio tasks that follow their leaders live, in this process or another.

use std::any::{Any, TypeId};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use eventsourcing_core::persistence::{
    ApplicationRecorder, Notification, NotificationQuery, PersistenceError, TrackingRecorder,
};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::application::{Application, Saved};
use crate::process::ProcessingError;
use crate::system::{Follow, System, SystemApplication, SystemError, list};
use eventsourcing_core::environment::Environment;

/// How many notifications a follower reads from a leader's log at a time when catching up.
const PAGE: usize = 100;

/// The setting that names the followers a runner runs in this process.
const FOLLOWERS: &str = "SYSTEM_FOLLOWERS";

/// How a runner's followers process their leaders' events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// Each follower is a tokio task that catches up from its position in each leader's
    /// log, then follows it live (woken in-process, and by PostgreSQL's LISTEN/NOTIFY when
    /// the leader writes from another process). Python's multi-threaded runner.
    #[default]
    Tasks,
    /// The followers process inline: when a leader's `save` returns, every follower
    /// downstream of it has processed the new events (and their followers theirs), so a
    /// test can check the outcome at once, without waiting. Python's single-threaded
    /// runner. Only saves made in this process are processed.
    Inline,
}

/// Builds and starts a [`Runner`] for a [`System`]: see [`System::runner`].
#[derive(Debug)]
pub struct RunnerBuilder {
    system: System,
    mode: Mode,
    env: Vec<(String, String)>,
    process_env: bool,
    followers: Option<Vec<String>>,
    built: Vec<Application>,
}

impl RunnerBuilder {
    pub(crate) fn new(system: System) -> Self {
        RunnerBuilder {
            system,
            mode: Mode::Tasks,
            env: Vec::new(),
            process_env: true,
            followers: None,
            built: Vec::new(),
        }
    }

    /// How the followers process (tasks by default).
    #[must_use]
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Followers process inline in each save: [`Mode::Inline`].
    #[must_use]
    pub fn inline(self) -> Self {
        self.mode(Mode::Inline)
    }

    /// Sets a configuration variable for every application, over the process
    /// environment (Python's runner `env`); names prefixed with an application's name
    /// (`COUNTERS_SQLITE_DBNAME`) set it for that one.
    #[must_use]
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Ignores the process environment: only variables set with [`env`](Self::env) count.
    #[must_use]
    pub fn without_process_env(mut self) -> Self {
        self.process_env = false;
        self
    }

    /// Runs only these followers in this process (others may run in other processes);
    /// every application of the system is still built, so that the followers can read
    /// their leaders' logs. Without it, the setting `SYSTEM_FOLLOWERS` (names separated by
    /// commas; empty for none) chooses, and without that every follower runs.
    #[must_use]
    pub fn followers<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.followers = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Runs `application` as the system's application of the same name, instead of
    /// building one: one built with other recorders, say, or kept from an earlier runner
    /// (an in-memory store lives as long as its application).
    #[must_use]
    pub fn application(mut self, application: Application) -> Self {
        self.built.retain(|built| built.name() != application.name());
        self.built.push(application);
        self
    }

    fn environment(&self) -> Environment {
        let mut env = if self.process_env { Environment::from_process("") } else { Environment::empty("") };
        for (key, value) in &self.env {
            env.set(key.clone(), value.clone());
        }
        env
    }

    /// The followers to run: checked against the system.
    fn chosen(&self) -> Result<Vec<usize>, SystemError> {
        let definition = &self.system.inner;
        let (names, setting) = match &self.followers {
            Some(names) => (names.clone(), "RunnerBuilder::followers".to_owned()),
            None => match self.environment().get(FOLLOWERS) {
                Some(value) => (
                    value.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned).collect(),
                    FOLLOWERS.to_owned(),
                ),
                None => return Ok(follower_indexes(&self.system)),
            },
        };
        let mut chosen = Vec::new();
        for name in names {
            let Some(index) = definition.nodes.iter().position(|node| node.name == name) else {
                return Err(SystemError::UnknownApplication { name, setting, known: list(self.system.names()) });
            };
            if !follower_indexes(&self.system).contains(&index) {
                return Err(SystemError::NotAFollower { name, setting, followers: list(self.system.followers()) });
            }
            if !chosen.contains(&index) {
                chosen.push(index);
            }
        }
        Ok(chosen)
    }

    /// Builds the application of `node` from the runner's environment.
    async fn build(&self, node: &crate::system::Node) -> Result<Application, SystemError> {
        let mut builder = Application::builder(node.name);
        if !self.process_env {
            builder = builder.without_process_env();
        }
        for (key, value) in &self.env {
            builder = builder.env(key.clone(), value.clone());
        }
        (node.configure)(builder).build().await.map_err(|source| SystemError::Build { name: node.name, source })
    }

    /// Builds every application of the system, then starts the followers: each catches up
    /// with the notifications its leaders recorded before it started, then processes new
    /// ones. Needs a tokio runtime.
    ///
    /// # Errors
    /// [`SystemError::UnknownApplication`] or [`SystemError::NotAFollower`] for a follower
    /// named to run that the system does not have as one; [`SystemError::Build`] if an
    /// application cannot be built (its configuration or store); in inline mode, a
    /// follower's error while catching up is kept, not returned (see
    /// [`Runner::watch_for_errors`]).
    pub async fn start(self) -> Result<Runner, SystemError> {
        let chosen = self.chosen()?;
        let definition = self.system.inner.clone();
        if let Some(unknown) = self.built.iter().find(|b| definition.nodes.iter().all(|n| n.name != b.name())) {
            return Err(SystemError::UnknownApplication {
                name: unknown.name().to_owned(),
                setting: "RunnerBuilder::application".to_owned(),
                known: list(self.system.names()),
            });
        }
        let mut applications = Vec::with_capacity(definition.nodes.len());
        let mut nodes = Vec::with_capacity(definition.nodes.len());
        let mut follows = Vec::with_capacity(definition.nodes.len());
        for node in &definition.nodes {
            let application = match self.built.iter().find(|built| built.name() == node.name) {
                Some(built) => built.clone(),
                None => self.build(node).await?,
            };
            let wrapped = (node.wrap)(application.clone());
            applications.push(application);
            nodes.push(wrapped.any);
            follows.push(wrapped.follow);
        }
        let shared = Arc::new(Shared { failed: Mutex::new(None), changed: Notify::new() });
        let mut followers = Vec::new();
        for &index in &chosen {
            // Every node with a leader was added as a follower, with its policy.
            let Some(follow) = follows[index].clone() else { continue };
            let leaders = definition.edges.iter().filter(|&&(_, f)| f == index);
            let leaders = leaders.map(|&(l, _)| applications[l].clone()).collect();
            followers.push(Arc::new(Running { follow, leaders, shared: shared.clone() }));
        }
        let (stop, stopped) = watch::channel(false);
        let mut runner = Runner {
            system: self.system.clone(),
            applications,
            nodes,
            followers: followers.clone(),
            shared: shared.clone(),
            stop,
            tasks: Vec::new(),
            inline: None,
        };
        match self.mode {
            Mode::Tasks => {
                for application in &runner.applications {
                    application.tell_saves_to(None);
                }
                for follower in followers {
                    let (shared, stopped) = (shared.clone(), stopped.clone());
                    let task = tokio::spawn(async move {
                        let result = follower.follow(stopped).await;
                        if let Err(error) = result {
                            shared.fail(error);
                        }
                        shared.changed.notify_waiters();
                    });
                    runner.tasks.push(task);
                }
            }
            Mode::Inline => {
                let inline = Arc::new(Inline {
                    followers,
                    shared: shared.clone(),
                    pending: Mutex::new(VecDeque::new()),
                    processing: tokio::sync::Mutex::new(()),
                });
                let as_saved: Arc<dyn Saved> = inline.clone();
                for application in &runner.applications {
                    application.tell_saves_to(Some(Arc::downgrade(&as_saved)));
                }
                inline.catch_up().await;
                runner.inline = Some(inline);
            }
        }
        Ok(runner)
    }
}

/// The indexes of the system's nodes that follow another.
fn follower_indexes(system: &System) -> Vec<usize> {
    let mut indexes: Vec<usize> = system.inner.edges.iter().map(|&(_, f)| f).collect();
    indexes.sort_unstable();
    indexes.dedup();
    indexes
}

/// A running system (Python's runners): every application built from the environment,
/// and its followers processing, until [`stop`](Self::stop). A stopped runner's followers
/// resume where they left off in a new runner.
///
/// ```
/// # use eventsourcing::system::*;
/// # use eventsourcing::prelude::*;
/// # use eventsourcing::persistence::BoxError;
/// # struct DogSchool(Application);
/// # impl SystemApplication for DogSchool {
/// #     const NAME: &'static str = "DogSchool";
/// #     fn from_application(app: Application) -> Self { DogSchool(app) }
/// #     fn application(&self) -> &Application { &self.0 }
/// # }
/// # #[aggregate]
/// # #[derive(Debug, Clone, Serialize, Deserialize)]
/// # pub struct Dog { name: String }
/// # #[aggregate]
/// # impl Dog {
/// #     #[event("Registered")]
/// #     pub fn register(name: String) -> Self { Self { name } }
/// # }
/// # #[aggregate]
/// # #[derive(Debug, Clone, Serialize, Deserialize)]
/// # pub struct Welcome { dog: Uuid }
/// # #[aggregate]
/// # impl Welcome {
/// #     #[event("Sent")]
/// #     pub fn send(dog: Uuid) -> Self { Self { dog } }
/// # }
/// # struct Welcomer(Application);
/// # impl SystemApplication for Welcomer {
/// #     const NAME: &'static str = "Welcomer";
/// #     fn from_application(app: Application) -> Self { Welcomer(app) }
/// #     fn application(&self) -> &Application { &self.0 }
/// # }
/// # impl Policy for Welcomer {
/// #     type Event = Record<Dog>;
/// #     async fn policy(&self, event: Record<Dog>, processing: &mut Processing) -> Result<(), BoxError> {
/// #         if let Record::Event(event) = event {
/// #             processing.collect(&mut Welcome::send(event.originator_id))?;
/// #         }
/// #         Ok(())
/// #     }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = System::builder().pipe::<(DogSchool, Welcomer)>().build()?;
/// let runner = system.runner().without_process_env().inline().start().await?;
/// let school = runner.get::<DogSchool>()?;
/// school.0.save(&mut Dog::register("Fido".into())).await?;
/// // Inline: the welcome is recorded already.
/// let welcomer = runner.get::<Welcomer>()?;
/// assert_eq!(welcomer.0.recorder().max_notification_id().await?, Some(1));
/// runner.stop().await?;
/// # Ok(()) }
/// ```
pub struct Runner {
    system: System,
    applications: Vec<Application>,
    nodes: Vec<Arc<dyn Any + Send + Sync>>,
    followers: Vec<Arc<Running>>,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    inline: Option<Arc<Inline>>,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let followers: Vec<_> = self.followers.iter().map(|f| f.follow.application().name().to_owned()).collect();
        f.debug_struct("Runner")
            .field("system", &self.system)
            .field("running", &followers)
            .field("inline", &self.inline.is_some())
            .finish_non_exhaustive()
    }
}

impl Runner {
    /// The running application of type `T`.
    ///
    /// # Errors
    /// [`SystemError::NotInSystem`] if `T` is not one of the system's applications.
    pub fn get<T: SystemApplication>(&self) -> Result<&T, SystemError> {
        let not_in_system = || SystemError::NotInSystem { type_name: std::any::type_name::<T>() };
        let index = self
            .system
            .inner
            .nodes
            .iter()
            .position(|node| node.type_id == TypeId::of::<T>())
            .ok_or_else(not_in_system)?;
        self.nodes[index].downcast_ref::<T>().ok_or_else(not_in_system)
    }

    /// The running application called `name`, if the system has one.
    pub fn application(&self, name: &str) -> Option<Application> {
        let index = self.system.inner.nodes.iter().position(|node| node.name == name)?;
        self.applications.get(index).cloned()
    }

    /// The system.
    pub fn system(&self) -> &System {
        &self.system
    }

    /// The error that stopped a follower, if one has stopped (the first, if several).
    pub fn error(&self) -> Option<SystemError> {
        self.shared.failed().map(SystemError::Processing)
    }

    /// Waits up to `timeout` for a follower to stop on an error, and returns it; `Ok` if
    /// none has by then (Python's `watch_for_errors`).
    ///
    /// # Errors
    /// [`SystemError::Processing`] with the error that stopped a follower.
    pub async fn watch_for_errors(&self, timeout: Duration) -> Result<(), SystemError> {
        let deadline = deadline(timeout);
        loop {
            let changed = self.shared.changed.notified();
            if let Some(error) = self.error() {
                return Err(error);
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return self.error().map_or(Ok(()), Err);
            }
        }
    }

    /// Waits until every follower running here has processed every notification of its
    /// leaders' topics recorded so far, and those the followers recorded in turn, for at
    /// most `timeout`. Read-your-writes across a system in task mode; inline, it returns
    /// at once. A follower that stopped on an error is not waited for.
    ///
    /// # Errors
    /// [`SystemError::Processing`] if a follower stopped on an error (once the others
    /// have caught up); [`SystemError::WaitTimeout`] naming a follower that had not caught
    /// up.
    pub async fn wait(&self, timeout: Duration) -> Result<(), SystemError> {
        let deadline = deadline(timeout);
        let mut delay = Duration::from_millis(1);
        // The positions of the last pass that found every follower caught up.
        let mut settled: Option<Vec<Vec<Option<u64>>>> = None;
        loop {
            let changed = self.shared.changed.notified();
            let mut behind = None;
            let mut positions = Vec::with_capacity(self.followers.len());
            for follower in &self.followers {
                if self.shared.has_failed(follower.name()) {
                    continue;
                }
                let Some(at) = follower.caught_up().await.map_err(|e| SystemError::Processing(Arc::new(e)))? else {
                    behind = Some(follower.name().to_owned());
                    break;
                };
                positions.push(at);
            }
            let Some(waiting_for) = behind else {
                // One pass is not proof: a follower checked early may be given more to do
                // by one that processes later in the pass (in a cycle, say). Two passes in
                // a row that find all caught up with no position moved in between are.
                if settled.as_ref() == Some(&positions) {
                    return self.error().map_or(Ok(()), Err);
                }
                settled = Some(positions);
                continue;
            };
            settled = None;
            if tokio::time::Instant::now() >= deadline {
                return Err(SystemError::WaitTimeout { waiting_for, timeout });
            }
            let _ = tokio::time::timeout_at(deadline.min(tokio::time::Instant::now() + delay), changed).await;
            delay = (delay * 2).min(Duration::from_millis(50));
        }
    }

    /// Stops the followers (each after the notification it is processing) and returns
    /// how they ended.
    ///
    /// # Errors
    /// [`SystemError::Processing`] with the error that stopped a follower, if one did.
    pub async fn stop(mut self) -> Result<(), SystemError> {
        self.stop.send_replace(true);
        for task in self.tasks.drain(..) {
            if let Err(error) = task.await
                && error.is_panic()
            {
                tracing::error!(%error, "a follower's task panicked");
            }
        }
        self.error().map_or(Ok(()), Err)
    }
}

/// `timeout` from now, or a century if that is further than the clock goes.
pub(crate) fn deadline(timeout: Duration) -> tokio::time::Instant {
    let now = tokio::time::Instant::now();
    now.checked_add(timeout).unwrap_or_else(|| now + Duration::from_hours(100 * 365 * 24))
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

/// What the runner's followers share with it.
pub(crate) struct Shared {
    pub(crate) failed: Mutex<Option<Arc<ProcessingError>>>,
    /// Woken whenever a follower records a position or stops.
    pub(crate) changed: Notify,
}

impl Shared {
    pub(crate) fn failed(&self) -> Option<Arc<ProcessingError>> {
        self.failed.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub(crate) fn fail(&self, error: ProcessingError) {
        tracing::error!(follower = %error.follower(), %error, "follower stopped");
        self.failed.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert(Arc::new(error));
        self.changed.notify_waiters();
    }

    fn has_failed(&self, follower: &str) -> bool {
        self.failed.lock().unwrap_or_else(PoisonError::into_inner).as_ref().is_some_and(|e| e.follower() == follower)
    }
}

/// A follower and the leaders it follows.
pub(crate) struct Running {
    pub(crate) follow: Arc<dyn Follow>,
    pub(crate) leaders: Vec<Application>,
    /// Told of each notification processed, for waiters.
    pub(crate) shared: Arc<Shared>,
}

impl Running {
    pub(crate) fn name(&self) -> &str {
        self.follow.application().name()
    }

    fn read_error(&self, leader: &Application, source: PersistenceError) -> ProcessingError {
        ProcessingError::Read { follower: self.name().to_owned(), leader: leader.name().to_owned(), source }
    }

    /// The follower's position in `leader`'s log.
    async fn position(&self, leader: &Application) -> Result<Option<u64>, ProcessingError> {
        self.follow
            .application()
            .recorder()
            .max_tracking_id(leader.name())
            .await
            .map_err(|e| self.read_error(leader, e))
    }

    /// The follower's position in each leader's log if nothing of its topics is left to
    /// process there; `None` if something is.
    async fn caught_up(&self) -> Result<Option<Vec<Option<u64>>>, ProcessingError> {
        let topics = self.follow.topics();
        let mut positions = Vec::with_capacity(self.leaders.len());
        for leader in &self.leaders {
            let position = self.position(leader).await?;
            let query = NotificationQuery::after(position, 1).topics(topics.clone());
            let next = leader.recorder().select_notifications(query).await.map_err(|e| self.read_error(leader, e))?;
            if !next.is_empty() {
                return Ok(None);
            }
            positions.push(position);
        }
        Ok(Some(positions))
    }

    /// Whether notification `notification_id` of `leader` is processed: the position is at
    /// or past it, or it is recorded and nothing of the follower's topics lies between.
    pub(crate) async fn processed(&self, leader: &Application, notification_id: u64) -> Result<bool, ProcessingError> {
        let position = self.position(leader).await?;
        if position.is_some_and(|p| p >= notification_id) {
            return Ok(true);
        }
        let committed = leader.recorder().max_notification_id().await.map_err(|e| self.read_error(leader, e))?;
        if committed.is_none_or(|max| max < notification_id) {
            return Ok(false);
        }
        let query = NotificationQuery::after(position, 1).stop(notification_id).topics(self.follow.topics());
        let pending = leader.recorder().select_notifications(query).await.map_err(|e| self.read_error(leader, e))?;
        Ok(pending.is_empty())
    }

    /// Processes what `leader` recorded after the follower's position, page by page, until
    /// nothing is left. Returns whether the follower recorded new events.
    async fn pull_and_process(&self, leader: &Application) -> Result<bool, ProcessingError> {
        let topics = self.follow.topics();
        let mut position = self.position(leader).await?;
        let mut recorded = false;
        loop {
            let query = NotificationQuery::after(position, PAGE).topics(topics.clone());
            let page = leader.recorder().select_notifications(query).await.map_err(|e| self.read_error(leader, e))?;
            let Some(last) = page.last().map(|n| n.id) else { return Ok(recorded) };
            for notification in &page {
                recorded |= !self.follow.process(leader, notification).await?.is_empty();
            }
            position = Some(last);
        }
    }

    /// Task mode: follows every leader live until stopped; after a lost connection,
    /// starts again from the recorded positions.
    pub(crate) async fn follow(&self, mut stopped: watch::Receiver<bool>) -> Result<(), ProcessingError> {
        let mut delay = Duration::from_millis(50);
        loop {
            match self.follow_once(&mut stopped).await {
                Ok(()) => return Ok(()),
                Err(error) if error.is_transient() => {
                    tracing::warn!(follower = %self.name(), %error, "follower lost its connection; resuming");
                    tokio::select! {
                        _ = stopped.changed() => return Ok(()),
                        () = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                Err(error) => return Err(error),
            }
        }
    }

    async fn follow_once(&self, stopped: &mut watch::Receiver<bool>) -> Result<(), ProcessingError> {
        let topics = self.follow.topics();
        let mut streams = Vec::with_capacity(self.leaders.len());
        for (index, leader) in self.leaders.iter().enumerate() {
            let position = self.position(leader).await?;
            let subscription = leader.recorder().subscribe(position, topics.clone()).await;
            let subscription = subscription.map_err(|e| self.read_error(leader, e))?;
            streams.push(subscription.map(move |notification| (index, notification)).boxed());
        }
        let mut merged = futures_util::stream::select_all(streams);
        loop {
            if *stopped.borrow() {
                return Ok(());
            }
            let next: Option<(usize, Result<Notification, PersistenceError>)> = tokio::select! {
                _ = stopped.changed() => return Ok(()),
                next = merged.next() => next,
            };
            // Every leader's store is gone: nothing more can arrive.
            let Some((index, notification)) = next else { return Ok(()) };
            let leader = &self.leaders[index];
            let notification = notification.map_err(|e| self.read_error(leader, e))?;
            self.follow.process(leader, &notification).await?;
            self.shared.changed.notify_waiters();
        }
    }
}

/// Inline mode: the runner is told of every save, and processes before it returns.
struct Inline {
    followers: Vec<Arc<Running>>,
    shared: Arc<Shared>,
    /// Applications that recorded events their followers have yet to process.
    pending: Mutex<VecDeque<String>>,
    /// Held while processing: one save's processing at a time.
    processing: tokio::sync::Mutex<()>,
}

tokio::task_local! {
    /// Set while the inline runner processes: a save made by a policy is queued, not
    /// processed inside the processing (which would wait for itself).
    static PROCESSING: ();
}

impl Saved for Inline {
    fn saved<'a>(&'a self, application: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.pending.lock().unwrap_or_else(PoisonError::into_inner).push_back(application.to_owned());
            if PROCESSING.try_with(|()| ()).is_ok() {
                return;
            }
            let _processing = self.processing.lock().await;
            PROCESSING.scope((), self.drain()).await;
        })
    }
}

impl Inline {
    /// Processes what every leader recorded before the runner started.
    async fn catch_up(&self) {
        let _processing = self.processing.lock().await;
        {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            for follower in &self.followers {
                for leader in &follower.leaders {
                    pending.push_back(leader.name().to_owned());
                }
            }
        }
        PROCESSING.scope((), self.drain()).await;
    }

    /// Processes until no application has events its followers have yet to process.
    async fn drain(&self) {
        loop {
            let next = self.pending.lock().unwrap_or_else(PoisonError::into_inner).pop_front();
            let Some(leader_name) = next else { return };
            for follower in &self.followers {
                let Some(leader) = follower.leaders.iter().find(|l| l.name() == leader_name) else { continue };
                if self.shared.has_failed(follower.name()) {
                    continue;
                }
                match follower.pull_and_process(leader).await {
                    Ok(true) => {
                        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
                        if !pending.iter().any(|name| name == follower.name()) {
                            pending.push_back(follower.name().to_owned());
                        }
                    }
                    Ok(false) => {}
                    // The store is unreachable for now: the next save (or catch-up) tries
                    // again from the recorded position.
                    Err(error) if error.is_transient() => {
                        tracing::warn!(follower = %follower.name(), %error, "follower could not process; it will try again");
                    }
                    Err(error) => self.shared.fail(error),
                }
            }
            self.shared.changed.notify_waiters();
        }
    }
}
