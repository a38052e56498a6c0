//! Bank accounts, as in Python eventsourcing's example: open an account, deposit,
//! withdraw within an overdraft limit, transfer between two accounts (both saved in one
//! transaction), close it. Every command runs again if another writer changed the
//! account in between ([`retry_on_conflict`]).
//!
//! Amounts are whole cents (`i64`), so that no rounding ever happens.
//!
//! ```sh
//! cargo run --example bank                               # in memory
//! PERSISTENCE_MODULE=sqlite SQLITE_DBNAME=target/bank.sqlite cargo run --example bank
//! cargo test --example bank                              # its tests, on every store
//! ```
// Amounts in cents are written with the cents apart: `200_00` is 200.00.
#![allow(clippy::inconsistent_digit_grouping)]

use eventsourcing::application::retry_on_conflict;
use eventsourcing::prelude::*;

/// Why an account refused a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountError {
    /// The account is closed: nothing more can be paid in or out.
    Closed,
    /// The debit would take the balance below the overdraft limit.
    InsufficientFunds {
        /// The balance before the debit, in cents.
        balance: i64,
        /// How far below zero the balance may go, in cents.
        overdraft_limit: i64,
    },
    /// Amounts and limits are never negative.
    Negative(i64),
}

impl std::fmt::Display for AccountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccountError::Closed => f.write_str("the account is closed"),
            AccountError::InsufficientFunds { balance, overdraft_limit } => write!(
                f,
                "insufficient funds: the balance is {} and the overdraft limit {}",
                cents(*balance),
                cents(*overdraft_limit)
            ),
            AccountError::Negative(amount) => write!(f, "{} is negative", cents(*amount)),
        }
    }
}

impl std::error::Error for AccountError {}

/// A bank account.
#[aggregate]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BankAccount {
    full_name: String,
    email_address: String,
    balance: i64,
    overdraft_limit: i64,
    is_closed: bool,
}

#[aggregate]
impl BankAccount {
    /// Opens an account with nothing in it.
    #[event("Opened")]
    pub fn open(full_name: &str, email_address: &str) -> Self {
        BankAccount {
            full_name: full_name.to_owned(),
            email_address: email_address.to_owned(),
            balance: 0,
            overdraft_limit: 0,
            is_closed: false,
        }
    }

    /// Pays `amount` cents in.
    #[event("Credited")]
    pub fn credit(&mut self, amount: i64) -> Result<(), AccountError> {
        self.check_open()?;
        check_not_negative(amount)?;
        self.balance += amount;
        Ok(())
    }

    /// Pays `amount` cents out, if the overdraft limit allows.
    #[event("Debited")]
    pub fn debit(&mut self, amount: i64) -> Result<(), AccountError> {
        self.check_open()?;
        check_not_negative(amount)?;
        if self.balance - amount < -self.overdraft_limit {
            return Err(AccountError::InsufficientFunds {
                balance: self.balance,
                overdraft_limit: self.overdraft_limit,
            });
        }
        self.balance -= amount;
        Ok(())
    }

    /// Lets the balance go down to `-overdraft_limit` cents.
    #[event("OverdraftLimitSet")]
    pub fn set_overdraft_limit(&mut self, overdraft_limit: i64) -> Result<(), AccountError> {
        self.check_open()?;
        check_not_negative(overdraft_limit)?;
        self.overdraft_limit = overdraft_limit;
        Ok(())
    }

    /// Closes the account.
    #[event("Closed")]
    pub fn close(&mut self) {
        self.is_closed = true;
    }

    fn check_open(&self) -> Result<(), AccountError> {
        if self.is_closed { Err(AccountError::Closed) } else { Ok(()) }
    }
}

fn check_not_negative(amount: i64) -> Result<(), AccountError> {
    if amount < 0 { Err(AccountError::Negative(amount)) } else { Ok(()) }
}

/// `12345` as `"123.45"`.
fn cents(amount: i64) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", amount.unsigned_abs() / 100, amount.unsigned_abs() % 100)
}

/// What a bank command can fail with.
#[derive(Debug)]
pub enum BankError {
    /// No account has this id.
    AccountNotFound(Uuid),
    /// The account refused the command.
    Account {
        /// The account that refused.
        account_id: Uuid,
        /// Why.
        error: AccountError,
    },
    /// The store failed (a version conflict is run again, up to ten times, before it
    /// comes back as this).
    Application(ApplicationError),
}

impl std::fmt::Display for BankError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BankError::AccountNotFound(id) => write!(f, "account {id} not found"),
            BankError::Account { account_id, error } => write!(f, "account {account_id}: {error}"),
            BankError::Application(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for BankError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BankError::Account { error, .. } => Some(error),
            BankError::Application(error) => Some(error),
            BankError::AccountNotFound(_) => None,
        }
    }
}

