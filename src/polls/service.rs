//! The vote service: the HTTP API under `/api/`, mounted by `birge polls serve` and by
//! `birge serve`; its routes are in [`super::routes`], its policy in [`super::policy`], its
//! server in [`super::server`].
//!
//! Takes poll definitions, a [`Store`] and [`Options`], gives an axum [`Router`]: poll bodies,
//! votes (JSON or plain form posts), the no-JS results page, health; one vote per reader
//! (cookie `birge_voter`), cross-site posts refused, a rate limit and a daily quota per poll
//! (see [`super::policy`]), CORS only for allowed origins, a body size limit, one log line
//! per request.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use anyhow::Result;
use axum::Router;
use ipnet::IpNet;

use super::Definitions;
use super::policy::Policy;
pub use super::policy::VOTER_COOKIE;
pub use super::server::{Limits, run, serve};
use super::store::{Store, VoteStore};
use crate::content::polls::{Poll, PollKind, PollState, Tally};

/// Where poll definitions come from, for loading and for reloading on SIGHUP.
#[derive(Debug, Clone)]
pub enum PollSource {
    /// A site's `content/polls/` (with its `site.yaml`).
    Root(PathBuf),
    /// A file that `birge polls definitions` wrote.
    File(PathBuf),
}

impl PollSource {
    /// Loads the definitions.
    pub fn load(&self) -> Result<Definitions> {
        match self {
            PollSource::Root(root) => Definitions::from_root(root),
            PollSource::File(path) => Definitions::from_file(path),
        }
    }
}

/// How the service behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Origins (`https://example.kz`) allowed to call the API from elsewhere (CORS).
    pub allow_origins: Vec<String>,
    /// Votes per minute per address; 0 turns the limit off.
    pub rate_limit: u32,
    /// Votes per poll per address per day from posts without an issued voter id; 0 turns
    /// the quota off.
    pub poll_quota: u32,
    /// Proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed.
    pub trust_proxy: Vec<IpNet>,
    /// The largest request body accepted, in bytes.
    pub max_body: usize,
    /// Write one line per request to stderr.
    pub log: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            allow_origins: Vec::new(),
            rate_limit: 60,
            poll_quota: 500,
            trust_proxy: Vec::new(),
            max_body: 4096,
            log: true,
        }
    }
}

/// The running service's state.
pub struct Service {
    definitions: RwLock<Arc<Definitions>>,
    source: Option<PollSource>,
    pub(super) store: Store,
    pub(super) policy: Policy,
    pub(super) options: Options,
    pub(super) log: Option<std::sync::mpsc::Sender<String>>,
}

impl Service {
    /// A service over `store` with definitions from `source`.
    pub fn new(source: PollSource, store: Store, options: Options) -> Result<Service> {
        let definitions = source.load()?;
        Ok(Service::with_definitions(
            definitions,
            Some(source),
            store,
            options,
        ))
    }

    /// A service with definitions given directly (reloaded by whoever owns them).
    pub fn with_definitions(
        definitions: Definitions,
        source: Option<PollSource>,
        store: Store,
        options: Options,
    ) -> Service {
        Service {
            definitions: RwLock::new(Arc::new(definitions)),
            source,
            policy: Policy::new(&options),
            log: options.log.then(start_logger),
            store,
            options,
        }
    }

    /// Reloads definitions from their source; keeps the old ones on error. Gives how many.
    pub fn reload(&self) -> Result<usize> {
        let Some(source) = &self.source else {
            return Ok(self.definitions().len());
        };
        let fresh = source.load()?;
        let count = fresh.len();
        self.replace_definitions(fresh);
        Ok(count)
    }

    /// Replaces the definitions.
    pub fn replace_definitions(&self, definitions: Definitions) {
        *self.definitions.write().expect("definitions lock") = Arc::new(definitions);
    }

    pub(super) fn definitions(&self) -> Arc<Definitions> {
        Arc::clone(&self.definitions.read().expect("definitions lock"))
    }

    /// The store behind the service.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The API's routes, all under `/api/` (see [`super::routes::router`]).
    pub fn router(self: Arc<Self>) -> Router {
        super::routes::router(self)
    }
}

impl Service {
    /// A poll's state, whether the reader `voter` voted in it (asked of the store only
    /// for an open quiz, whose answer it decides) and its tally.
    pub(super) async fn body_of(
        &self,
        poll: &Poll,
        voter: Option<&str>,
    ) -> (PollState, bool, Tally) {
        let state = poll.state_at(jiff::Timestamp::now());
        let voted = match voter {
            Some(v) if poll.kind == PollKind::Quiz && state != PollState::Closed => {
                self.store.has_voted(&poll.id, v).await.unwrap_or(false)
            }
            _ => false,
        };
        (state, voted, self.store.tally(&poll.id).await)
    }
}

/// Writes request lines from a thread of its own, so requests never wait on stderr.
fn start_logger() -> std::sync::mpsc::Sender<String> {
    let (sender, receiver) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        use std::io::Write;
        let stderr = std::io::stderr();
        while let Ok(line) = receiver.recv() {
            let mut out = stderr.lock();
            let _ = writeln!(out, "{line}");
            while let Ok(more) = receiver.try_recv() {
                let _ = writeln!(out, "{more}");
            }
            let _ = out.flush();
        }
    });
    sender
}
