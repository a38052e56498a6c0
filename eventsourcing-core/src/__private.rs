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
