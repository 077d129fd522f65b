//! The SQLite vote store: WAL mode with `synchronous=FULL`, one writer thread that commits
//! votes in groups, and tallies kept in memory for reads.
//!
//! Takes ballots, gives [`Outcome`]s only after the transaction that holds them is on disk.
//! One vote per reader per poll is enforced by the table's primary key, not by memory. The
//! file is created readable by its owner only (0600; SQLite gives its `-wal` and `-shm`
//! files the same mode) and keeps the voter key in the table `voter_key`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex, RwLock};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::{Outcome, SCHEMA_VERSION, StoreError, VoterKey, cast_at};
use crate::content::polls::Tally;

/// How many ballots one transaction takes at most.
const MAX_BATCH: usize = 1024;

struct Ballot {
    poll: String,
    voter: String,
    options: Vec<usize>,
    reply: tokio::sync::oneshot::Sender<Result<Outcome, Arc<StoreError>>>,
}

/// An open SQLite store.
pub struct SqliteStore {
    path: PathBuf,
    key: VoterKey,
    sender: Mutex<Option<SyncSender<Ballot>>>,
    tallies: Arc<RwLock<HashMap<String, Tally>>>,
    reader: Mutex<Connection>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates the store's file, readable and writable by its owner only, unless it exists.
fn create_private(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Opens the store for writing (creating its file 0600) and migrates it; gives the
/// connection and the voter key.
fn open_writable(path: &Path) -> Result<(Connection, VoterKey), StoreError> {
    create_private(path)?;
    let mut conn = connect(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
    )?;
    let key = migrate(&mut conn, path)?;
    Ok((conn, key))
}

/// Opens a connection with the pragmas every connection needs.
fn connect(path: &Path, flags: OpenFlags) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(path, flags).map_err(sqlite(path))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(sqlite(path))?;
    Ok(conn)
}

/// Creates or migrates the schema; gives the store's voter key.
fn migrate(conn: &mut Connection, path: &Path) -> Result<VoterKey, StoreError> {
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(sqlite(path))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(sqlite(path))?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(sqlite(path))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            store: path.display().to_string(),
            found: version,
        });
    }
    if version < 1 {
        conn.execute_batch(
            "BEGIN;
             CREATE TABLE IF NOT EXISTS votes (
                 poll TEXT NOT NULL,
                 voter TEXT NOT NULL,
                 options TEXT NOT NULL,
                 cast_at INTEGER NOT NULL,
                 PRIMARY KEY (poll, voter)
             ) WITHOUT ROWID;
             PRAGMA user_version = 1;
             COMMIT;",
        )
        .map_err(sqlite(path))?;
    }
    if version < 2 {
        hash_voters(conn, path)?;
    }
    let bytes: Vec<u8> = conn
        .query_row("SELECT key FROM voter_key WHERE id = 1", [], |r| r.get(0))
        .map_err(sqlite(path))?;
    VoterKey::from_bytes(&bytes).ok_or_else(|| StoreError::NoKey {
        store: path.display().to_string(),
    })
}

