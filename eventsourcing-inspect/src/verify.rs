//! Checking that every record opens and every hash chain holds.

use std::collections::HashMap;

use eventsourcing_core::persistence::{ChainCursor, Codec, Mapper, MapperError, OriginatorId, RecordId, StoredEvent};

/// Why one aggregate's records did not check out: the first bad record.
#[derive(Debug)]
pub(crate) struct Problem {
    /// The bad record's notification id, when read from the log.
    pub(crate) notification_id: Option<u64>,
    /// What is wrong with it.
    pub(crate) error: MapperError,
}

/// What verification found, record by record.
#[derive(Debug, Default)]
pub(crate) struct Verification {
    /// Each aggregate's cursor in its chain, or its problem.
    aggregates: HashMap<OriginatorId, Result<ChainCursor, Problem>>,
    /// Records read.
    pub(crate) records: u64,
    /// Records that are links of a hash chain, verified.
    pub(crate) chained: u64,
    /// Records of aggregates after their first problem, not checked.
    pub(crate) skipped: u64,
}

impl Verification {
    /// Checks one record, after those of its aggregate checked before: it must open (the
    /// key, the compression, the JSON) and, if chained, follow the one before it.
    pub(crate) fn check(&mut self, mapper: &Mapper, notification_id: Option<u64>, stored: &StoredEvent) {
        self.records += 1;
        let state =
            self.aggregates.entry(stored.originator_id.clone()).or_insert_with(|| Ok(ChainCursor::from_start()));
        let Ok(cursor) = state else {
            self.skipped += 1;
            return;
        };
        let opened = mapper.inspect(stored, cursor).and_then(|inspected| {
            if inspected.format.codec == Codec::Json
                && let Err(error) = serde_json::from_slice::<serde::de::IgnoredAny>(&inspected.plain)
            {
                return Err(MapperError::Undecodable {
                    record: Box::new(RecordId {
                        originator_id: stored.originator_id.clone(),
                        originator_version: stored.originator_version,
                        topic: stored.topic.clone(),
                    }),
                    field: None,
                    message: format!("the envelope is not JSON: {error}"),
                    source: Some(Box::new(error)),
                });
            }
            Ok(inspected)
        });
        match opened {
            Ok(inspected) => self.chained += u64::from(inspected.hash.is_some()),
            Err(error) => *state = Err(Problem { notification_id, error }),
        }
    }

    /// Aggregates seen.
    pub(crate) fn aggregates(&self) -> usize {
        self.aggregates.len()
    }

    /// The problems found, one per aggregate, in the order of their records.
    pub(crate) fn problems(&self) -> Vec<&Problem> {
        let mut problems: Vec<&Problem> = self.aggregates.values().filter_map(|state| state.as_ref().err()).collect();
        problems.sort_by_key(|problem| (problem.notification_id, problem.error.record().originator_version));
        problems
    }
}
