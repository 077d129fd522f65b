//! The vote store: where ballots are kept, SQLite on one machine or PostgreSQL for many.
//!
//! Takes a `--db` value ([`Location`]) and ballots, gives [`Outcome`]s only after the
//! ballot is committed, tallies, and export/import of counts. Both stores enforce one vote
//! per reader per poll with a unique key on `(poll, voter)`, not in memory. Neither keeps a
//! reader's cookie: `voter` is its keyed hash ([`key::VoterKey`], created once per store and
//! kept in it), and `cast_at` is rounded down to the hour.

pub mod key;
mod pg_schema;
pub mod postgres;
pub mod sqlite;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::content::polls::Tally;

pub use key::VoterKey;
pub use sqlite::SqliteStore;

/// The schema version this birge writes; older stores are migrated on open. Version 2 keeps
/// keyed hashes of voter ids (and the key) and `cast_at` rounded down to the hour.
pub const SCHEMA_VERSION: i64 = 2;

/// `cast_at` as stored: the vote's time in Unix seconds, rounded down to the hour, so that
/// the store cannot tell readers apart by when they voted.
pub fn cast_at(now: jiff::Timestamp) -> i64 {
    let seconds = now.as_second();
    seconds - seconds.rem_euclid(3600)
}

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused.
    #[error("vote store {path}: {source}")]
    Sqlite {
        /// The store's file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// PostgreSQL refused, or could not be reached.
    #[error("vote store {url}: {message}")]
    Postgres {
        /// The database's URL, without its password.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The store's file could not be created.
    #[error("vote store {path}: {source}")]
    Io {
        /// The store's file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The store holds no usable voter key.
    #[error("vote store {store}: its voter key is missing or damaged")]
    NoKey {
        /// The store's file or URL.
        store: String,
    },
    /// The writer thread is gone (the service is shutting down).
    #[error("the vote store is closed")]
    Closed,
    /// The store was written by a newer birge.
    #[error(
        "vote store {store} has schema version {found}; this birge knows up to {SCHEMA_VERSION}"
    )]
    TooNew {
        /// The store's file or URL.
        store: String,
        /// Its version.
        found: i64,
    },
}

/// What became of a ballot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Counted and committed; the poll's tally after it.
    Counted(Tally),
    /// This reader had voted in this poll before; nothing changed.
    AlreadyVoted(Tally),
}

/// Where votes are kept, as `--db` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl Location {
    /// A `--db` value: a PostgreSQL URL, else a file path.
    pub fn parse(value: &str) -> Location {
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Location::Postgres(value.to_string())
        } else {
            Location::Sqlite(PathBuf::from(value))
        }
    }

    /// The location as messages name it (a URL without its password).
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => postgres::redact(url),
        }
    }
}

/// What every vote store does (SQLite and PostgreSQL alike); the service speaks only to
/// this, through [`Store`], which holds either.
pub trait VoteStore {
    /// The store's voter key.
    fn key(&self) -> &VoterKey;
    /// Records a ballot of the reader whose id (the cookie's value) is `voter`; answers once it is committed (or known to be a repeat).
    fn vote(
        &self,
        poll: &str,
        voter: &str,
        options: &[usize],
    ) -> impl Future<Output = Result<Outcome, Arc<StoreError>>> + Send;
    /// The tally of a poll as committed (for PostgreSQL: at most a second old).
    fn tally(&self, poll: &str) -> impl Future<Output = Tally> + Send;
    /// Whether the reader whose id is `voter` has voted in `poll`.
    fn has_voted(
        &self,
        poll: &str,
        voter: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Stops taking ballots and lets what was taken finish.
    fn close(&self);
}

/// An open store of either kind.
pub enum Store {
    /// A SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL database.
    Postgres(postgres::PgStore),
}

impl Store {
    /// Opens (creating or migrating) the SQLite store at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Ok(Store::Sqlite(SqliteStore::open(path)?))
    }

