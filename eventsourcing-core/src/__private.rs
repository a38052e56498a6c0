//! Paths that generated code uses. Not public API: no stability guarantees.

pub use ::chrono;
pub use ::core::{clone::Clone, default::Default, option::Option, result::Result};
pub use ::serde;
pub use ::uuid;

pub use crate::domain::aggregate::{AggregateMachinery, Meta};
pub use crate::domain::event_internals::ApplyError;
pub use crate::persistence::log_event::{LogVariant, Matched, unmatched};

/// Error type of a rejected command body.
pub type BoxError = ::std::boxed::Box<dyn ::std::error::Error + ::core::marker::Send + ::core::marker::Sync>;

thread_local! {
    static APPLYING: ::core::cell::Cell<u32> = const { ::core::cell::Cell::new(0) };
}

/// Runs a command body as the application of an event. Event methods called from inside
/// it (directly or not) run their bodies only: their effect is part of the outer event,
/// and replaying the outer event repeats it.
pub fn applying<R>(body: impl FnOnce() -> R) -> R {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            APPLYING.set(APPLYING.get().saturating_sub(1));
        }
    }
    APPLYING.set(APPLYING.get().saturating_add(1));
    let _leave = Leave;
    body()
}

/// Whether a command body is being applied on this thread (see [`applying`]).
#[must_use]
pub fn is_applying() -> bool {
    APPLYING.get() > 0
}

/// Whether two names are equal, usable in constant assertions.
#[must_use]
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The error for a stored event name the aggregate does not know.
pub fn unknown_event<E: ::serde::de::Error>(aggregate: &str, name: &str) -> E {
    E::custom(::core::format_args!("{aggregate} has no event named {name:?}"))
}

/// The error for a stored schema version the event does not know.
pub fn unknown_version<E: ::serde::de::Error>(name: &str, version: u32, current: u32) -> E {
    E::custom(::core::format_args!("{name} version {version} is unknown (current version is {current})"))
}

/// A command body's error on its way into an [`ApplyError`]: an `Error`, a message or a
/// boxed error as it is, any other `Debug` value wrapped (chosen by autoref in generated
/// code: `(&&&Rejected::new(error)).reject()` takes the first of `RejectError`,
/// `RejectBoxed` and `RejectDebug` that the error's type allows).
pub struct Rejected<E>(::core::cell::Cell<::core::option::Option<E>>);

impl<E> ::core::fmt::Debug for Rejected<E> {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.write_str("Rejected")
    }
}

impl<E> Rejected<E> {
    /// Wraps the error.
    pub fn new(error: E) -> Self {
        Rejected(::core::cell::Cell::new(::core::option::Option::Some(error)))
    }

    fn take(&self) -> E {
        // Each `Rejected` is made for one call of `reject`, which takes the error once.
        self.0.take().unwrap_or_else(|| unreachable!("a rejected error is taken once"))
    }
}

/// Turns an `Error` into an [`ApplyError`], keeping it as the source.
pub trait RejectError {
    /// The error as an [`ApplyError`].
    fn reject(self) -> ApplyError;
}

impl<E: ::std::error::Error + Send + Sync + 'static> RejectError for &&&Rejected<E> {
    fn reject(self) -> ApplyError {
        ApplyError::rejected(self.take())
    }
}

/// Turns a message or an already boxed error into an [`ApplyError`].
pub trait RejectBoxed {
    /// The error as an [`ApplyError`].
    fn reject(self) -> ApplyError;
}

impl RejectBoxed for &&Rejected<::std::string::String> {
    fn reject(self) -> ApplyError {
        ApplyError::rejected(self.take())
    }
}

impl RejectBoxed for &&Rejected<&'static str> {
    fn reject(self) -> ApplyError {
        ApplyError::rejected(self.take())
    }
}

impl RejectBoxed for &&Rejected<BoxError> {
    fn reject(self) -> ApplyError {
        ApplyError::rejected(self.take())
    }
}

/// Turns any other `Debug` value into an [`ApplyError`], shown through `Debug`.
pub trait RejectDebug {
    /// The error as an [`ApplyError`].
    fn reject(self) -> ApplyError;
}

