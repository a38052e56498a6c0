//! What [`Application::save`](crate::Application::save) accepts: one aggregate, several
//! (of any types, in tuples), or collections of them.

use eventsourcing_core::domain::Aggregate;
use eventsourcing_core::persistence::{EventStore, NewEvents};

use crate::error::ApplicationError;

/// Aggregates with pending events to save together, atomically.
///
/// Implemented for `&mut A` of any aggregate, for `&mut [A]` (a `&mut vec[..]`), `Vec<T>`,
/// and tuples of up to six of these, so that `app.save((&mut account, &mut ledger))`
/// records the events of both in one transaction. It is sealed: these are all.
///
/// Saving is two-phase: the events are encoded while still pending, and only taken from
/// the aggregates once the store has committed them. A save that fails (a version
/// conflict, say) leaves every aggregate as it was.
pub trait Changes: Send + sealed::Changes {}

impl<T: Send + sealed::Changes> Changes for T {}

pub(crate) mod sealed {
    use super::{ApplicationError, EventStore, NewEvents};

    /// The two phases of a save.
    pub trait Changes {
        /// Encodes the pending events of each aggregate, in order, each beside the name of
        /// its Rust type.
        fn prepare(&self, store: &EventStore, out: &mut Vec<(&'static str, NewEvents)>)
        -> Result<(), ApplicationError>;
        /// Takes the stored events from each aggregate, in the same order.
        fn commit(&mut self, new: &mut dyn Iterator<Item = &NewEvents>);
    }
}

fn prepare_one<A: Aggregate>(
    aggregate: &A,
    store: &EventStore,
    out: &mut Vec<(&'static str, NewEvents)>,
) -> Result<(), ApplicationError> {
    out.push((std::any::type_name::<A>(), store.encode(aggregate)?));
    Ok(())
}

fn commit_one<A: Aggregate>(aggregate: &mut A, new: &mut dyn Iterator<Item = &NewEvents>) {
    if let Some(new) = new.next() {
        new.commit(aggregate);
    }
}

impl<A: Aggregate> sealed::Changes for &mut A {
    fn prepare(&self, store: &EventStore, out: &mut Vec<(&'static str, NewEvents)>) -> Result<(), ApplicationError> {
        prepare_one(&**self, store, out)
    }

    fn commit(&mut self, new: &mut dyn Iterator<Item = &NewEvents>) {
        commit_one(&mut **self, new);
    }
}

impl<A: Aggregate> sealed::Changes for &mut [A] {
    fn prepare(&self, store: &EventStore, out: &mut Vec<(&'static str, NewEvents)>) -> Result<(), ApplicationError> {
        self.iter().try_for_each(|aggregate| prepare_one(aggregate, store, out))
    }

    fn commit(&mut self, new: &mut dyn Iterator<Item = &NewEvents>) {
        self.iter_mut().for_each(|aggregate| commit_one(aggregate, new));
    }
}

impl<T: sealed::Changes> sealed::Changes for Vec<T> {
    fn prepare(&self, store: &EventStore, out: &mut Vec<(&'static str, NewEvents)>) -> Result<(), ApplicationError> {
        self.iter().try_for_each(|changes| changes.prepare(store, out))
    }

    fn commit(&mut self, new: &mut dyn Iterator<Item = &NewEvents>) {
        for changes in self {
            changes.commit(new);
        }
    }
}

macro_rules! tuple_changes {
    ($($name:ident $index:tt),+) => {
        impl<$($name: sealed::Changes),+> sealed::Changes for ($($name,)+) {
            fn prepare(
                &self,
                store: &EventStore,
                out: &mut Vec<(&'static str, NewEvents)>,
            ) -> Result<(), ApplicationError> {
                $(self.$index.prepare(store, out)?;)+
                Ok(())
            }

            fn commit(&mut self, new: &mut dyn Iterator<Item = &NewEvents>) {
                $(self.$index.commit(new);)+
            }
        }
    };
}

tuple_changes!(A 0);
tuple_changes!(A 0, B 1);
tuple_changes!(A 0, B 1, C 2);
tuple_changes!(A 0, B 1, C 2, D 3);
tuple_changes!(A 0, B 1, C 2, D 3, E 4);
tuple_changes!(A 0, B 1, C 2, D 3, E 4, F 5);
