//! The dog of Python's dog school (`tests/python/dogschool.py`): the same events, fields
//! and topics, so that Python and Rust read each other's records.

use eventsourcing::prelude::*;

#[aggregate(python = "dogschool:Dog")]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dog {
    pub name: String,
    pub tricks: Vec<String>,
    pub owner: Option<Uuid>,
    pub born: Option<DateTime<Utc>>,
}

#[aggregate]
impl Dog {
    #[event("Registered")]
    pub fn register(name: &str) -> Self {
        Self { name: name.to_owned(), tricks: Vec::new(), owner: None, born: None }
    }

    #[event("TrickAdded")]
    pub fn add_trick(&mut self, trick: &str) {
        self.tricks.push(trick.to_owned());
    }

    #[event("NameChanged", version = 2, upcast(NameChangedV1))]
    pub fn change_name(&mut self, name: &str, reason: &str) {
        let _ = reason;
        name.clone_into(&mut self.name);
    }

    #[event("Adopted")]
    pub fn adopt(&mut self, owner: Uuid, born: DateTime<Utc>, friends: Vec<Uuid>) {
        let _ = friends;
        self.owner = Some(owner);
        self.born = Some(born);
    }
}

/// Version 1 of `NameChanged`, without a reason (Python's `upcast_v1_v2` adds one).
#[derive(Debug, Deserialize)]
pub struct NameChangedV1 {
    pub name: String,
}

impl From<NameChangedV1> for DogEvent {
    fn from(old: NameChangedV1) -> Self {
        DogEvent::NameChanged { name: old.name, reason: "upcast-default".into() }
    }
}