/// Migration 2: creates the voter key, replaces every stored voter id by its keyed hash and
/// rounds `cast_at` down to the hour. One immediate transaction that checks the version
/// again, so of several processes opening an old store, one migrates and the others find
/// it done.
fn hash_voters(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sqlite(path))?;
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(sqlite(path))?;
    if version >= 2 {
        return Ok(());
    }
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS voter_key (
             id INTEGER PRIMARY KEY CHECK (id = 1),
             key BLOB NOT NULL
         )",
    )
    .map_err(sqlite(path))?;
    tx.execute(
        "INSERT OR IGNORE INTO voter_key (id, key) VALUES (1, ?1)",
        [VoterKey::generate().bytes()],
    )
    .map_err(sqlite(path))?;
    let bytes: Vec<u8> = tx
        .query_row("SELECT key FROM voter_key WHERE id = 1", [], |r| r.get(0))
        .map_err(sqlite(path))?;
    let key = VoterKey::from_bytes(&bytes).ok_or_else(|| StoreError::NoKey {
        store: path.display().to_string(),
    })?;
    let voters: Vec<(String, String)> = {
        let mut stmt = tx
            .prepare("SELECT poll, voter FROM votes")
            .map_err(sqlite(path))?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(sqlite(path))?
            .collect::<Result<_, _>>()
            .map_err(sqlite(path))?
    };
    {
        // A hash (64 hex digits) never equals a stored id (32 hex digits or `import:<n>`),
        // so no update collides with a row not yet updated.
        let mut update = tx
            .prepare("UPDATE votes SET voter = ?3 WHERE poll = ?1 AND voter = ?2")
            .map_err(sqlite(path))?;
        for (poll, voter) in &voters {
            update
                .execute(params![poll, voter, key.hash(voter)])
                .map_err(sqlite(path))?;
        }
    }
    tx.execute_batch(
        "UPDATE votes SET cast_at = cast_at - cast_at % 3600;
         PRAGMA user_version = 2;",
    )
    .map_err(sqlite(path))?;
    tx.commit().map_err(sqlite(path))
}

fn parse_options(text: &str) -> Vec<usize> {
    text.split(',').filter_map(|s| s.parse().ok()).collect()
}

fn load_tallies(conn: &Connection, path: &Path) -> Result<HashMap<String, Tally>, StoreError> {
    let mut tallies: HashMap<String, Tally> = HashMap::new();
    let mut stmt = conn
        .prepare("SELECT poll, options FROM votes")
        .map_err(sqlite(path))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(sqlite(path))?;
    for row in rows {
        let (poll, options) = row.map_err(sqlite(path))?;
        tallies
            .entry(poll)
            .or_default()
            .add(&parse_options(&options));
    }
    Ok(tallies)
}

/// Reads every poll's tally from a store file without opening it for writing.
pub fn read_tallies(path: &Path) -> anyhow::Result<HashMap<String, Tally>> {
    let conn = connect(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let has_votes: Option<String> = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'votes'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(sqlite(path))?;
    if has_votes.is_none() {
        return Ok(HashMap::new());
    }
    Ok(load_tallies(&conn, path)?)
}

impl SqliteStore {
    /// Opens (creating or migrating) the store at `path` and starts its writer.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let (writer, key) = open_writable(path)?;
        let tallies = Arc::new(RwLock::new(load_tallies(&writer, path)?));
        let reader = connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let (sender, receiver) = sync_channel::<Ballot>(MAX_BATCH * 4);
        let thread_tallies = Arc::clone(&tallies);
        let thread_path = path.to_path_buf();
        let handle = std::thread::Builder::new()
            .name("birge-vote-writer".into())
            .spawn(move || write_loop(writer, &thread_path, receiver, &thread_tallies))
            .expect("the writer thread starts");
        Ok(SqliteStore {
            path: path.to_path_buf(),
            key,
            sender: Mutex::new(Some(sender)),
            tallies,
            reader: Mutex::new(reader),
            writer: Mutex::new(Some(handle)),
        })
    }

    /// The store's voter key.
    pub fn key(&self) -> &VoterKey {
        &self.key
    }

    /// Records a ballot of the reader whose id is `voter`; answers once it is on disk (or
    /// known to be a repeat).
    pub async fn vote(
        &self,
        poll: &str,
        voter: &str,
        options: &[usize],
    ) -> Result<Outcome, Arc<StoreError>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let ballot = Ballot {
            poll: poll.to_string(),
            voter: self.key.hash(voter),
            options: options.to_vec(),
            reply,
        };
        let sender = self
            .sender
            .lock()
            .expect("sender lock")
            .clone()
            .ok_or(Arc::new(StoreError::Closed))?;
        // The channel is bounded: when the writer falls behind, this waits instead of queueing forever.
        tokio::task::spawn_blocking(move || sender.send(ballot))
            .await
            .map_err(|_| Arc::new(StoreError::Closed))?
            .map_err(|_| Arc::new(StoreError::Closed))?;
        answer.await.map_err(|_| Arc::new(StoreError::Closed))?
    }

    /// The tally of a poll as committed so far.
    pub fn tally(&self, poll: &str) -> Tally {
        self.tallies
            .read()
            .expect("tallies lock")
            .get(poll)
            .cloned()
            .unwrap_or_default()
    }

    /// All tallies as committed so far.
    pub fn all_tallies(&self) -> HashMap<String, Tally> {
        self.tallies.read().expect("tallies lock").clone()
    }

    /// Whether the reader whose id is `voter` has voted in `poll`.
    pub fn has_voted(&self, poll: &str, voter: &str) -> Result<bool, StoreError> {
        let conn = self.reader.lock().expect("reader lock");
        conn.query_row(
            "SELECT 1 FROM votes WHERE poll = ?1 AND voter = ?2",
            params![poll, self.key.hash(voter)],
            |_| Ok(()),
        )
        .optional()
        .map(|found| found.is_some())
        .map_err(sqlite(&self.path))
    }

    /// Stops taking ballots, lets the writer commit what it has, and waits for it.
    pub fn close(&self) {
        self.sender.lock().expect("sender lock").take();
        if let Some(handle) = self.writer.lock().expect("writer lock").take() {
            let _ = handle.join();
        }
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.close();
    }
}

