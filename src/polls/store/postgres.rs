//! The PostgreSQL vote store (PostgreSQL 15 and later; only what CockroachDB and
//! YugabyteDB also have: no advisory locks, no `LISTEN`).
//!
//! Takes a `postgres://` URL, gives the same guarantees as the SQLite store to any number of
//! service processes sharing one database: the unique key `(poll, voter)` counts each
//! reader once, a vote is answered only after its `INSERT` committed, and tallies are read
//! from the database, cached per poll for at most [`TALLY_MAX_AGE`], so every process shows
//! a vote within a second of it. One read per poll and process is under way at a time
//! (others meanwhile take the cached tally, up to [`TALLY_STALE_LIMIT`] old), and a vote is
//! answered with the cached tally plus itself, not with a read of its own, which would scan
//! the poll once per vote. The voter key lives in the table `voter_key`, written once by the
//! migration that creates it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool_postgres::{Config, ManagerConfig, Pool, PoolConfig, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

use super::{ImportedBallot, Outcome, StoreError, VoterKey, cast_at};
use crate::content::polls::Tally;

/// How old a cached tally may be before a request reads it again.
pub const TALLY_MAX_AGE: Duration = Duration::from_millis(500);

/// How old a cached tally may still be shown while another request reads it again.
pub const TALLY_STALE_LIMIT: Duration = Duration::from_secs(1);

/// How many times an operation is tried when the database asks for a retry
/// (serialization failure, deadlock, a dropped connection).
const ATTEMPTS: u32 = 6;

/// A poll's tally as read from the database, and when the read was sent and answered.
#[derive(Clone)]
struct Cached {
    sent: Instant,
    answered: Instant,
    tally: Tally,
}

/// The cached tallies, and the polls whose tally is being read.
#[derive(Default)]
struct Tallies {
    cache: HashMap<String, Cached>,
    reading: HashSet<String>,
}

/// What a request does for a poll's tally.
enum Lookup {
    /// Take this one.
    Cached(Cached),
    /// Read it (this request has claimed the read).
    Read,
}

/// Ends a claimed read, however the read ends.
struct Reading<'a> {
    tallies: &'a Mutex<Tallies>,
    poll: &'a str,
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        if let Ok(mut tallies) = self.tallies.lock() {
            tallies.reading.remove(self.poll);
        }
    }
}

/// An open PostgreSQL store.
pub struct PgStore {
    url: String,
    pool: Pool,
    key: VoterKey,
    tallies: Mutex<Tallies>,
}

fn redact_authority(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let Some(colon) = authority[..at].find(':') else {
        return url.to_string();
    };
    format!(
        "{}{}:***{}",
        &url[..scheme_end + 3],
        &authority[..colon],
        &rest[at..]
    )
}

/// `url` with its password, in the authority or the query, replaced by `***`.
pub fn redact(url: &str) -> String {
    let mut text = redact_authority(url);
    if let Some(query) = text.find('?')
        && text[query..].contains("password")
    {
        text.truncate(query);
        text.push_str("?***");
    }
    text
}

fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(inner) = source {
                text.push_str(&format!(": {inner}"));
                source = inner.source();
            }
            text
        }
    }
}

/// Whether trying again may succeed: a serialization failure or deadlock, a race between
/// `CREATE ... IF NOT EXISTS` (PostgreSQL reports the loser's table, or the row type it
/// creates with the table, as a duplicate), or a connection that went away.
fn retryable(error: &tokio_postgres::Error) -> bool {
    match error.code() {
        Some(code) => [
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::UNIQUE_VIOLATION,
            SqlState::DUPLICATE_TABLE,
            SqlState::DUPLICATE_OBJECT,
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CONNECTION_FAILURE,
        ]
        .contains(code),
        None => true,
    }
}

fn error(url: &str, message: String) -> StoreError {
    StoreError::Postgres {
        url: redact(url),
        message,
    }
}

