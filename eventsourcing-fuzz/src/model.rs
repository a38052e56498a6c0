//! The aggregate whose records the targets decode: its events and state hold a variety of
//! field types (text, integers of every width, floats, chars, bytes, options, sequences,
//! maps, tuples, enums, UUIDs, timestamps), and some of them are versioned, with
//! upcasters from older shapes, so that decoding goes through every kind of visitor.

use std::collections::BTreeMap;

use eventsourcing::prelude::*;

/// A measurement, as carried by [`SampleEvent::Measured`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// When it was taken.
    pub at: DateTime<Utc>,
    /// The value.
    pub value: f64,
    /// The change since the previous reading.
    pub delta: i64,
    /// Whether it is within range.
    pub ok: bool,
    /// The unit's symbol.
    pub unit: char,
    /// The range it was taken in.
    pub range: (i16, u32),
    /// The raw bytes from the instrument.
    pub raw: Vec<u8>,
    /// A counter wider than 64 bits.
    pub serial: u128,
}

/// How a sample is tagged, as carried by [`SampleEvent::Tagged`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Kind {
    /// No weight.
    Plain,
    /// Weighted.
    Weighted(f32),
    /// Linked to another sample.
    Linked {
        /// The other sample.
        to: Uuid,
        /// How strongly.
        strength: i8,
    },
}

/// The aggregate, at state version 2; version 1 is [`SampleStateV1`].
#[aggregate(version = 2, upcast(SampleStateV1), python = "fuzz:Sample")]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    name: String,
    amount: u64,
    label: String,
    shade: u8,
    readings: Vec<Reading>,
    tags: BTreeMap<String, i32>,
    note: Option<String>,
    kind: Option<Kind>,
}

#[aggregate]
impl Sample {
    /// Creates a sample (event version 2; version 1 is [`CreatedV1`]).
    #[event("Created", version = 2, upcast(CreatedV1))]
    pub fn create(name: String, amount: u64) -> Self {
        Self {
            name,
            amount,
            label: String::new(),
            shade: 0,
            readings: Vec::new(),
            tags: BTreeMap::new(),
            note: None,
            kind: None,
        }
    }

    /// Relabels the sample (the explicit event [`Relabelled`], at version 3).
    #[event(Relabelled)]
    pub fn relabel(&mut self, label: String, shade: u8) {
        self.label = label;
        self.shade = shade;
    }

    /// Records a reading.
    #[event("Measured")]
    pub fn measure(&mut self, reading: Reading) {
        self.readings.push(reading);
    }

    /// Tags the sample.
    #[event("Tagged")]
    pub fn tag(&mut self, tags: BTreeMap<String, i32>, note: Option<String>, kind: Kind) {
        self.tags.extend(tags);
        self.note = note;
        self.kind = Some(kind);
    }

    /// Forgets the readings (an event without fields).
    #[event("Emptied")]
    pub fn empty(&mut self) {
        self.readings.clear();
    }
}

/// Version 1 of the `Created` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedV1 {
    /// The name.
    pub name: String,
}

impl From<CreatedV1> for SampleEvent {
    fn from(old: CreatedV1) -> Self {
        SampleEvent::Created { name: old.name, amount: 0 }
    }
}

/// The `Relabelled` event at version 3, upcast from [`RelabelledV1`] and [`RelabelledV2`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Event)]
#[event(name = "Relabelled", version = 3, upcast(RelabelledV1, RelabelledV2))]
pub struct Relabelled {
    /// The new label.
    pub label: String,
    /// Its shade.
    pub shade: u8,
}

/// Version 1 of [`Relabelled`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelabelledV1 {
    /// The new label, under its old field name.
    pub title: String,
}

/// Version 2 of [`Relabelled`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelabelledV2 {
    /// The new label.
    pub label: String,
}

impl From<RelabelledV1> for RelabelledV2 {
    fn from(old: RelabelledV1) -> Self {
        RelabelledV2 { label: old.title }
    }
}

impl From<RelabelledV2> for Relabelled {
    fn from(old: RelabelledV2) -> Self {
        Relabelled { label: old.label, shade: 50 }
    }
}

/// Version 1 of the aggregate's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleStateV1 {
    /// The name.
    pub name: String,
    /// The amount.
    pub amount: u64,
}

#[aggregate]
impl From<SampleStateV1> for Sample {
    fn from(old: SampleStateV1) -> Self {
        Self {
            name: old.name,
            amount: old.amount,
            label: String::new(),
            shade: 0,
            readings: Vec::new(),
            tags: BTreeMap::new(),
            note: None,
            kind: None,
        }
    }
}