impl From<ApplicationError> for BankError {
    fn from(error: ApplicationError) -> Self {
        BankError::Application(error)
    }
}

impl eventsourcing::application::Conflict for BankError {
    fn is_conflict(&self) -> bool {
        matches!(self, BankError::Application(error) if error.is_conflict())
    }
}

/// The bank: its commands and queries, each command one transaction.
#[derive(Debug)]
pub struct Bank {
    app: Application,
}

impl Bank {
    /// The bank on the store the environment names (prefix `BANK_`).
    pub async fn from_env() -> Result<Self, ApplicationError> {
        Ok(Bank { app: Application::from_env("Bank").await? })
    }

    /// The bank on an application already built.
    pub fn new(app: Application) -> Self {
        Bank { app }
    }

    /// Opens an account and returns its id.
    pub async fn open_account(&self, full_name: &str, email_address: &str) -> Result<Uuid, BankError> {
        let mut account = BankAccount::open(full_name, email_address);
        self.app.save(&mut account).await?;
        Ok(*account.id())
    }

    /// The account, as last saved.
    pub async fn get_account(&self, account_id: Uuid) -> Result<BankAccount, BankError> {
        match self.app.repository().get(&account_id).await {
            Err(ApplicationError::NotFound { .. }) => Err(BankError::AccountNotFound(account_id)),
            result => Ok(result?),
        }
    }

    /// The balance, in cents.
    pub async fn get_balance(&self, account_id: Uuid) -> Result<i64, BankError> {
        Ok(self.get_account(account_id).await?.balance)
    }

    /// The overdraft limit, in cents.
    pub async fn get_overdraft_limit(&self, account_id: Uuid) -> Result<i64, BankError> {
        Ok(self.get_account(account_id).await?.overdraft_limit)
    }

    /// Pays `amount` cents into an account.
    pub async fn deposit_funds(&self, credit_account_id: Uuid, amount: i64) -> Result<(), BankError> {
        self.change(credit_account_id, |account| account.credit(amount)).await
    }

    /// Pays `amount` cents out of an account.
    pub async fn withdraw_funds(&self, debit_account_id: Uuid, amount: i64) -> Result<(), BankError> {
        self.change(debit_account_id, |account| account.debit(amount)).await
    }

    /// Sets how far below zero an account may go.
    pub async fn set_overdraft_limit(&self, account_id: Uuid, overdraft_limit: i64) -> Result<(), BankError> {
        self.change(account_id, |account| account.set_overdraft_limit(overdraft_limit)).await
    }

    /// Closes an account.
    pub async fn close_account(&self, account_id: Uuid) -> Result<(), BankError> {
        self.change(account_id, |account| {
            account.close();
            Ok(())
        })
        .await
    }

    /// Moves `amount` cents from one account to another: both accounts' events are saved
    /// in one transaction, or neither is.
    pub async fn transfer_funds(
        &self,
        debit_account_id: Uuid,
        credit_account_id: Uuid,
        amount: i64,
    ) -> Result<(), BankError> {
        retry_on_conflict(|| async {
            let mut debit = self.get_account(debit_account_id).await?;
            let mut credit = self.get_account(credit_account_id).await?;
            debit.debit(amount).map_err(|error| BankError::Account { account_id: debit_account_id, error })?;
            credit.credit(amount).map_err(|error| BankError::Account { account_id: credit_account_id, error })?;
            self.app.save((&mut debit, &mut credit)).await?;
            Ok(())
        })
        .await
    }

    /// Gets an account, runs one command on it and saves it; again from the start if
    /// another writer saved the account in between.
    async fn change(
        &self,
        account_id: Uuid,
        command: impl Fn(&mut BankAccount) -> Result<(), AccountError>,
    ) -> Result<(), BankError> {
        retry_on_conflict(|| async {
            let mut account = self.get_account(account_id).await?;
            command(&mut account).map_err(|error| BankError::Account { account_id, error })?;
            self.app.save(&mut account).await?;
            Ok(())
        })
        .await
    }
}

#[tokio::main]
async fn main() -> Result<(), BankError> {
    let bank = Bank::from_env().await?;
    let alice = bank.open_account("Alice", "alice@example.com").await?;
    let bob = bank.open_account("Bob", "bob@example.com").await?;
    bank.deposit_funds(alice, 200_00).await?;
    bank.transfer_funds(alice, bob, 50_00).await?;
    bank.set_overdraft_limit(bob, 100_00).await?;
    bank.withdraw_funds(bob, 120_00).await?;
    if let Err(error) = bank.withdraw_funds(bob, 40_00).await {
        println!("refused: {error}");
    }
    println!("Alice has {}, Bob has {}", cents(bank.get_balance(alice).await?), cents(bank.get_balance(bob).await?));
    Ok(())
}

