//! Properties: whatever commands run, the recorded events replay into an equal aggregate,
//! through the mapper that stores use, in every configuration; rejected commands change
//! nothing.
#![allow(missing_docs)]

use eventsourcing::persistence::{ChainCursor, Cipher, Codec, Compression, HashChain, Mapper};
use eventsourcing::prelude::*;
use proptest::prelude::*;

#[aggregate]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Ledger {
    owner: String,
    balance: i64,
    entries: Vec<(String, i64)>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Overdrawn;

impl std::fmt::Display for Overdrawn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("overdrawn")
    }
}

impl std::error::Error for Overdrawn {}

#[aggregate]
impl Ledger {
    #[event("Opened")]
    pub fn open(owner: &str) -> Self {
        Self { owner: owner.to_owned(), balance: 0, entries: Vec::new() }
    }

    #[event("Posted")]
    pub fn post(&mut self, memo: &str, amount: i64) -> Result<(), Overdrawn> {
        if self.balance + amount < 0 {
            return Err(Overdrawn);
        }
        self.balance += amount;
        self.entries.push((memo.to_owned(), amount));
        Ok(())
    }

    #[event]
    pub fn renamed(&mut self, owner: String) {
        self.owner = owner;
    }
}

#[derive(Debug, Clone)]
enum Command {
    Post(String, i64),
    Rename(String),
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        ("\\PC{0,12}", -1000i64..1000).prop_map(|(memo, amount)| Command::Post(memo, amount)),
        "\\PC{0,12}".prop_map(Command::Rename),
    ]
}

fn mappers() -> Vec<Mapper> {
    let key = [7; 32];
    vec![
        Mapper::new(Codec::Json),
        Mapper::new(Codec::Bincode),
        Mapper::new(Codec::Json).with_compression(Compression::default()).with_hash_chain(HashChain::new()),
        Mapper::new(Codec::Bincode)
            .with_compression(Compression::default())
            .with_cipher(Cipher::new(&key))
            .with_hash_chain(HashChain::keyed(key)),
    ]
}

proptest! {
    #[test]
    fn recorded_events_replay_into_an_equal_aggregate(owner in "\\PC{0,12}", commands in prop::collection::vec(command(), 0..40)) {
        let mut ledger = Ledger::open(&owner);
        let mut accepted = 1;
        for command in commands {
            let before = ledger.version();
            match command {
                Command::Post(memo, amount) => {
                    if ledger.post(&memo, amount).is_ok() {
                        accepted += 1;
                    } else {
                        prop_assert_eq!(ledger.version(), before);
                    }
                }
                Command::Rename(name) => {
                    ledger.renamed(name);
                    accepted += 1;
                }
            }
        }
        prop_assert_eq!(ledger.version(), accepted);
        prop_assert!(ledger.balance >= 0);
        let events = ledger.collect_events();
        prop_assert_eq!(events.len() as u64, accepted);

        // Through the mapper that stores use: every codec, compressed, encrypted, chained.
        for mapper in mappers() {
            let (stored, head) = mapper.encode_events::<Ledger>(&events, None).unwrap();
            let mut cursor = ChainCursor::from_start();
            let records = mapper.decode_events::<Ledger>(stored, &mut cursor).unwrap();
            prop_assert_eq!(cursor.head(), head);
            let decoded = records.into_iter().map(|record| match record {
                Record::Event(event) => event,
                Record::Discarded { .. } => unreachable!("no discard was recorded"),
            });
            let replayed = Ledger::from_events(decoded).unwrap();
            prop_assert_eq!(&replayed, &ledger);
        }
    }
}
