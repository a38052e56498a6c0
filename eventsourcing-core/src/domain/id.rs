use std::fmt::{Debug, Display};
use std::hash::Hash;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// The type of an aggregate's id: [`Uuid`] (the default) or [`String`].
///
/// An id is generated when an aggregate is created, unless the aggregate derives it
/// from its creation arguments (a `create_id` function) or takes it as an `id` argument.
pub trait AggregateId:
    Clone + Eq + Hash + Debug + Display + Default + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// A new, random id.
    fn generate() -> Self;
}

impl AggregateId for Uuid {
    /// A random (version 4) UUID.
    fn generate() -> Self {
        Uuid::new_v4()
    }
}

impl AggregateId for String {
    /// The hyphenated text of a random (version 4) UUID.
    fn generate() -> Self {
        Uuid::new_v4().to_string()
    }
}