/// Runs `attempt` with a client of `pool` until it succeeds, fails for good, or
/// [`ATTEMPTS`] are spent.
pub(super) async fn retrying<T, F, Fut>(
    url: &str,
    pool: &Pool,
    mut attempt: F,
) -> Result<T, StoreError>
where
    F: FnMut(deadpool_postgres::Client, u32) -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let mut last = String::new();
    for n in 0..ATTEMPTS {
        if n > 0 {
            tokio::time::sleep(Duration::from_millis(20 << n.min(5))).await;
        }
        let client = match pool.get().await {
            Ok(client) => client,
            Err(failure) => {
                last = format!("cannot connect: {failure}");
                continue;
            }
        };
        match attempt(client, n).await {
            Ok(value) => return Ok(value),
            Err(Failure::Retry(message)) => last = message,
            Err(Failure::Fatal(failure)) => return Err(failure),
        }
    }
    Err(error(
        url,
        format!("gave up after {ATTEMPTS} attempts: {last}"),
    ))
}

pub(super) fn classify(url: &str, failure: tokio_postgres::Error) -> Failure {
    if retryable(&failure) {
        Failure::Retry(describe(&failure))
    } else {
        Failure::Fatal(error(url, describe(&failure)))
    }
}

/// A failure of one attempt.
pub(super) enum Failure {
    /// Worth another attempt.
    Retry(String),
    /// Final.
    Fatal(StoreError),
}