/// PostgreSQL schemas the tests drop when they end.
#[cfg(test)]
#[path = "../tests/support/schema.rs"]
mod schema;

/// SQLite files the tests remove when they end.
#[cfg(test)]
#[path = "../tests/support/sqlite_file.rs"]
mod sqlite_file;

#[cfg(test)]
mod tests {
    //! Python's bank account test, on each store, and concurrent transfers that lose
    //! nothing.

    use std::sync::Arc;

    use super::*;
    use crate::schema;
    use crate::sqlite_file::SqliteFile;

    fn assert_account_error(result: Result<(), BankError>, account: Uuid, expected: AccountError) {
        match result {
            Err(BankError::Account { account_id, error }) => assert_eq!((account_id, error), (account, expected)),
            other => panic!("expected {expected:?} from {account}, got {other:?}"),
        }
    }

    async fn the_bank_keeps_accounts(bank: Bank) {
        let nobody = Uuid::new_v4();
        assert!(matches!(bank.get_balance(nobody).await, Err(BankError::AccountNotFound(id)) if id == nobody));
        assert!(matches!(bank.deposit_funds(nobody, 1).await, Err(BankError::AccountNotFound(id)) if id == nobody));

        let alice = bank.open_account("Alice", "alice@example.com").await.unwrap();
        assert_eq!(bank.get_balance(alice).await.unwrap(), 0);
        bank.deposit_funds(alice, 200_00).await.unwrap();
        assert_eq!(bank.get_balance(alice).await.unwrap(), 200_00);
        bank.withdraw_funds(alice, 50_00).await.unwrap();
        assert_eq!(bank.get_balance(alice).await.unwrap(), 150_00);

        let refused = bank.withdraw_funds(alice, 151_00).await;
        assert_account_error(refused, alice, AccountError::InsufficientFunds { balance: 150_00, overdraft_limit: 0 });
        assert_eq!(bank.get_balance(alice).await.unwrap(), 150_00);

        let bob = bank.open_account("Bob", "bob@example.com").await.unwrap();
        bank.transfer_funds(alice, bob, 100_00).await.unwrap();
        assert_eq!((bank.get_balance(alice).await.unwrap(), bank.get_balance(bob).await.unwrap()), (50_00, 100_00));

        // A refused transfer changes neither account.
        let refused = bank.transfer_funds(alice, bob, 1000_00).await;
        assert_account_error(refused, alice, AccountError::InsufficientFunds { balance: 50_00, overdraft_limit: 0 });
        assert_eq!((bank.get_balance(alice).await.unwrap(), bank.get_balance(bob).await.unwrap()), (50_00, 100_00));
        let refused = bank.transfer_funds(alice, nobody, 1_00).await;
        assert!(matches!(refused, Err(BankError::AccountNotFound(id)) if id == nobody));
        assert_eq!(bank.get_balance(alice).await.unwrap(), 50_00);

        // A closed account takes no more commands.
        bank.close_account(alice).await.unwrap();
        assert_account_error(bank.transfer_funds(alice, bob, 50_00).await, alice, AccountError::Closed);
        assert_account_error(bank.transfer_funds(bob, alice, 50_00).await, alice, AccountError::Closed);
        assert_account_error(bank.withdraw_funds(alice, 1_00).await, alice, AccountError::Closed);
        assert_account_error(bank.deposit_funds(alice, 1000_00).await, alice, AccountError::Closed);
        assert_account_error(bank.set_overdraft_limit(alice, 500_00).await, alice, AccountError::Closed);
        assert_eq!((bank.get_balance(alice).await.unwrap(), bank.get_balance(bob).await.unwrap()), (50_00, 100_00));
        assert_eq!(
            (bank.get_overdraft_limit(alice).await.unwrap(), bank.get_overdraft_limit(bob).await.unwrap()),
            (0, 0)
        );

        // An overdraft.
        bank.set_overdraft_limit(bob, 500_00).await.unwrap();
        assert_account_error(bank.set_overdraft_limit(bob, -500_00).await, bob, AccountError::Negative(-500_00));
        assert_account_error(bank.deposit_funds(bob, -1).await, bob, AccountError::Negative(-1));
        assert_eq!(bank.get_overdraft_limit(bob).await.unwrap(), 500_00);
        bank.withdraw_funds(bob, 500_00).await.unwrap();
        assert_eq!(bank.get_balance(bob).await.unwrap(), -400_00);
        let refused = bank.withdraw_funds(bob, 101_00).await;
        assert_account_error(
            refused,
            bob,
            AccountError::InsufficientFunds { balance: -400_00, overdraft_limit: 500_00 },
        );
        assert_eq!(bank.get_balance(bob).await.unwrap(), -400_00);

        // Every change is an event in the log, refusals none.
        let events = bank.app.notification_log().select(1, 10).await.unwrap();
        let topics: Vec<_> = events.iter().map(|n| n.event.topic.rsplit('.').next().unwrap().to_owned()).collect();
        assert_eq!(
            topics,
            [
                "Opened",
                "Credited",
                "Debited",
                "Opened",
                "Debited",
                "Credited",
                "Closed",
                "OverdraftLimitSet",
                "Debited"
            ]
        );
    }