impl<E: ::core::fmt::Debug + Send + Sync + 'static> RejectDebug for &Rejected<E> {
    fn reject(self) -> ApplyError {
        ApplyError::rejected(DebugError(self.take()))
    }
}

/// A command body's error that is `Debug` but not an `Error`.
#[derive(Debug)]
struct DebugError<E>(E);

impl<E: ::core::fmt::Debug> ::core::fmt::Display for DebugError<E> {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        ::core::write!(f, "{:?}", self.0)
    }
}

impl<E: ::core::fmt::Debug> ::std::error::Error for DebugError<E> {}

/// What `#[aggregate]` on an `impl` block implements: the aggregate's event enum and
/// replaying its events through the command bodies. The struct's half reaches them only
/// through this trait, so that a missing `#[aggregate]` on the `impl` is one clear error.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has `#[aggregate]` on its struct but not on its `impl` block",
    label = "its events are made by `#[aggregate] impl {Self}`",
    note = "write `#[aggregate]` above `impl {Self}`, the block of its `#[event]` methods (at least the one that creates it)"
)]
pub trait AggregateImpl: Sized {
    /// The generated event enum.
    type Event;
    /// The aggregate's id type (the struct's `#[aggregate(id = ..)]`).
    type Id;

    /// Replays a creation event.
    ///
    /// # Errors
    /// The body's error, or a wrong kind of event.
    fn __es_replay_created(
        event: Self::Event,
        id: &Self::Id,
        timestamp: ::chrono::DateTime<::chrono::Utc>,
    ) -> ::core::result::Result<Self, ApplyError>;

    /// Replays an event on the aggregate.
    ///
    /// # Errors
    /// The body's error, or a wrong kind of event.
    fn __es_replay(
        &mut self,
        event: Self::Event,
        timestamp: ::chrono::DateTime<::chrono::Utc>,
    ) -> ::core::result::Result<(), ApplyError>;
}

/// What an event's field must be: stored, so serialisable and deserialisable. The
/// generated code requires it of each field through the functions below, so that a field
/// type without serde's derives is one error naming the type and the fix, not serde's.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a field of an event: it does not implement `Serialize` and `Deserialize`",
    label = "an event's fields are stored, so their types must serialize and deserialize",
    note = "derive them for `{Self}`: `#[derive(Serialize, Deserialize)]` from `eventsourcing::prelude`, with `#[serde(crate = \"eventsourcing::serde\")]` (or serde's own derives)"
)]
pub trait EventField: ::serde::Serialize + ::serde::de::DeserializeOwned {}

#[diagnostic::do_not_recommend]
impl<T: ::serde::Serialize + ::serde::de::DeserializeOwned> EventField for T {}

/// Serialises an event's field (`#[serde(serialize_with)]` of the generated enum).
///
/// # Errors
/// The serializer's.
pub fn serialize_field<T: EventField, S: ::serde::Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    value.serialize(serializer)
}

/// Deserialises an event's field (`#[serde(deserialize_with)]` of the generated code).
///
/// # Errors
/// The deserializer's.
pub fn deserialize_field<'de, T: EventField, D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    T::deserialize(deserializer)
}

/// An event's field, serialised by hand (requiring `EventField`, not `Serialize`).
#[derive(Debug)]
pub struct Field<'a, T>(pub &'a T);

impl<T: EventField> ::serde::Serialize for Field<'_, T> {
    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// Detects derives written above `#[aggregate]`, which see the struct before its hidden
/// field is added: `Probe::<Dog>::NEW.clone_above()` is the inherent method, returning
/// [`DeriveAbove`], when `Dog: Clone`, and the [`DeriveProbe`] fallback, returning
/// [`DeriveBelow`], when not. The struct's half calls it for each such derive it does not
/// see below itself, and requires the answer to be [`DeriveBelow`].
#[derive(Debug)]
pub struct Probe<T>(::core::marker::PhantomData<T>);