impl PgStore {
    /// Connects, creates or migrates the schema, and gives the store.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let pool = pool(url)?;
        let key = super::pg_schema::migrate(url, &pool).await?;
        Ok(PgStore {
            url: url.to_string(),
            pool,
            key,
            tallies: Mutex::new(Tallies::default()),
        })
    }

    /// The store's voter key.
    pub fn key(&self) -> &VoterKey {
        &self.key
    }

    async fn retrying<T, F, Fut>(&self, attempt: F) -> Result<T, StoreError>
    where
        F: FnMut(deadpool_postgres::Client, u32) -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        retrying(&self.url, &self.pool, attempt).await
    }

    fn classify(&self, error: tokio_postgres::Error) -> Failure {
        classify(&self.url, error)
    }

    /// Records a ballot; answers once its row is committed (or known to be a repeat).
    pub async fn vote(
        &self,
        poll: &str,
        voter: &str,
        options: &[usize],
    ) -> Result<Outcome, Arc<StoreError>> {
        let options: Vec<i32> = options.iter().map(|&o| o as i32).collect();
        let ballot = random_i64();
        let now = cast_at(jiff::Timestamp::now());
        let voter = &self.key.hash(voter);
        let counted = self
            .retrying(|client, attempt| {
                let options = &options;
                async move {
                    let inserted = client
                        .execute(
                            "INSERT INTO votes (poll, voter, options, cast_at, ballot)
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (poll, voter) DO NOTHING",
                            &[&poll, &voter, options, &now, &ballot],
                        )
                        .await
                        .map_err(|e| self.classify(e))?;
                    if inserted == 1 {
                        return Ok(true);
                    }
                    if attempt == 0 {
                        return Ok(false);
                    }
                    // An earlier attempt may have committed before its connection dropped.
                    let mine = client
                        .query_opt(
                            "SELECT 1 FROM votes WHERE poll = $1 AND voter = $2 AND ballot = $3",
                            &[&poll, &voter, &ballot],
                        )
                        .await
                        .map_err(|e| self.classify(e))?;
                    Ok(mine.is_some())
                }
            })
            .await
            .map_err(Arc::new)?;
        let committed = Instant::now();
        let tally = self
            .tally_after(poll, counted.then_some((committed, &options)))
            .await
            .map_err(Arc::new)?;
        Ok(if counted {
            Outcome::Counted(tally)
        } else {
            Outcome::AlreadyVoted(tally)
        })
    }

    /// The tally to answer a ballot with: the cached one (with the ballot `counted` at the
    /// given instant added, when the cached read was answered before it, also in the cache
    /// so that this process shows its own votes at once), else one read now.
    async fn tally_after(
        &self,
        poll: &str,
        counted: Option<(Instant, &Vec<i32>)>,
    ) -> Result<Tally, StoreError> {
        let Lookup::Cached(Cached {
            sent,
            answered,
            mut tally,
        }) = self.lookup(poll)
        else {
            return self.fresh_tally(poll).await;
        };
        let Some((committed, options)) = counted else {
            return Ok(tally);
        };
        // Read after the ballot committed: it is in.
        if sent >= committed {
            return Ok(tally);
        }
        let options: Vec<usize> = options.iter().map(|&o| o as usize).collect();
        if answered < committed {
            // Answered before the ballot committed: it is not.
            let mut tallies = self.tallies.lock().expect("tallies lock");
            if let Some(entry) = tallies.cache.get_mut(poll).filter(|c| c.sent == sent) {
                entry.tally.add(&options);
                return Ok(entry.tally.clone());
            }
        }
        // A read under way as the ballot committed may hold it or not: this answer counts
        // it (once too many at worst, until the next read), the cache is left as it was.
        tally.add(&options);
        Ok(tally)
    }

    /// The cached tally of `poll` while it is fresh, or while another request reads it and
    /// it is not older than [`TALLY_STALE_LIMIT`]; else claims the read.
    fn lookup(&self, poll: &str) -> Lookup {
        let mut tallies = self.tallies.lock().expect("tallies lock");
        let reading = tallies.reading.contains(poll);
        if let Some(cached) = tallies.cache.get(poll) {
            let age = cached.answered.elapsed();
            if age < TALLY_MAX_AGE || (reading && age < TALLY_STALE_LIMIT) {
                return Lookup::Cached(cached.clone());
            }
        }
        tallies.reading.insert(poll.to_string());
        Lookup::Read
    }

    /// Reads a poll's tally from the database and caches it.
    async fn fresh_tally(&self, poll: &str) -> Result<Tally, StoreError> {
        let _reading = Reading {
            tallies: &self.tallies,
            poll,
        };
        let sent = Instant::now();
        let tally = self
            .retrying(|client, _| async move {
                let rows = client
                    .query(
                        "SELECT -1, count(*) FROM votes WHERE poll = $1
                         UNION ALL
                         SELECT o, count(*) FROM votes, unnest(options) AS o
                         WHERE poll = $1 GROUP BY o",
                        &[&poll],
                    )
                    .await
                    .map_err(|e| self.classify(e))?;
                let mut tally = Tally::default();
                for row in rows {
                    let option: i32 = row.get(0);
                    let count: i64 = row.get(1);
                    set_count(&mut tally, option, count);
                }
                Ok(tally)
            })
            .await?;
        let fresh = Cached {
            sent,
            answered: Instant::now(),
            tally: tally.clone(),
        };
        let mut tallies = self.tallies.lock().expect("tallies lock");
        // Of two reads that crossed, the one sent later is the newer.
        if tallies.cache.get(poll).is_none_or(|c| c.sent <= sent) {
            tallies.cache.insert(poll.to_string(), fresh);
        }
        Ok(tally)
    }

    /// The tally of a poll, at most [`TALLY_MAX_AGE`] old, or [`TALLY_STALE_LIMIT`] while
    /// another request reads it (an empty one, with the error on stderr, when the database
    /// cannot be read).
    pub async fn tally(&self, poll: &str) -> Tally {
        if let Lookup::Cached(cached) = self.lookup(poll) {
            return cached.tally;
        }
        match self.fresh_tally(poll).await {
            Ok(tally) => tally,
            Err(error) => {
                eprintln!("error: {error}");
                Tally::default()
            }
        }
    }

    /// Whether the reader whose id is `voter` has voted in `poll`.
    pub async fn has_voted(&self, poll: &str, voter: &str) -> Result<bool, StoreError> {
        let voter = &self.key.hash(voter);
        self.retrying(|client, _| async move {
            client
                .query_opt(
                    "SELECT 1 FROM votes WHERE poll = $1 AND voter = $2",
                    &[&poll, &voter],
                )
                .await
                .map(|row| row.is_some())
                .map_err(|e| self.classify(e))
        })
        .await
    }

    /// Closes the pool; votes already sent have been answered.
    pub fn close(&self) {
        self.pool.close();
    }
}

fn set_count(tally: &mut Tally, option: i32, count: i64) {
    let count = u64::try_from(count).unwrap_or(0);
    match usize::try_from(option) {
        Err(_) => tally.total = count,
        Ok(o) => {
            if tally.options.len() <= o {
                tally.options.resize(o + 1, 0);
            }
            tally.options[o] = count;
        }
    }
}

fn random_i64() -> i64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the system's random source works");
    i64::from_le_bytes(bytes)
}

