//! Given / when / then: tests of an aggregate's commands and of a policy, without a store
//! to set up. Failed expectations panic with what was expected and what happened, as
//! `assert_eq!` does.

use std::convert::Infallible;
use std::fmt::Debug;

use eventsourcing_core::domain::{Aggregate, AggregateEvent, AggregateId, DomainEvent, EventMetadata};
use eventsourcing_core::persistence::{ApplicationRecorder, LogEvent, Notification, NotificationQuery, Record};

use crate::application::Application;
use crate::changes::Changes;
use crate::error::ApplicationError;
use crate::process::{Policy, ProcessingError, process_notification};
use crate::system::ProcessApplication;

/// Starts a test of an aggregate's command: the aggregate that these events (payloads of
/// its event enum, oldest first; the first creates it) make.
///
/// ```
/// # use eventsourcing::prelude::*;
/// use eventsourcing::testing::given;
///
/// #[aggregate]
/// #[derive(Debug, Clone)]
/// pub struct Account { balance: i64 }
///
/// #[derive(Debug, PartialEq)]
/// pub enum BankError { Insufficient { balance: i64 } }
///
/// #[aggregate]
/// impl Account {
///     #[event("Opened")]
///     pub fn open() -> Self { Self { balance: 0 } }
///
///     #[event("Deposited")]
///     pub fn deposit(&mut self, amount: i64) { self.balance += amount; }
///
///     #[event("Withdrawn")]
///     pub fn withdraw(&mut self, amount: i64) -> Result<(), BankError> {
///         if amount > self.balance {
///             return Err(BankError::Insufficient { balance: self.balance });
///         }
///         self.balance -= amount;
///         Ok(())
///     }
/// }
///
/// given([AccountEvent::Opened {}, AccountEvent::Deposited { amount: 100 }])
///     .when(|account: &mut Account| account.withdraw(30))
///     .then([AccountEvent::Withdrawn { amount: 30 }]);
///
/// given([AccountEvent::Opened {}])
///     .when(|account: &mut Account| account.withdraw(30))
///     .then_error(BankError::Insufficient { balance: 0 });
///
/// given::<Account>([])
///     .when_created(Account::open)
///     .then([AccountEvent::Opened {}]);
/// ```
///
/// # Panics
/// If the events do not make an aggregate: none to create it, or one its command body
/// refuses.
pub fn given<A: Aggregate>(events: impl IntoIterator<Item = A::Event>) -> Given<A> {
    let id = A::Id::generate();
    let events = events.into_iter().zip(1..).map(|(payload, originator_version)| DomainEvent {
        originator_id: id.clone(),
        originator_version,
        timestamp: chrono::Utc::now(),
        metadata: EventMetadata::new(),
        payload,
    });
    let events: Vec<_> = events.collect();
    if events.is_empty() {
        return Given { aggregate: None };
    }
    match A::from_events(events) {
        Ok(aggregate) => Given { aggregate: Some(aggregate) },
        Err(error) => panic!("the given events do not make a {}: {error}", A::NAME),
    }
}

/// An aggregate made from given events: the start of a test (see [`given`]).
#[derive(Debug)]
pub struct Given<A> {
    aggregate: Option<A>,
}

impl<A: Aggregate> Given<A> {
    /// Runs a command on the aggregate: a method of `&mut self` that returns nothing or
    /// a `Result`.
    ///
    /// # Panics
    /// If no events were given (use [`when_created`](Self::when_created) for a command
    /// that creates the aggregate).
    pub fn when<R: CommandResult>(self, command: impl FnOnce(&mut A) -> R) -> Then<A, R::Error> {
        let Some(mut aggregate) = self.aggregate else {
            panic!("no events were given, so there is no {} to run the command on: use `when_created`", A::NAME)
        };
        let result = command(&mut aggregate).into_result();
        Then { aggregate: Some(aggregate), result }
    }

    /// Runs a command that creates the aggregate: one that returns `Self` or a
    /// `Result<Self, _>`.
    ///
    /// # Panics
    /// If events were given: the aggregate exists already.
    pub fn when_created<R: Creation<A>>(self, create: impl FnOnce() -> R) -> Then<A, R::Error> {
        assert!(self.aggregate.is_none(), "events were given, so the {} exists already: use `when`", A::NAME);
        match create().into_result() {
            Ok(aggregate) => Then { aggregate: Some(aggregate), result: Ok(()) },
            Err(error) => Then { aggregate: None, result: Err(error) },
        }
    }
}

/// What a command did: checked with [`then`](Self::then) or
/// [`then_error`](Self::then_error).
#[derive(Debug)]
pub struct Then<A, E> {
    aggregate: Option<A>,
    result: Result<(), E>,
}

