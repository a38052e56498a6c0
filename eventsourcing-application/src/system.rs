//! Systems: applications wired into pipes, each follower processing its leaders' events
//! with its policy (Python's `System(pipes=[[DogSchool, Counters]])`).

use std::any::{Any, TypeId};
use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use eventsourcing_core::persistence::Notification;
use futures_util::future::BoxFuture;
use thiserror::Error;

use crate::application::{Application, ApplicationBuilder};
use crate::error::ApplicationError;
use crate::process::{Policy, ProcessingError, process_notification};
use crate::runner::RunnerBuilder;

/// An application of a system: a type that wraps an [`Application`] (and adds its
/// commands and queries), under a name that is its configuration prefix, its tables' prefix
/// and the name its followers track it by.
///
/// A follower is a process application: it also implements [`Policy`].
///
/// ```
/// # use eventsourcing::prelude::*;
/// # use eventsourcing::system::SystemApplication;
/// /// The dog school: registers dogs and teaches them tricks.
/// pub struct DogSchool {
///     app: Application,
/// }
///
/// impl SystemApplication for DogSchool {
///     const NAME: &'static str = "DogSchool";
///
///     fn from_application(app: Application) -> Self {
///         DogSchool { app }
///     }
///
///     fn application(&self) -> &Application {
///         &self.app
///     }
/// }
/// ```
pub trait SystemApplication: Send + Sync + Sized + 'static {
    /// The application's name (`DogSchool`): unique in a system.
    const NAME: &'static str;

    /// Wraps the application the runner built, from the environment and
    /// [`configure`](Self::configure).
    fn from_application(application: Application) -> Self;

    /// The wrapped application.
    fn application(&self) -> &Application;

    /// Sets what the environment does not, before the application is built: a snapshot
    /// interval, a codec. Unchanged by default.
    fn configure(builder: ApplicationBuilder) -> ApplicationBuilder {
        builder
    }
}

/// A follower of a system: an application with a policy. Implemented for every
/// [`SystemApplication`] that implements [`Policy`].
pub trait ProcessApplication: SystemApplication + Policy {}

impl<T: SystemApplication + Policy> ProcessApplication for T {}

/// A chain of applications, each following the one before it: a tuple of two to eight
/// types, the first any [`SystemApplication`], the rest [`ProcessApplication`]s.
pub trait Pipe {
    /// Adds the pipe's applications and edges.
    #[doc(hidden)]
    fn add_to(builder: &mut SystemBuilder);
}

macro_rules! pipe {
    ($first:ident $(, $rest:ident)+) => {
        impl<$first: SystemApplication, $($rest: ProcessApplication),+> Pipe for ($first, $($rest,)+) {
            fn add_to(builder: &mut SystemBuilder) {
                let mut leader = builder.add(Node::of::<$first>());
                $(
                    let follower = builder.add(Node::follower::<$rest>());
                    builder.edge(leader, follower);
                    leader = follower;
                )+
                let _ = leader;
            }
        }
    };
}

pipe!(A, B);
pipe!(A, B, C);
pipe!(A, B, C, D);
pipe!(A, B, C, D, E);
pipe!(A, B, C, D, E, F);
pipe!(A, B, C, D, E, F, G);
pipe!(A, B, C, D, E, F, G, H);

/// An application of a system, with its type erased.
#[derive(Clone)]
pub(crate) struct Node {
    pub(crate) name: &'static str,
    pub(crate) type_id: TypeId,
    pub(crate) type_name: &'static str,
    pub(crate) configure: fn(ApplicationBuilder) -> ApplicationBuilder,
    /// Wraps the built application: as `Any` for `Runner::get`, and as a follower if the
    /// type was added as one.
    pub(crate) wrap: fn(Application) -> Wrapped,
    pub(crate) is_follower: bool,
}

/// A built application of a system.
pub(crate) struct Wrapped {
    pub(crate) any: Arc<dyn Any + Send + Sync>,
    pub(crate) follow: Option<Arc<dyn Follow>>,
}

impl Node {
    fn of<T: SystemApplication>() -> Self {
        Node {
            name: T::NAME,
            type_id: TypeId::of::<T>(),
            type_name: std::any::type_name::<T>(),
            configure: T::configure,
            wrap: |application| Wrapped { any: Arc::new(T::from_application(application)), follow: None },
            is_follower: false,
        }
    }

    fn follower<T: ProcessApplication>() -> Self {
        Node {
            wrap: |application| {
                let wrapped = Arc::new(T::from_application(application.clone()));
                Wrapped { any: wrapped.clone(), follow: Some(Arc::new(Follower { application, policy: wrapped })) }
            },
            is_follower: true,
            ..Node::of::<T>()
        }
    }
}