fn pool(url: &str) -> Result<Pool, StoreError> {
    let mut config = Config::new();
    config.url = Some(url.to_string());
    config.manager = Some(ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    });
    let mut pool_config = PoolConfig::new(16);
    pool_config.timeouts.wait = Some(Duration::from_secs(10));
    pool_config.timeouts.create = Some(Duration::from_secs(10));
    pool_config.timeouts.recycle = Some(Duration::from_secs(5));
    config.pool = Some(pool_config);
    config
        .create_pool(Some(Runtime::Tokio1), NoTls)
        .map_err(|error| StoreError::Postgres {
            url: redact(url),
            message: error.to_string(),
        })
}

/// Reads every poll's tally; a database without the votes table has none.
pub async fn read_tallies(url: &str) -> anyhow::Result<HashMap<String, Tally>> {
    let client = connect(url).await?;
    let exists: bool = client
        .query_one("SELECT to_regclass('votes') IS NOT NULL", &[])
        .await
        .map_err(|e| anyhow::anyhow!("{}: {}", redact(url), describe(&e)))?
        .get(0);
    let mut tallies: HashMap<String, Tally> = HashMap::new();
    if !exists {
        return Ok(tallies);
    }
    let rows = client
        .query(
            "SELECT poll, -1, count(*) FROM votes GROUP BY poll
             UNION ALL
             SELECT poll, o, count(*) FROM votes, unnest(options) AS o GROUP BY poll, o",
            &[],
        )
        .await
        .map_err(|e| anyhow::anyhow!("{}: {}", redact(url), describe(&e)))?;
    for row in rows {
        set_count(
            tallies.entry(row.get::<_, String>(0)).or_default(),
            row.get(1),
            row.get(2),
        );
    }
    Ok(tallies)
}

/// One connection, its driver on the current runtime.
async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to {}: {}", redact(url), describe(&e)))?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            eprintln!("error: vote store connection: {error}");
        }
    });
    Ok(client)
}

/// Loads imported ballots in one serializable transaction (migrating the schema first);
/// gives the polls that already had votes when nothing was written for that reason.
pub async fn import(
    url: &str,
    ballots: &[(String, Vec<ImportedBallot>)],
    replace: bool,
) -> Result<Vec<String>, StoreError> {
    let store = PgStore::open(url).await?;
    let now = cast_at(jiff::Timestamp::now());
    let result = store
        .retrying(|mut client, _| {
            let store = &store;
            async move {
                let tx = client
                    .build_transaction()
                    .isolation_level(tokio_postgres::IsolationLevel::Serializable)
                    .start()
                    .await
                    .map_err(|e| store.classify(e))?;
                let mut occupied = Vec::new();
                for (poll, _) in ballots {
                    let has = tx
                        .query_opt("SELECT 1 FROM votes WHERE poll = $1 LIMIT 1", &[poll])
                        .await
                        .map_err(|e| store.classify(e))?;
                    if has.is_some() {
                        occupied.push(poll.clone());
                    }
                }
                if !occupied.is_empty() && !replace {
                    return Ok(occupied);
                }
                let insert = tx
                    .prepare(
                        "INSERT INTO votes (poll, voter, options, cast_at, ballot)
                         VALUES ($1, $2, $3, $4, 0)",
                    )
                    .await
                    .map_err(|e| store.classify(e))?;
                for (poll, list) in ballots {
                    tx.execute("DELETE FROM votes WHERE poll = $1", &[poll])
                        .await
                        .map_err(|e| store.classify(e))?;
                    for ballot in list {
                        let options: Vec<i32> = ballot.options.iter().map(|&o| o as i32).collect();
                        let voter = store.key.hash(&ballot.voter);
                        tx.execute(&insert, &[poll, &voter, &options, &now])
                            .await
                            .map_err(|e| store.classify(e))?;
                    }
                }
                tx.commit().await.map_err(|e| store.classify(e))?;
                Ok(Vec::new())
            }
        })
        .await;
    store.close();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redact("postgres://birge:secret@db.example:5432/votes"),
            "postgres://birge:***@db.example:5432/votes"
        );
        assert_eq!(redact("postgres://db/votes"), "postgres://db/votes");
        assert_eq!(
            redact("postgresql://u@h/db?password=x"),
            "postgresql://u@h/db?***"
        );
    }
}