impl<A: Aggregate, E: Debug> Then<A, E> {
    /// Expects the command to have succeeded and triggered exactly these events, in
    /// order. Returns the aggregate after them, for further checks.
    ///
    /// # Panics
    /// If the command failed, or triggered other events.
    #[track_caller]
    pub fn then(self, expected: impl IntoIterator<Item = A::Event>) -> A
    where
        A::Event: PartialEq,
    {
        if let Err(error) = &self.result {
            panic!("the command failed with {error:?}; expected it to trigger events");
        }
        let Some(aggregate) = self.aggregate else { unreachable!("a command that succeeded leaves an aggregate") };
        let triggered: Vec<A::Event> = aggregate.pending_events().iter().map(|event| event.payload.clone()).collect();
        let expected: Vec<A::Event> = expected.into_iter().collect();
        assert_eq!(triggered, expected, "the events the command triggered (left) are not those expected (right)");
        aggregate
    }

    /// Expects the command to have failed with `expected`, triggering no event.
    ///
    /// # Panics
    /// If it succeeded, or failed otherwise.
    #[track_caller]
    // By value, so that a test writes the error as it would be returned.
    #[allow(clippy::needless_pass_by_value)]
    pub fn then_error(self, expected: E)
    where
        E: PartialEq,
    {
        self.then_error_matches(|error| *error == expected);
    }

    /// Expects the command to have failed with an error that `check` accepts, triggering
    /// no event; returns the error.
    ///
    /// # Panics
    /// If it succeeded, or `check` refuses the error.
    #[track_caller]
    pub fn then_error_matches(self, check: impl FnOnce(&E) -> bool) -> E {
        match self.result {
            Ok(()) => {
                let triggered: Vec<&str> = self
                    .aggregate
                    .as_ref()
                    .map(|a| a.pending_events().iter().map(|e| e.payload.name()).collect())
                    .unwrap_or_default();
                panic!("the command succeeded, triggering {triggered:?}; expected it to fail")
            }
            Err(error) => {
                assert!(check(&error), "the command failed with {error:?}, which is not the error expected");
                if let Some(aggregate) = &self.aggregate {
                    assert!(aggregate.pending_events().is_empty(), "the failed command triggered events");
                }
                error
            }
        }
    }
}

/// What a command method returns: nothing, or a `Result`.
pub trait CommandResult {
    /// The command's error.
    type Error: Debug;
    /// As a `Result`.
    fn into_result(self) -> Result<(), Self::Error>;
}

impl CommandResult for () {
    type Error = Infallible;

    fn into_result(self) -> Result<(), Infallible> {
        Ok(())
    }
}

impl<T, E: Debug> CommandResult for Result<T, E> {
    type Error = E;

    fn into_result(self) -> Result<(), E> {
        self.map(|_| ())
    }
}

/// What a creation command returns: the aggregate, or a `Result` of it.
pub trait Creation<A> {
    /// The command's error.
    type Error: Debug;
    /// As a `Result`.
    fn into_result(self) -> Result<A, Self::Error>;
}

impl<A: Aggregate> Creation<A> for A {
    type Error = Infallible;

    fn into_result(self) -> Result<A, Infallible> {
        Ok(self)
    }
}

impl<A: Aggregate, E: Debug> Creation<A> for Result<A, E> {
    type Error = E;

    fn into_result(self) -> Result<A, E> {
        self
    }
}

/// A test of a policy: upstream events go in, through the policy, and the events it
/// records come out, on in-memory stores.
///
/// ```
/// # use eventsourcing::prelude::*;
/// # use eventsourcing::persistence::BoxError;
/// # use eventsourcing::system::{Policy, Processing, SystemApplication};
/// use eventsourcing::testing::PolicyTest;
/// # #[aggregate]
/// # #[derive(Debug, Clone, Serialize, Deserialize)]
/// # pub struct Dog { name: String }
/// # #[aggregate]
/// # impl Dog {
/// #     #[event("Registered")]
/// #     pub fn register(name: String) -> Self { Self { name } }
/// #     #[event("Renamed")]
/// #     pub fn rename(&mut self, name: String) { self.name = name; }
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
/// #         if let Record::Event(DomainEvent { payload: DogEvent::Registered { .. }, originator_id, .. }) = event {
/// #             processing.collect(&mut Welcome::send(originator_id))?;
/// #         }
/// #         Ok(())
/// #     }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let test = PolicyTest::<Welcomer>::new().await?;
/// let mut dog = Dog::register("Fido".into());
/// let welcomed = test.when(&mut dog).await?.then::<Welcome>();
/// assert_eq!(welcomed[0].payload, WelcomeEvent::Sent { dog: *dog.id() });
///
/// dog.rename("Rex".into());
/// assert!(test.when(&mut dog).await?.is_empty(), "a renamed dog is not welcomed again");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PolicyTest<P> {
    policy: P,
    follower: Application,
    leader: Application,
}

/// The name of the upstream application a [`PolicyTest`] makes.
const UPSTREAM: &str = "Upstream";

