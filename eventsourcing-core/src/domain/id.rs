use std::fmt::{Debug, Display};
use std::hash::Hash;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::persistence::OriginatorId;

/// The type of an aggregate's id: [`Uuid`] (the default) or [`String`].
///
/// An id is generated when an aggregate is created, unless the aggregate derives it
/// from its creation arguments (a `create_id` function) or takes it as an `id` argument.
pub trait AggregateId:
    Clone + Eq + Hash + Debug + Display + Default + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// A new, random id.
    fn generate() -> Self;

    /// The id as stores keep it.
    fn to_originator_id(&self) -> OriginatorId;

    /// The id from its stored form, if it has this type's form (a text id that spells a
    /// UUID is accepted as a UUID, as Python does; a UUID becomes its hyphenated text).
    fn from_originator_id(id: &OriginatorId) -> Option<Self>;
}

impl AggregateId for Uuid {
    /// A random (version 4) UUID.
    fn generate() -> Self {
        Uuid::new_v4()
    }

    fn to_originator_id(&self) -> OriginatorId {
        OriginatorId::Uuid(*self)
    }

    fn from_originator_id(id: &OriginatorId) -> Option<Self> {
        match id {
            OriginatorId::Uuid(id) => Some(*id),
            OriginatorId::Text(text) => Uuid::parse_str(text).ok(),
        }
    }
}

impl AggregateId for String {
    /// The hyphenated text of a random (version 4) UUID.
    fn generate() -> Self {
        Uuid::new_v4().to_string()
    }

    fn to_originator_id(&self) -> OriginatorId {
        OriginatorId::Text(self.clone())
    }

    fn from_originator_id(id: &OriginatorId) -> Option<Self> {
        Some(id.to_string())
    }
}