    /// Opens (creating or migrating) the store at `location`; needs a Tokio runtime.
    pub async fn open_location(location: &Location) -> Result<Store, StoreError> {
        match location {
            Location::Sqlite(path) => Store::open(path),
            Location::Postgres(url) => Ok(Store::Postgres(postgres::PgStore::open(url).await?)),
        }
    }

    /// Stops taking ballots and lets what was taken finish.
    pub fn close(&self) {
        VoteStore::close(self);
    }
}

impl VoteStore for SqliteStore {
    fn key(&self) -> &VoterKey {
        SqliteStore::key(self)
    }

    async fn vote(
        &self,
        poll: &str,
        voter: &str,
        options: &[usize],
    ) -> Result<Outcome, Arc<StoreError>> {
        SqliteStore::vote(self, poll, voter, options).await
    }

    async fn tally(&self, poll: &str) -> Tally {
        SqliteStore::tally(self, poll)
    }

    async fn has_voted(&self, poll: &str, voter: &str) -> Result<bool, StoreError> {
        SqliteStore::has_voted(self, poll, voter)
    }

    fn close(&self) {
        SqliteStore::close(self);
    }
}

impl VoteStore for postgres::PgStore {
    fn key(&self) -> &VoterKey {
        postgres::PgStore::key(self)
    }

    async fn vote(
        &self,
        poll: &str,
        voter: &str,
        options: &[usize],
    ) -> Result<Outcome, Arc<StoreError>> {
        postgres::PgStore::vote(self, poll, voter, options).await
    }

    async fn tally(&self, poll: &str) -> Tally {
        postgres::PgStore::tally(self, poll).await
    }

    async fn has_voted(&self, poll: &str, voter: &str) -> Result<bool, StoreError> {
        postgres::PgStore::has_voted(self, poll, voter).await
    }

    fn close(&self) {
        postgres::PgStore::close(self);
    }
}

/// Either store, through the trait.
impl VoteStore for Store {
    fn key(&self) -> &VoterKey {
        match self {
            Store::Sqlite(store) => VoteStore::key(store),
            Store::Postgres(store) => VoteStore::key(store),
        }
    }

    async fn vote(
        &self,
        poll: &str,
        voter: &str,
        options: &[usize],
    ) -> Result<Outcome, Arc<StoreError>> {
        match self {
            Store::Sqlite(store) => VoteStore::vote(store, poll, voter, options).await,
            Store::Postgres(store) => VoteStore::vote(store, poll, voter, options).await,
        }
    }

    async fn tally(&self, poll: &str) -> Tally {
        match self {
            Store::Sqlite(store) => VoteStore::tally(store, poll).await,
            Store::Postgres(store) => VoteStore::tally(store, poll).await,
        }
    }

    async fn has_voted(&self, poll: &str, voter: &str) -> Result<bool, StoreError> {
        match self {
            Store::Sqlite(store) => VoteStore::has_voted(store, poll, voter).await,
            Store::Postgres(store) => VoteStore::has_voted(store, poll, voter).await,
        }
    }

    fn close(&self) {
        match self {
            Store::Sqlite(store) => VoteStore::close(store),
            Store::Postgres(store) => VoteStore::close(store),
        }
    }
}