/// A follower's policy, with its type erased.
pub(crate) trait Follow: Send + Sync {
    /// The application that processes.
    fn application(&self) -> &Application;
    /// The topics its policy reads.
    fn topics(&self) -> Vec<String>;
    /// Processes one notification of `leader`.
    fn process<'a>(
        &'a self,
        leader: &'a Application,
        notification: &'a Notification,
    ) -> BoxFuture<'a, Result<Vec<u64>, ProcessingError>>;
}

/// A policy with the application it records into: a system's process application (its
/// own policy), or an event-sourced projection's.
pub(crate) struct Follower<P> {
    pub(crate) application: Application,
    pub(crate) policy: Arc<P>,
}

impl<P: Policy> Follow for Follower<P> {
    fn application(&self) -> &Application {
        &self.application
    }

    fn topics(&self) -> Vec<String> {
        <P::Event as eventsourcing_core::persistence::LogEvent>::topics()
    }

    fn process<'a>(
        &'a self,
        leader: &'a Application,
        notification: &'a Notification,
    ) -> BoxFuture<'a, Result<Vec<u64>, ProcessingError>> {
        Box::pin(process_notification(&*self.policy, &self.application, leader, notification))
    }
}

/// Applications and who follows whom (Python's `System`): built from pipes, checked when
/// built, run by a [`Runner`](crate::Runner). Cycles are allowed. Cloning is cheap.
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
/// # struct Counters(Application);
/// # impl SystemApplication for Counters {
/// #     const NAME: &'static str = "Counters";
/// #     fn from_application(app: Application) -> Self { Counters(app) }
/// #     fn application(&self) -> &Application { &self.0 }
/// # }
/// # impl Policy for Counters {
/// #     type Event = Record<Dog>;
/// #     async fn policy(&self, _: Record<Dog>, _: &mut Processing) -> Result<(), BoxError> { Ok(()) }
/// # }
/// let system = System::builder().pipe::<(DogSchool, Counters)>().build()?;
/// assert_eq!(system.leaders(), ["DogSchool"]);
/// assert_eq!(system.followers(), ["Counters"]);
/// assert_eq!(system.follows("Counters"), ["DogSchool"]);
/// # Ok::<(), SystemError>(())
/// ```
#[derive(Clone)]
pub struct System {
    pub(crate) inner: Arc<Definition>,
}

/// A checked system.
pub(crate) struct Definition {
    /// In the order first met.
    pub(crate) nodes: Vec<Node>,
    /// (leader, follower) indexes into `nodes`, in the order defined, without repeats.
    pub(crate) edges: Vec<(usize, usize)>,
}

impl fmt::Debug for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let edges: Vec<_> = self.inner.edges.iter().map(|&(l, f)| (self.name(l), self.name(f))).collect();
        f.debug_struct("System").field("edges", &edges).field("singles", &self.singles()).finish()
    }
}

impl System {
    /// A builder: add pipes, then [`build`](SystemBuilder::build).
    pub fn builder() -> SystemBuilder {
        SystemBuilder::default()
    }

    /// A runner for the system (see [`RunnerBuilder`]).
    pub fn runner(&self) -> RunnerBuilder {
        RunnerBuilder::new(self.clone())
    }

    fn name(&self, index: usize) -> &'static str {
        self.inner.nodes[index].name
    }

    /// Every application's name, in the order first met.
    pub fn names(&self) -> Vec<&'static str> {
        self.inner.nodes.iter().map(|node| node.name).collect()
    }

    /// The applications that `name` follows.
    pub fn follows(&self, name: &str) -> Vec<&'static str> {
        self.inner.edges.iter().filter(|&&(_, f)| self.name(f) == name).map(|&(l, _)| self.name(l)).collect()
    }

    /// The applications that follow `name`.
    pub fn leads(&self, name: &str) -> Vec<&'static str> {
        self.inner.edges.iter().filter(|&&(l, _)| self.name(l) == name).map(|&(_, f)| self.name(f)).collect()
    }

    /// The applications that others follow.
    pub fn leaders(&self) -> Vec<&'static str> {
        self.select(|system, name| !system.leads(name).is_empty())
    }

    /// The applications that follow others.
    pub fn followers(&self) -> Vec<&'static str> {
        self.select(|system, name| !system.follows(name).is_empty())
    }

    /// The applications that both follow and are followed.
    pub fn processors(&self) -> Vec<&'static str> {
        self.select(|system, name| !system.leads(name).is_empty() && !system.follows(name).is_empty())
    }

    /// The applications with no edges.
    pub fn singles(&self) -> Vec<&'static str> {
        self.select(|system, name| system.leads(name).is_empty() && system.follows(name).is_empty())
    }

    fn select(&self, keep: impl Fn(&Self, &str) -> bool) -> Vec<&'static str> {
        self.names().into_iter().filter(|name| keep(self, name)).collect()
    }
}