impl<T> Probe<T> {
    /// The probe.
    pub const NEW: Self = Probe(::core::marker::PhantomData);
}

/// The answer when the probed type implements the derive's trait.
#[derive(Debug)]
pub struct DeriveAbove;

/// The answer when it does not.
#[derive(Debug)]
pub struct DeriveBelow;

impl<T: ::core::clone::Clone> Probe<T> {
    /// `T` is `Clone`.
    pub fn clone_above(&self) -> DeriveAbove {
        DeriveAbove
    }
}

impl<T: ::core::default::Default> Probe<T> {
    /// `T` is `Default`.
    pub fn default_above(&self) -> DeriveAbove {
        DeriveAbove
    }
}

impl<T: ::serde::de::DeserializeOwned> Probe<T> {
    /// `T` is `Deserialize`.
    pub fn deserialize_above(&self) -> DeriveAbove {
        DeriveAbove
    }
}

/// The fallback of [`Probe`]'s inherent methods, for types without the trait.
pub trait DeriveProbe {
    /// `T` is not `Clone`.
    fn clone_above(&self) -> DeriveBelow {
        DeriveBelow
    }
    /// `T` is not `Default`.
    fn default_above(&self) -> DeriveBelow {
        DeriveBelow
    }
    /// `T` is not `Deserialize`.
    fn deserialize_above(&self) -> DeriveBelow {
        DeriveBelow
    }
}

impl<T> DeriveProbe for Probe<T> {}

/// `A`'s `Clone`, if any, is derived below `#[aggregate]`.
#[diagnostic::on_unimplemented(
    message = "`{A}` implements `Clone` without `#[derive(Clone)]` below `#[aggregate]`",
    label = "`#[derive(Clone)]` must come below this `#[aggregate]`, not above it",
    note = "a derive above `#[aggregate]` sees the struct before `#[aggregate]` adds its bookkeeping field, so the derived `Clone` cannot fill that field (nor can a hand-written impl): write `#[aggregate]` first, then `#[derive(..)]`"
)]
pub trait CloneBelow<A> {}

#[diagnostic::do_not_recommend]
impl<A> CloneBelow<A> for DeriveBelow {}

/// Requires that `A`'s `Clone`, if any, is derived below `#[aggregate]`.
pub fn clone_below<A, T: CloneBelow<A>>(_: T) {}

/// `A`'s `Default`, if any, is derived below `#[aggregate]`.
#[diagnostic::on_unimplemented(
    message = "`{A}` implements `Default` without `#[derive(Default)]` below `#[aggregate]`",
    label = "`#[derive(Default)]` must come below this `#[aggregate]`, not above it",
    note = "a derive above `#[aggregate]` sees the struct before `#[aggregate]` adds its bookkeeping field, so the derived `Default` cannot fill that field (nor can a hand-written impl): write `#[aggregate]` first, then `#[derive(..)]`"
)]
pub trait DefaultBelow<A> {}

#[diagnostic::do_not_recommend]
impl<A> DefaultBelow<A> for DeriveBelow {}

/// Requires that `A`'s `Default`, if any, is derived below `#[aggregate]`.
pub fn default_below<A, T: DefaultBelow<A>>(_: T) {}

/// `A`'s `Deserialize`, if any, is derived below `#[aggregate]`.
#[diagnostic::on_unimplemented(
    message = "`{A}` implements `Deserialize` without `#[derive(Deserialize)]` below `#[aggregate]`",
    label = "`#[derive(Deserialize)]` must come below this `#[aggregate]`, not above it",
    note = "a derive above `#[aggregate]` sees the struct before `#[aggregate]` adds its bookkeeping field, so the derived `Deserialize` cannot fill that field (nor can a hand-written impl): write `#[aggregate]` first, then `#[derive(..)]`"
)]
pub trait DeserializeBelow<A> {}

#[diagnostic::do_not_recommend]
impl<A> DeserializeBelow<A> for DeriveBelow {}

/// Requires that `A`'s `Deserialize`, if any, is derived below `#[aggregate]`.
pub fn deserialize_below<A, T: DeserializeBelow<A>>(_: T) {}
