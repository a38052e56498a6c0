//! The topics of stored records, in one place for writing and reading: `Dog.Registered`
//! for an event (the aggregate's and the event's stable names), `Dog#discarded` for the
//! marker of a discarded aggregate, and `Dog` for a snapshot.

/// What a topic names, for one aggregate type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Topic<'t> {
    /// The event with this stable name.
    Event(&'t str),
    /// The marker of a discarded aggregate.
    Discarded,
}

const DISCARDED: &str = "#discarded";

/// The topic of the event `event` of the aggregate type `aggregate`.
pub(crate) fn event(aggregate: &str, event: &str) -> String {
    format!("{aggregate}.{event}")
}

/// The topic of the marker that discards an aggregate of type `aggregate`.
pub(crate) fn discarded(aggregate: &str) -> String {
    format!("{aggregate}{DISCARDED}")
}

/// The topic of a snapshot of an aggregate of type `aggregate`.
pub(crate) fn snapshot(aggregate: &str) -> String {
    aggregate.to_owned()
}

/// What `topic` names, if it is one of the aggregate type `aggregate`'s.
pub(crate) fn parse<'t>(aggregate: &str, topic: &'t str) -> Option<Topic<'t>> {
    let rest = topic.strip_prefix(aggregate)?;
    if rest == DISCARDED {
        return Some(Topic::Discarded);
    }
    rest.strip_prefix('.').filter(|name| !name.is_empty()).map(Topic::Event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_parse_back_for_their_aggregate_only() {
        assert_eq!(parse("Dog", &event("Dog", "Registered")), Some(Topic::Event("Registered")));
        assert_eq!(parse("Dog", &discarded("Dog")), Some(Topic::Discarded));
        assert_eq!(parse("Dog", "Dogma.Registered"), None);
        assert_eq!(parse("Dog", "Dog"), None, "a snapshot's topic is not an event's");
        assert_eq!(parse("Dog", "Dog."), None);
        assert_eq!(parse("Cat", "Dog.Registered"), None);
    }
}
