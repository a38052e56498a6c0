//! The given / when / then harness: what it accepts, and that it fails, saying why, when
//! a command or a policy does something other than expected.
#![allow(missing_docs)]

use eventsourcing::persistence::BoxError;
use eventsourcing::prelude::*;
use eventsourcing::system::{Policy, Processing, SystemApplication};
use eventsourcing::testing::{PolicyTest, TestError, given};

#[derive(Debug, PartialEq)]
pub enum BankError {
    Insufficient { balance: i64 },
    Closed,
}

#[aggregate]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    balance: i64,
    closed: bool,
}

#[aggregate]
impl Account {
    #[event("Opened")]
    pub fn open(deposit: i64) -> Result<Self, BankError> {
        if deposit < 0 {
            return Err(BankError::Insufficient { balance: deposit });
        }
        Ok(Self { balance: deposit, closed: false })
    }

    #[event("Withdrawn")]
    pub fn withdraw(&mut self, amount: i64) -> Result<(), BankError> {
        if self.closed {
            return Err(BankError::Closed);
        }
        if amount > self.balance {
            return Err(BankError::Insufficient { balance: self.balance });
        }
        self.balance -= amount;
        Ok(())
    }

    #[event("Closed")]
    pub fn close(&mut self) {
        self.closed = true;
    }
}

#[test]
fn commands_are_checked_by_the_events_they_trigger() {
    let account = given([AccountEvent::Opened { deposit: 100 }])
        .when(|account: &mut Account| account.withdraw(30))
        .then([AccountEvent::Withdrawn { amount: 30 }]);
    assert_eq!(account.balance, 70);
    given([AccountEvent::Opened { deposit: 100 }]).when(Account::close).then([AccountEvent::Closed {}]);
    given::<Account>([]).when_created(|| Account::open(5)).then([AccountEvent::Opened { deposit: 5 }]);
}

#[test]
fn errors_are_checked_and_trigger_nothing() {
    given([AccountEvent::Opened { deposit: 10 }, AccountEvent::Closed {}])
        .when(|account: &mut Account| account.withdraw(1))
        .then_error(BankError::Closed);
    let error = given([AccountEvent::Opened { deposit: 10 }])
        .when(|account: &mut Account| account.withdraw(11))
        .then_error_matches(|error| matches!(error, BankError::Insufficient { .. }));
    assert_eq!(error, BankError::Insufficient { balance: 10 });
    given::<Account>([]).when_created(|| Account::open(-1)).then_error(BankError::Insufficient { balance: -1 });
}

#[test]
#[should_panic(expected = "the events the command triggered (left) are not those expected (right)")]
fn other_events_than_expected_fail() {
    given([AccountEvent::Opened { deposit: 100 }])
        .when(|account: &mut Account| account.withdraw(30))
        .then([AccountEvent::Withdrawn { amount: 31 }]);
}

#[test]
#[should_panic(expected = "the command failed with Insufficient { balance: 0 }; expected it to trigger events")]
fn a_failure_where_events_were_expected_fails() {
    given([AccountEvent::Opened { deposit: 0 }])
        .when(|account: &mut Account| account.withdraw(30))
        .then([AccountEvent::Withdrawn { amount: 30 }]);
}

#[test]
#[should_panic(expected = "the command succeeded, triggering [\"Withdrawn\"]; expected it to fail")]
fn a_success_where_an_error_was_expected_fails() {
    given([AccountEvent::Opened { deposit: 100 }])
        .when(|account: &mut Account| account.withdraw(30))
        .then_error(BankError::Closed);
}

#[test]
#[should_panic(expected = "the command failed with Closed, which is not the error expected")]
fn another_error_than_expected_fails() {
    given([AccountEvent::Opened { deposit: 100 }, AccountEvent::Closed {}])
        .when(|account: &mut Account| account.withdraw(30))
        .then_error(BankError::Insufficient { balance: 100 });
}

#[test]
#[should_panic(expected = "the given events do not make a Account")]
fn given_events_that_make_no_aggregate_fail() {
    given([AccountEvent::Closed {}]).when(Account::close).then([]);
}

#[test]
#[should_panic(expected = "no events were given")]
fn a_command_on_nothing_fails() {
    given::<Account>([]).when(Account::close).then([]);
}

// ---------------------------------------------------------------- policies

#[aggregate]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Alert {
    account: Uuid,
    amount: i64,
}

#[aggregate]
impl Alert {
    #[event("Raised")]
    pub fn raise(account: Uuid, amount: i64) -> Self {
        Self { account, amount }
    }
}

/// Raises an alert for each withdrawal; fails on one over 1000.
#[derive(Debug)]
pub struct Alerts {
    app: Application,
}

impl SystemApplication for Alerts {
    const NAME: &'static str = "Alerts";

    fn from_application(app: Application) -> Self {
        Alerts { app }
    }

    fn application(&self) -> &Application {
        &self.app
    }
}

impl Policy for Alerts {
    type Event = Record<Account>;

    async fn policy(&self, event: Record<Account>, processing: &mut Processing) -> Result<(), BoxError> {
        let Record::Event(event) = event else { return Ok(()) };
        let account = processing.application().name().to_owned();
        match event.payload {
            AccountEvent::Withdrawn { amount } if amount > 1000 => {
                Err(format!("{account}: {amount} is too much").into())
            }
            AccountEvent::Withdrawn { amount } => {
                processing.collect(&mut Alert::raise(event.originator_id, amount))?;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[tokio::test]
async fn a_policy_is_checked_by_the_events_it_records() {
    let test = PolicyTest::<Alerts>::new().await.unwrap();
    let mut account = Account::open(100).unwrap();
    test.given(&mut account).await.unwrap();
    account.withdraw(60).unwrap();
    let alerts = test.when(&mut account).await.unwrap().then::<Alert>();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].payload, AlertEvent::Raised { account: *account.id(), amount: 60 });
    let history = test.leader().repository().history::<Account>(account.id()).await.unwrap();
    assert_eq!(alerts[0].metadata.causation_id, Some(history[1].metadata().event_id), "caused by the withdrawal");

    account.close();
    let recorded = test.when(&mut account).await.unwrap();
    assert!(recorded.is_empty());
    assert!(recorded.events::<Alert>().is_empty());
}

#[tokio::test]
async fn a_failing_policy_is_an_error_naming_the_notification() {
    let test = PolicyTest::<Alerts>::new().await.unwrap();
    let mut account = Account::open(5000).unwrap();
    account.withdraw(2000).unwrap();
    let error = test.when(&mut account).await.unwrap_err();
    let TestError::Processing(error) = error else { panic!("{error:?}") };
    assert_eq!(error.notification_id(), Some(2));
    assert!(error.to_string().contains("2000 is too much"), "{error}");
}
