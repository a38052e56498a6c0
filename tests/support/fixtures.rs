//! The aggregates the tests share: a dog school's `Dog`, a `Counter` without serde, a
//! bank `Account` with text ids, and a `Note` with text ids that are not derived.

use eventsourcing::prelude::*;

#[aggregate]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dog {
    pub name: String,
    pub tricks: Vec<String>,
}

#[aggregate]
impl Dog {
    #[event("Registered")]
    pub fn register(name: &str) -> Self {
        Self { name: name.to_owned(), tricks: Vec::new() }
    }

    #[event("TrickAdded")]
    pub fn add_trick(&mut self, trick: &str) {
        self.tricks.push(trick.to_owned());
    }
}

/// An aggregate without serde: it can be saved and got, not snapshotted.
#[aggregate]
#[derive(Debug, Clone, PartialEq)]
pub struct Counter {
    pub count: u64,
}

#[aggregate]
impl Counter {
    #[event("Started")]
    pub fn start() -> Self {
        Self { count: 0 }
    }

    #[event("Incremented")]
    pub fn increment(&mut self) {
        self.count += 1;
    }
}

/// Text ids derived from the account number.
#[aggregate(id = String)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub balance: i64,
}

#[aggregate]
impl Account {
    fn create_id(number: &str) -> String {
        format!("account-{number}")
    }

    #[event("Opened")]
    pub fn open(number: &str) -> Self {
        let _ = number;
        Self { balance: 0 }
    }

    #[event("Deposited")]
    pub fn deposit(&mut self, amount: i64) {
        self.balance += amount;
    }
}

/// Text ids that are not derived: each note gets a random one.
#[aggregate(id = String)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub text: String,
}

#[aggregate]
impl Note {
    #[event("Written")]
    pub fn write(text: &str) -> Self {
        Self { text: text.to_owned() }
    }
}