/// Reads every poll's tally from a store without changing it (a store with no votes
/// table yet has none).
pub fn read_tallies(location: &Location) -> anyhow::Result<HashMap<String, Tally>> {
    match location {
        Location::Sqlite(path) => sqlite::read_tallies(path),
        Location::Postgres(url) => runtime()?.block_on(postgres::read_tallies(url)),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// One synthetic ballot of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedBallot {
    /// `import:<n>`: a voter id no reader's cookie holds (those are hex); stored hashed
    /// like any other.
    pub voter: String,
    /// The options it chose.
    pub options: Vec<usize>,
}

/// The ballots that give back `tally`: `total` voters, option `j` chosen by
/// `options[j]` of them (each voter chooses an option at most once). `None` when no
/// ballots can (an option with more votes than there are voters).
pub fn ballots_for(tally: &Tally) -> Option<Vec<ImportedBallot>> {
    let total = usize::try_from(tally.total).ok()?;
    if tally.options.iter().any(|&c| c > tally.total) {
        return None;
    }
    let mut ballots: Vec<ImportedBallot> = (0..total)
        .map(|n| ImportedBallot {
            voter: format!("import:{n}"),
            options: Vec::new(),
        })
        .collect();
    // Occurrence k goes to ballot k mod total: a run of one option is at most `total`
    // long, so no ballot gets the same option twice.
    let mut k = 0;
    for (option, &count) in tally.options.iter().enumerate() {
        for _ in 0..count {
            ballots[k % total].options.push(option);
            k += 1;
        }
    }
    for ballot in &mut ballots {
        ballot.options.sort_unstable();
    }
    Some(ballots)
}

/// What `birge polls import` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Imported {
    /// Every poll of the export is now in the store with the export's counts.
    Done {
        /// How many polls.
        polls: usize,
        /// How many synthetic ballots were stored.
        ballots: usize,
    },
    /// Nothing was written: these polls already have votes in the store (`--replace`
    /// replaces them).
    Occupied(Vec<String>),
}

/// Loads an export's counts into a store: for each poll, as many synthetic voters
/// (`import:<n>`) as the export counts readers, choosing options so that every count
/// matches. All in one transaction: a poll that already has votes in the store stops
/// the whole import unless `replace`, which deletes that poll's votes first. Polls not
/// in the export are left alone.
pub fn import(
    location: &Location,
    tallies: &std::collections::BTreeMap<String, Tally>,
    replace: bool,
) -> anyhow::Result<Imported> {
    let mut ballots = Vec::with_capacity(tallies.len());
    for (poll, tally) in tallies {
        let Some(list) = ballots_for(tally) else {
            anyhow::bail!(
                "poll {poll}: an option has more votes than the poll has voters ({} voters, options {:?})",
                tally.total,
                tally.options
            );
        };
        ballots.push((poll.clone(), list));
    }
    let occupied = match location {
        Location::Sqlite(path) => sqlite::import(path, &ballots, replace)?,
        Location::Postgres(url) => runtime()?.block_on(postgres::import(url, &ballots, replace))?,
    };
    if !occupied.is_empty() {
        return Ok(Imported::Occupied(occupied));
    }
    Ok(Imported::Done {
        polls: ballots.len(),
        ballots: ballots.iter().map(|(_, list)| list.len()).sum(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imported_ballots_give_back_the_tally() {
        for tally in [
            Tally {
                total: 5,
                options: vec![2, 3],
            },
            Tally {
                total: 3,
                options: vec![3, 1, 2],
            },
            Tally {
                total: 0,
                options: vec![],
            },
        ] {
            let mut again = Tally::default();
            for ballot in ballots_for(&tally).unwrap() {
                let mut seen = ballot.options.clone();
                seen.dedup();
                assert_eq!(seen, ballot.options);
                again.add(&ballot.options);
            }
            assert_eq!(again.total, tally.total);
            assert_eq!(again.options, tally.options);
        }
        assert!(
            ballots_for(&Tally {
                total: 1,
                options: vec![2]
            })
            .is_none()
        );
    }

    #[test]
    fn db_values_name_their_store() {
        assert_eq!(
            Location::parse("postgresql://u:secret@h/db"),
            Location::Postgres("postgresql://u:secret@h/db".into())
        );
        assert_eq!(
            Location::parse("votes.sqlite"),
            Location::Sqlite("votes.sqlite".into())
        );
        assert!(
            !Location::parse("postgres://u:secret@h/db")
                .display()
                .contains("secret")
        );
    }
}
