//! The PostgreSQL store's schema: its versioned migrations and the voter key.
//!
//! Takes a connection pool, gives the store's [`VoterKey`] once every migration is applied;
//! safe when several processes start at once on an empty database, with nothing that
//! CockroachDB or YugabyteDB lack (no advisory locks).

use deadpool_postgres::Pool;

use super::postgres::{Failure, classify, redact, retrying};
use super::{SCHEMA_VERSION, StoreError, VoterKey};

/// One step of the schema.
enum Migration {
    /// Statements.
    Sql(&'static str),
    /// The voter key and hashed voters (see [`hash_voters`]).
    HashVoters,
}

/// The migrations, in order; version `n` is `MIGRATIONS[n - 1]`. Each runs in one
/// transaction with the insert of its version into `schema_migrations`, whose primary
/// key lets exactly one of several starting processes apply it.
const MIGRATIONS: &[Migration] = &[
    // 1: votes. `ballot` is a random number per ballot that lets a retried insert
    // recognise its own committed row.
    Migration::Sql(
        "CREATE TABLE votes (
             poll TEXT NOT NULL,
             voter TEXT NOT NULL,
             options INTEGER[] NOT NULL,
             cast_at BIGINT NOT NULL,
             ballot BIGINT NOT NULL,
             PRIMARY KEY (poll, voter)
         )",
    ),
    // 2: the voter key; `voter` becomes the keyed hash of the cookie's id, `cast_at` the hour.
    Migration::HashVoters,
];

/// Migration 2 inside its transaction: creates the key, replaces every stored voter id by
/// its keyed hash in one statement (a hash, 64 hex digits, never equals an id, 32 hex
/// digits or `import:<n>`, so no row collides) and rounds `cast_at` down to the hour.
async fn hash_voters(tx: &tokio_postgres::Transaction<'_>) -> Result<(), tokio_postgres::Error> {
    tx.batch_execute(
        "CREATE TABLE voter_key (
             id INTEGER PRIMARY KEY CHECK (id = 1),
             key BYTEA NOT NULL
         )",
    )
    .await?;
    let key = VoterKey::generate();
    tx.execute(
        "INSERT INTO voter_key (id, key) VALUES (1, $1)",
        &[&key.bytes()],
    )
    .await?;
    let rows = tx.query("SELECT poll, voter FROM votes", &[]).await?;
    let (mut polls, mut old, mut new) = (Vec::new(), Vec::new(), Vec::new());
    for row in rows {
        let voter: String = row.get(1);
        new.push(key.hash(&voter));
        polls.push(row.get::<_, String>(0));
        old.push(voter);
    }
    tx.execute(
        "UPDATE votes SET voter = n.new
         FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[]) AS n(poll, old, new)
         WHERE votes.poll = n.poll AND votes.voter = n.old",
        &[&polls, &old, &new],
    )
    .await?;
    tx.batch_execute("UPDATE votes SET cast_at = cast_at - cast_at % 3600")
        .await
}

const _: () = assert!(MIGRATIONS.len() as i64 == SCHEMA_VERSION);

/// Creates `schema_migrations`, applies every migration not yet applied and gives the
/// voter key. Safe when several processes start at once: each migration's version row is
/// inserted in the migration's own transaction, so the losers of a race get a unique
/// violation, roll back and find it applied on their next attempt.
pub(super) async fn migrate(url: &str, pool: &Pool) -> Result<VoterKey, StoreError> {
    let classify = |e| classify(url, e);
    retrying(url, pool, |mut client, _| async move {
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version BIGINT PRIMARY KEY,
                     applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                 )",
            )
            .await
            .map_err(classify)?;
        let applied: i64 = client
            .query_one(
                "SELECT COALESCE(max(version), 0)::BIGINT FROM schema_migrations",
                &[],
            )
            .await
            .and_then(|row| row.try_get(0))
            .map_err(classify)?;
        if applied > SCHEMA_VERSION {
            return Err(Failure::Fatal(StoreError::TooNew {
                store: redact(url),
                found: applied,
            }));
        }
        for (version, migration) in (1i64..).zip(MIGRATIONS).skip(applied as usize) {
            let tx = client.transaction().await.map_err(classify)?;
            tx.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[&version],
            )
            .await
            .map_err(classify)?;
            match migration {
                Migration::Sql(sql) => tx.batch_execute(sql).await.map_err(classify)?,
                Migration::HashVoters => hash_voters(&tx).await.map_err(classify)?,
            }
            tx.commit().await.map_err(classify)?;
        }
        let bytes: Vec<u8> = client
            .query_one("SELECT key FROM voter_key WHERE id = 1", &[])
            .await
            .and_then(|row| row.try_get(0))
            .map_err(classify)?;
        VoterKey::from_bytes(&bytes)
            .ok_or_else(|| Failure::Fatal(StoreError::NoKey { store: redact(url) }))
    })
    .await
}