/// Builds a [`System`] from pipes and single applications.
#[derive(Default)]
pub struct SystemBuilder {
    nodes: Vec<Node>,
    edges: Vec<(usize, usize)>,
    errors: Vec<SystemError>,
}

impl fmt::Debug for SystemBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.nodes.iter().map(|node| node.name).collect();
        f.debug_struct("SystemBuilder").field("applications", &names).finish_non_exhaustive()
    }
}

impl SystemBuilder {
    /// Adds a pipe: a tuple of applications, each following the one before it, as Python's
    /// `pipes=[[DogSchool, Counters, Reports]]` is `pipe::<(DogSchool, Counters, Reports)>()`.
    /// An application may be in several pipes; an edge given twice counts once.
    #[must_use]
    pub fn pipe<P: Pipe>(mut self) -> Self {
        P::add_to(&mut self);
        self
    }

    /// Adds an application that follows none and that none follows (a runner builds it,
    /// and [`Runner::get`](crate::Runner::get) returns it).
    #[must_use]
    pub fn single<T: SystemApplication>(mut self) -> Self {
        self.add(Node::of::<T>());
        self
    }

    fn add(&mut self, node: Node) -> usize {
        if let Some(index) = self.nodes.iter().position(|known| known.type_id == node.type_id) {
            if node.is_follower {
                self.nodes[index] = node;
            }
            return index;
        }
        if let Some(known) = self.nodes.iter().find(|known| known.name == node.name) {
            let error = SystemError::DuplicateName { name: node.name, first: known.type_name, second: node.type_name };
            if !self.errors.iter().any(|e| e.to_string() == error.to_string()) {
                self.errors.push(error);
            }
        }
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn edge(&mut self, leader: usize, follower: usize) {
        if !self.edges.contains(&(leader, follower)) {
            self.edges.push((leader, follower));
        }
    }

    /// Checks the system: every application's name is unique, and there is at least one.
    ///
    /// # Errors
    /// [`SystemError::DuplicateName`] (the first of them), or [`SystemError::Empty`].
    pub fn build(mut self) -> Result<System, SystemError> {
        if !self.errors.is_empty() {
            return Err(self.errors.swap_remove(0));
        }
        if self.nodes.is_empty() {
            return Err(SystemError::Empty);
        }
        Ok(System { inner: Arc::new(Definition { nodes: self.nodes, edges: self.edges }) })
    }
}

/// What went wrong defining or running a system.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SystemError {
    /// Two types of the system have the same name, so they would share configuration,
    /// tables and tracking positions.
    #[error("{first} and {second} are both named {name:?} in the system: give one of them another `NAME`")]
    DuplicateName {
        /// The name.
        name: &'static str,
        /// The type met first.
        first: &'static str,
        /// The other type.
        second: &'static str,
    },
    /// A system needs at least one application.
    #[error("the system has no applications: add a pipe")]
    Empty,
    /// A name given to the runner (in `SYSTEM_FOLLOWERS`, say) is not an application of
    /// the system.
    #[error("{name:?} (in {setting}) is not an application of the system, whose applications are {known}")]
    UnknownApplication {
        /// The name given.
        name: String,
        /// Where it was given.
        setting: String,
        /// The system's applications.
        known: String,
    },
    /// A name given to the runner as a follower to run follows no application.
    #[error("{name:?} (in {setting}) follows no application of the system; its followers are {followers}")]
    NotAFollower {
        /// The name given.
        name: String,
        /// Where it was given.
        setting: String,
        /// The system's followers.
        followers: String,
    },
    /// The type asked of [`Runner::get`](crate::Runner::get) is not in the system.
    #[error("{type_name} is not an application of the system")]
    NotInSystem {
        /// The type asked for.
        type_name: &'static str,
    },
    /// An application of the system could not be built.
    #[error("cannot build {name}: {source}")]
    Build {
        /// The application.
        name: &'static str,
        /// Why.
        #[source]
        source: ApplicationError,
    },
    /// A follower stopped.
    #[error(transparent)]
    Processing(Arc<ProcessingError>),
    /// Waiting for the followers timed out.
    #[error("timed out after {timeout:?} waiting for {waiting_for} to process its leaders' notifications")]
    WaitTimeout {
        /// A follower that had not caught up.
        waiting_for: String,
        /// How long it waited.
        timeout: std::time::Duration,
    },
}

impl SystemError {
    /// The follower's error, if a follower stopped.
    pub fn processing(&self) -> Option<&ProcessingError> {
        match self {
            SystemError::Processing(error) => Some(error),
            _ => None,
        }
    }
}

/// Joins names for messages.
pub(crate) fn list(names: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let names: BTreeSet<String> = names.into_iter().map(|n| n.as_ref().to_owned()).collect();
    if names.is_empty() { "none".to_owned() } else { names.into_iter().collect::<Vec<_>>().join(", ") }
}