impl<P: ProcessApplication> PolicyTest<P> {
    /// The process application `P` on an in-memory store (configured by its
    /// [`configure`](crate::SystemApplication::configure), not by the process
    /// environment), following an in-memory upstream application.
    ///
    /// # Errors
    /// An error building either application.
    pub async fn new() -> Result<Self, ApplicationError> {
        let follower = P::configure(Application::builder(P::NAME).without_process_env()).build().await?;
        let leader = Application::builder(UPSTREAM).without_process_env().build().await?;
        Ok(PolicyTest { policy: P::from_application(follower.clone()), follower, leader })
    }
}

impl<P: Policy> PolicyTest<P> {
    /// A test of `policy`, recording into `follower`, fed through `leader` (whose mapper
    /// encodes the upstream events as that application would).
    pub fn with(policy: P, follower: Application, leader: Application) -> Self {
        PolicyTest { policy, follower, leader }
    }

    /// The policy.
    pub fn policy(&self) -> &P {
        &self.policy
    }

    /// The application the policy records into: read its aggregates to check its state.
    pub fn follower(&self) -> &Application {
        &self.follower
    }

    /// The upstream application.
    pub fn leader(&self) -> &Application {
        &self.leader
    }

    /// Saves upstream changes (anything [`Application::save`] takes) and has the policy
    /// process their events, as earlier history; what it records is not returned.
    ///
    /// # Errors
    /// As [`when`](Self::when).
    pub async fn given(&self, changes: impl Changes) -> Result<(), TestError> {
        self.when(changes).await.map(drop)
    }

    /// Saves upstream changes and has the policy process their events; returns what it
    /// recorded, to check with [`Recorded::then`].
    ///
    /// # Errors
    /// [`TestError::Save`] if the upstream save fails, [`TestError::Processing`] with the
    /// policy's error (nothing of that event is recorded).
    pub async fn when(&self, changes: impl Changes) -> Result<Recorded, TestError> {
        let ids = self.leader.save(changes).await?;
        let (Some(&first), Some(&last)) = (ids.first(), ids.last()) else { return Ok(Recorded::default()) };
        let query = NotificationQuery::after(Some(first - 1), ids.len()).stop(last);
        let notifications = self.leader.recorder().select_notifications(query).await.map_err(ApplicationError::from)?;
        let mut recorded = Vec::new();
        for notification in &notifications {
            let ids = process_notification(&self.policy, &self.follower, &self.leader, notification).await?;
            if let (Some(&first), Some(&last)) = (ids.first(), ids.last()) {
                let query = NotificationQuery::after(Some(first - 1), ids.len()).stop(last);
                let new = self.follower.recorder().select_notifications(query).await;
                recorded.extend(new.map_err(ApplicationError::from)?);
            }
        }
        Ok(Recorded { notifications: recorded, follower: Some(self.follower.clone()) })
    }
}

/// Why a [`PolicyTest`] step failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestError {
    /// The upstream changes could not be saved, or the recorded events read.
    #[error(transparent)]
    Save(#[from] ApplicationError),
    /// The policy failed, or its events could not be recorded.
    #[error(transparent)]
    Processing(#[from] ProcessingError),
}

/// A decoded event of aggregate type `A`.
type EventOf<A> = DomainEvent<<A as Aggregate>::Event, <A as Aggregate>::Id>;

/// The events a policy recorded while processing the events of one step.
#[derive(Debug, Default)]
pub struct Recorded {
    notifications: Vec<Notification>,
    follower: Option<Application>,
}

impl Recorded {
    /// Whether the policy recorded nothing.
    pub fn is_empty(&self) -> bool {
        self.notifications.is_empty()
    }

    /// The recorded notifications, in order.
    pub fn notifications(&self) -> &[Notification] {
        &self.notifications
    }

    /// Expects every recorded event to be one of `A`'s, and returns them decoded, in
    /// order: compare their payloads.
    ///
    /// # Panics
    /// If one is of another type, or cannot be decoded.
    #[track_caller]
    pub fn then<A: Aggregate>(&self) -> Vec<DomainEvent<A::Event, A::Id>> {
        self.decoded::<A>()
            .map(|(notification, event)| {
                event.unwrap_or_else(|| {
                    panic!("the policy recorded {}, not an event of {}", notification.event.topic, A::NAME)
                })
            })
            .collect()
    }

    /// The recorded events of aggregate type `A`, in order, passing over others.
    ///
    /// # Panics
    /// If one of `A`'s cannot be decoded.
    #[track_caller]
    pub fn events<A: Aggregate>(&self) -> Vec<DomainEvent<A::Event, A::Id>> {
        self.decoded::<A>().filter_map(|(_, event)| event).collect()
    }

    /// Each recorded notification, with its event if it is one of `A`'s.
    fn decoded<A: Aggregate>(&self) -> impl Iterator<Item = (&Notification, Option<EventOf<A>>)> {
        self.follower.iter().flat_map(move |follower| {
            self.notifications.iter().map(move |notification| {
                match Record::<A>::decode(follower.mapper(), notification) {
                    Ok(Some(Record::Event(event))) => (notification, Some(event)),
                    Ok(_) => (notification, None),
                    Err(error) => panic!("cannot decode what the policy recorded: {error}"),
                }
            })
        })
    }
}
