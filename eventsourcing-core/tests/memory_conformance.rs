//! The in-memory store passes the whole recorder conformance kit.

use eventsourcing_core::persistence::memory::InMemoryRecorder;

eventsourcing_core::recorder_conformance_tests!(process, || async { InMemoryRecorder::new() });
