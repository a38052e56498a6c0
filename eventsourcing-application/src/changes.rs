//! What [`Application::save`](crate::Application::save) accepts: one aggregate, several
//! (of any types, in tuples), or collections of them.

use eventsourcing_core::domain::{Aggregate, AggregateId, EventHash};
use eventsourcing_core::persistence::{Mapper, MapperError, OriginatorId, StoredEvent};

/// The new events of one aggregate, encoded and ready to store.
#[doc(hidden)]
#[derive(Debug)]
pub struct Prepared {
    pub(crate) aggregate: &'static str,
    pub(crate) id: OriginatorId,
    pub(crate) versions: Vec<u64>,
    pub(crate) stored: Vec<StoredEvent>,
    pub(crate) head: Option<EventHash>,
}

/// Aggregates with pending events to save together, atomically.
///
/// Implemented for `&mut A` of any aggregate, for `&mut [A]` (a `&mut vec[..]`), `Vec<T>`,
/// and tuples of up to six of these, so that `app.save((&mut account, &mut ledger))`
/// records the events of both in one transaction.
///
/// Saving is two-phase: the events are encoded while still pending, and only taken from
/// the aggregates once the store has committed them. A save that fails (a version
/// conflict, say) leaves every aggregate as it was.
pub trait Changes: Send {
    #[doc(hidden)]
    fn __prepare(&self, mapper: &Mapper, out: &mut Vec<Prepared>) -> Result<(), MapperError>;
    #[doc(hidden)]
    fn __commit(&mut self, prepared: &mut dyn Iterator<Item = &Prepared>);
}

pub(crate) fn prepare_one<A: Aggregate>(
    aggregate: &A,
    mapper: &Mapper,
    out: &mut Vec<Prepared>,
) -> Result<(), MapperError> {
    let pending = aggregate.pending_events();
    let (stored, head) = mapper.encode_events::<A>(pending, aggregate.head())?;
    out.push(Prepared {
        aggregate: A::NAME,
        id: aggregate.id().to_originator_id(),
        versions: pending.iter().map(|e| e.originator_version).collect(),
        stored,
        head,
    });
    Ok(())
}

pub(crate) fn commit_one<A: Aggregate>(aggregate: &mut A, prepared: &mut dyn Iterator<Item = &Prepared>) {
    let Some(prepared) = prepared.next() else { return };
    aggregate.collect_events();
    if prepared.head.is_some() {
        aggregate.__set_head(prepared.head);
    }
}

impl<A: Aggregate + Send> Changes for &mut A {
    fn __prepare(&self, mapper: &Mapper, out: &mut Vec<Prepared>) -> Result<(), MapperError> {
        prepare_one(&**self, mapper, out)
    }

    fn __commit(&mut self, prepared: &mut dyn Iterator<Item = &Prepared>) {
        commit_one(&mut **self, prepared);
    }
}

impl<A: Aggregate + Send> Changes for &mut [A] {
    fn __prepare(&self, mapper: &Mapper, out: &mut Vec<Prepared>) -> Result<(), MapperError> {
        self.iter().try_for_each(|aggregate| prepare_one(aggregate, mapper, out))
    }

    fn __commit(&mut self, prepared: &mut dyn Iterator<Item = &Prepared>) {
        self.iter_mut().for_each(|aggregate| commit_one(aggregate, prepared));
    }
}

impl<T: Changes> Changes for Vec<T> {
    fn __prepare(&self, mapper: &Mapper, out: &mut Vec<Prepared>) -> Result<(), MapperError> {
        self.iter().try_for_each(|changes| changes.__prepare(mapper, out))
    }

    fn __commit(&mut self, prepared: &mut dyn Iterator<Item = &Prepared>) {
        for changes in self {
            changes.__commit(prepared);
        }
    }
}

macro_rules! tuple_changes {
    ($($name:ident $index:tt),+) => {
        impl<$($name: Changes),+> Changes for ($($name,)+) {
            fn __prepare(&self, mapper: &Mapper, out: &mut Vec<Prepared>) -> Result<(), MapperError> {
                $(self.$index.__prepare(mapper, out)?;)+
                Ok(())
            }

            fn __commit(&mut self, prepared: &mut dyn Iterator<Item = &Prepared>) {
                $(self.$index.__commit(prepared);)+
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