/// The writer: takes every ballot waiting, commits them in one transaction, then answers.
fn write_loop(
    mut conn: Connection,
    path: &Path,
    receiver: Receiver<Ballot>,
    tallies: &RwLock<HashMap<String, Tally>>,
) {
    while let Ok(first) = receiver.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(ballot) => batch.push(ballot),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        match commit(&mut conn, path, &batch) {
            Ok(counted) => {
                let mut all = tallies.write().expect("tallies lock");
                let outcomes: Vec<(bool, Tally)> = batch
                    .iter()
                    .zip(&counted)
                    .map(|(ballot, &was_counted)| {
                        let tally = all.entry(ballot.poll.clone()).or_default();
                        if was_counted {
                            tally.add(&ballot.options);
                        }
                        (was_counted, tally.clone())
                    })
                    .collect();
                drop(all);
                for (ballot, (was_counted, tally)) in batch.into_iter().zip(outcomes) {
                    let outcome = if was_counted {
                        Outcome::Counted(tally)
                    } else {
                        Outcome::AlreadyVoted(tally)
                    };
                    let _ = ballot.reply.send(Ok(outcome));
                }
            }
            Err(error) => {
                let error = Arc::new(error);
                for ballot in batch {
                    let _ = ballot.reply.send(Err(Arc::clone(&error)));
                }
            }
        }
    }
}

/// Inserts a batch in one transaction; gives, per ballot, whether it was new.
fn commit(conn: &mut Connection, path: &Path, batch: &[Ballot]) -> Result<Vec<bool>, StoreError> {
    let now = cast_at(jiff::Timestamp::now());
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sqlite(path))?;
    let mut counted = Vec::with_capacity(batch.len());
    {
        let mut insert = tx
            .prepare_cached("INSERT OR IGNORE INTO votes (poll, voter, options, cast_at) VALUES (?1, ?2, ?3, ?4)")
            .map_err(sqlite(path))?;
        for ballot in batch {
            let options = ballot
                .options
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let changed = insert
                .execute(params![ballot.poll, ballot.voter, options, now])
                .map_err(sqlite(path))?;
            counted.push(changed == 1);
        }
    }
    tx.commit().map_err(sqlite(path))?;
    Ok(counted)
}