    /// Eight transfers each way at once between two accounts: each runs again after a
    /// conflict, none is lost, and no money is made or destroyed.
    async fn concurrent_transfers_lose_nothing(bank: Bank) {
        let bank = Arc::new(bank);
        let alice = bank.open_account("Alice", "alice@example.com").await.unwrap();
        let bob = bank.open_account("Bob", "bob@example.com").await.unwrap();
        bank.deposit_funds(alice, 100_00).await.unwrap();
        bank.deposit_funds(bob, 100_00).await.unwrap();
        let mut transfers = Vec::new();
        for n in 0..16 {
            let bank = bank.clone();
            let (from, to, amount) = if n % 2 == 0 { (alice, bob, 3_00) } else { (bob, alice, 1_00) };
            transfers.push(tokio::spawn(async move { bank.transfer_funds(from, to, amount).await }));
        }
        for transfer in transfers {
            transfer.await.unwrap().unwrap();
        }
        let (a, b) = (bank.get_account(alice).await.unwrap(), bank.get_account(bob).await.unwrap());
        assert_eq!((a.balance, b.balance), (100_00 - 8 * 2_00, 100_00 + 8 * 2_00));
        assert_eq!((a.version(), b.version()), (2 + 16, 2 + 16));
    }

    async fn in_memory() -> Bank {
        Bank::new(Application::builder("Bank").without_process_env().build().await.unwrap())
    }

    #[tokio::test]
    async fn in_memory_the_bank_keeps_accounts() {
        the_bank_keeps_accounts(in_memory().await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn in_memory_concurrent_transfers_lose_nothing() {
        concurrent_transfers_lose_nothing(in_memory().await).await;
    }

    async fn on_sqlite(path: &str) -> Bank {
        Bank::new(Application::builder("Bank").without_process_env().sqlite(path).build().await.unwrap())
    }

    #[tokio::test]
    async fn sqlite_the_bank_keeps_accounts() {
        let file = SqliteFile::new("bank");
        the_bank_keeps_accounts(on_sqlite(&file.0).await).await;
        // Opened again, as by the next run of the program.
        let bank = on_sqlite(&file.0).await;
        let accounts = bank.app.notification_log().select(1, 1).await.unwrap();
        let alice = accounts[0].event.originator_id.to_string().parse().unwrap();
        assert_eq!(bank.get_account(alice).await.unwrap().full_name, "Alice");
        assert!(bank.get_account(alice).await.unwrap().is_closed);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_concurrent_transfers_lose_nothing() {
        let file = SqliteFile::new("bank");
        concurrent_transfers_lose_nothing(on_sqlite(&file.0).await).await;
    }

    async fn on_postgres(schema: &schema::Schema) -> Bank {
        let url = std::env::var("EVENTSOURCING_POSTGRES_TEST_URL").unwrap();
        let app = Application::builder("Bank")
            .without_process_env()
            .env("POSTGRES_SCHEMA", schema.as_str())
            .postgres(url)
            .build()
            .await
            .unwrap();
        Bank::new(app)
    }

    fn schema() -> schema::Schema {
        schema::Schema::new(&std::env::var("EVENTSOURCING_POSTGRES_TEST_URL").unwrap())
    }

    #[tokio::test]
    #[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
    async fn postgres_the_bank_keeps_accounts() {
        let schema = schema();
        the_bank_keeps_accounts(on_postgres(&schema).await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(postgres_tests), ignore = "set EVENTSOURCING_POSTGRES_TEST_URL to run it")]
    async fn postgres_concurrent_transfers_lose_nothing() {
        let schema = schema();
        concurrent_transfers_lose_nothing(on_postgres(&schema).await).await;
    }
}
