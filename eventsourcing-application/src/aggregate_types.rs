//! The aggregate types an application has met, by stable name.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use eventsourcing_core::domain::Aggregate;

use crate::error::ApplicationError;

/// Two aggregate types with one stable name would read each other's records, snapshots
/// and cache entries. Each type is noted the first time the application saves or gets one
/// of its aggregates, and a second type with a name already taken is refused.
#[derive(Debug, Default)]
pub(crate) struct AggregateTypes {
    by_name: RwLock<HashMap<&'static str, &'static str>>,
}

impl AggregateTypes {
    /// Notes `A`, or refuses it if another type has its name.
    pub(crate) fn check<A: Aggregate>(&self) -> Result<(), ApplicationError> {
        self.check_named(A::NAME, std::any::type_name::<A>())
    }

    /// Notes the Rust type `rust_type` as the aggregate type called `name`, or refuses it
    /// if another type has that name.
    pub(crate) fn check_named(&self, name: &'static str, rust_type: &'static str) -> Result<(), ApplicationError> {
        let known = self.by_name.read().unwrap_or_else(PoisonError::into_inner).get(name).copied();
        let first = match known {
            Some(first) => first,
            None => *self.by_name.write().unwrap_or_else(PoisonError::into_inner).entry(name).or_insert(rust_type),
        };
        if first == rust_type {
            Ok(())
        } else {
            Err(ApplicationError::DuplicateName { name, first, second: rust_type })
        }
    }
}