/// Loads imported ballots into the store at `path` (created when missing), in one
/// transaction; see [`super::import`] for the rules.
pub fn import(
    path: &Path,
    ballots: &[(String, Vec<super::ImportedBallot>)],
    replace: bool,
) -> Result<Vec<String>, StoreError> {
    let (mut conn, key) = open_writable(path)?;
    let now = cast_at(jiff::Timestamp::now());
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sqlite(path))?;
    let mut occupied = Vec::new();
    for (poll, _) in ballots {
        let has: Option<i64> = tx
            .query_row("SELECT 1 FROM votes WHERE poll = ?1 LIMIT 1", [poll], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sqlite(path))?;
        if has.is_some() {
            occupied.push(poll.clone());
        }
    }
    if !occupied.is_empty() && !replace {
        return Ok(occupied);
    }
    for (poll, list) in ballots {
        tx.execute("DELETE FROM votes WHERE poll = ?1", [poll])
            .map_err(sqlite(path))?;
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO votes (poll, voter, options, cast_at) VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(sqlite(path))?;
        for ballot in list {
            let options = ballot
                .options
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(",");
            insert
                .execute(params![poll, key.hash(&ballot.voter), options, now])
                .map_err(sqlite(path))?;
        }
    }
    tx.commit().map_err(sqlite(path))?;
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_vote_per_reader_and_tallies_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("votes.sqlite");
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(
            store.vote("p", "r1", &[1]).await.unwrap(),
            Outcome::Counted(Tally {
                total: 1,
                options: vec![0, 1]
            })
        );
        assert!(matches!(
            store.vote("p", "r1", &[0]).await.unwrap(),
            Outcome::AlreadyVoted(_)
        ));
        store.vote("p", "r2", &[0, 2]).await.unwrap();
        assert!(store.has_voted("p", "r1").unwrap());
        assert!(!store.has_voted("p", "r3").unwrap());
        store.close();
        drop(store);
        let tallies = read_tallies(&path).unwrap();
        assert_eq!(
            tallies["p"],
            Tally {
                total: 2,
                options: vec![1, 1, 1]
            }
        );
        let again = SqliteStore::open(&path).unwrap();
        assert_eq!(again.tally("p").total, 2);
    }

    #[test]
    fn an_old_store_is_migrated_once_and_keeps_no_ids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE votes (poll TEXT NOT NULL, voter TEXT NOT NULL, options TEXT NOT NULL,
                 cast_at INTEGER NOT NULL, PRIMARY KEY (poll, voter)) WITHOUT ROWID;
             INSERT INTO votes VALUES ('p', '0123456789abcdef0123456789abcdef', '1', 1585000123);
             INSERT INTO votes VALUES ('p', 'import:0', '0', 1585000123);
             PRAGMA user_version = 1;",
        )
        .unwrap();
        drop(old);
        let store = SqliteStore::open(&path).unwrap();
        assert!(
            store
                .has_voted("p", "0123456789abcdef0123456789abcdef")
                .unwrap()
        );
        assert_eq!(store.tally("p").total, 2);
        let key = store.key().clone();
        store.close();
        drop(store);
        // Opening again neither hashes twice nor makes a new key.
        let again = SqliteStore::open(&path).unwrap();
        assert_eq!(again.key().bytes(), key.bytes());
        assert!(again.has_voted("p", "import:0").unwrap());
        again.close();
        let conn = Connection::open(&path).unwrap();
        let rows: Vec<(String, i64)> = conn
            .prepare("SELECT voter, cast_at FROM votes ORDER BY voter")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut expected = vec![
            (key.hash("0123456789abcdef0123456789abcdef"), 1584997200),
            (key.hash("import:0"), 1584997200),
        ];
        expected.sort();
        assert_eq!(rows, expected);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_new_store_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("votes.sqlite");
        let store = SqliteStore::open(&path).unwrap();
        store.vote("p", "r1", &[0]).await.unwrap();
        for file in ["votes.sqlite", "votes.sqlite-wal"] {
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
        store.close();
    }
}
