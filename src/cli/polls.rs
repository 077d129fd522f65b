//! `birge polls serve | results | export | import | definitions`: the production vote
//! service, its results (out of and into a store), and the poll definitions it may read
//! instead of the site's folder.

use crate::diagnostics::count;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::content::polls::{Index, Tally};
use crate::polls::service::{self, Options, PollSource, Service};
use crate::polls::store::{Imported, Location, Store};
use crate::polls::{Definitions, Export};

/// `birge polls` and its actions.
#[derive(Debug, Args)]
pub struct PollsArgs {
    #[command(subcommand)]
    action: PollsAction,
}

#[derive(Debug, Subcommand)]
enum PollsAction {
    /// Runs the vote service (JSON API and no-JS form posts under /api/).
    Serve(ServeArgs),
    /// Prints each poll's counts and percentages.
    Results(DbArgs),
    /// Prints all counts as JSON (usable as `polls.database` for a build).
    Export(DbArgs),
    /// Loads an export's counts into a store, as synthetic voters `import:<n>`, in one
    /// transaction; refuses polls that already have votes there unless --replace.
    Import(ImportArgs),
    /// Prints every poll's full definition as JSON, quiz answers and texts per language
    /// included, for `polls serve --polls FILE` (never publish it: it holds the answers).
    Definitions,
}

/// `--listen` as a host and port (`127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`): a usage
/// error otherwise, before any store is opened.
fn listen_address(text: &str) -> Result<String, String> {
    use std::net::ToSocketAddrs;
    let resolved = text.to_socket_addrs().map(|mut all| all.next());
    match resolved {
        Ok(Some(_)) => Ok(text.to_string()),
        _ => Err("an address to listen on is a host and a port, e.g. `127.0.0.1:8080`".into()),
    }
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Where votes are stored: a SQLite file (created when missing) or a
    /// postgres:// URL (the schema is created and migrated on start).
    #[arg(long, value_name = "FILE|URL")]
    db: String,
    /// The address to listen on, e.g. 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR", value_parser = listen_address)]
    listen: String,
    /// Poll definitions from a file `birge polls definitions` wrote, instead of --root's
    /// content/polls/ (SIGHUP reloads either).
    #[arg(long, value_name = "FILE")]
    polls: Option<PathBuf>,
    /// An origin allowed to call the API from another site (CORS); repeatable.
    #[arg(long, value_name = "URL")]
    allow_origin: Vec<String>,
    /// Votes per minute per address (0 turns the limit off).
    #[arg(long, value_name = "N", default_value_t = 60)]
    rate_limit: u32,
    /// Votes per poll per address per day (an IPv6 address counts by its /64) from readers
    /// without a voter id this service issued (0 turns the quota off).
    #[arg(long, value_name = "N", default_value_t = 500)]
    poll_quota: u32,
    /// A proxy (address or CIDR) whose X-Forwarded-For is believed; repeatable.
    #[arg(long, value_name = "CIDR")]
    trust_proxy: Vec<String>,
    /// The largest request body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 4096)]
    max_body: usize,
}

#[derive(Debug, Args)]
struct DbArgs {
    /// The vote store, a SQLite file or a postgres:// URL (default: site.yaml's
    /// polls.database, else polls.sqlite).
    #[arg(long, value_name = "FILE|URL")]
    db: Option<String>,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// A file `birge polls export` wrote.
    file: PathBuf,
    /// The vote store, a SQLite file (created when missing) or a postgres:// URL
    /// (default: site.yaml's polls.database, else polls.sqlite).
    #[arg(long, value_name = "FILE|URL")]
    db: Option<String>,
    /// Replace the votes of polls that already have some in the store.
    #[arg(long)]
    replace: bool,
}

/// Runs the polls action.
pub fn run(root: &Path, args: PollsArgs) -> anyhow::Result<()> {
    match args.action {
        PollsAction::Serve(args) => serve(root, args),
        PollsAction::Results(args) => results(root, args),
        PollsAction::Export(args) => export(root, args),
        PollsAction::Import(args) => import(root, args),
        PollsAction::Definitions => definitions(root),
    }
}

fn serve(root: &Path, args: ServeArgs) -> anyhow::Result<()> {
    let source = match args.polls {
        Some(file) => PollSource::File(file),
        None => PollSource::Root(root.to_path_buf()),
    };
    let options = Options {
        allow_origins: args.allow_origin,
        rate_limit: args.rate_limit,
        poll_quota: args.poll_quota,
        trust_proxy: crate::polls::limit::parse_trusted(&args.trust_proxy)?,
        max_body: args.max_body,
        log: true,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let store = runtime.block_on(Store::open_location(&Location::parse(&args.db)))?;
    let service = Arc::new(Service::new(source, store, options)?);
    runtime.block_on(service::run(service, &args.listen))
}

/// The default of site.yaml's `polls.database`.
const DEFAULT_DATABASE: &str = "polls.sqlite";

fn database(root: &Path, db: Option<String>) -> Location {
    match db {
        Some(value) => Location::parse(&value),
        None => Location::Sqlite(root.join(configured_database(root))),
    }
}

/// site.yaml's `polls.database`, else its default.
fn configured_database(root: &Path) -> String {
    crate::config::Config::load(root)
        .map(|c| c.polls.database)
        .unwrap_or_else(|_| DEFAULT_DATABASE.into())
}

/// How to point `results` or `export` at a store, when the one it looked for is missing:
/// `given` is whether it came from `--db`.
fn no_store_hint(root: &Path, given: bool) -> &'static str {
    if given {
        "check the path given to `--db`: a store is there once the vote service \
         (`birge polls serve --db FILE`) has run with it"
    } else if configured_database(root) != DEFAULT_DATABASE {
        "site.yaml's `polls.database` names it: votes are there once the vote service \
         (`birge polls serve --db FILE`) has run with that file; or pass `--db FILE`"
    } else {
        "pass `--db FILE` (a SQLite file or a postgres:// URL) or set `polls.database` in \
         site.yaml; votes are there once the vote service (`birge polls serve --db FILE`) has run"
    }
}

fn tallies(
    root: &Path,
    db: Option<String>,
) -> anyhow::Result<std::collections::HashMap<String, Tally>> {
    let given = db.is_some();
    match database(root, db) {
        Location::Sqlite(path) => {
            if !path.exists() {
                anyhow::bail!(
                    "there is no vote store at {}\n  hint: {}",
                    path.display(),
                    no_store_hint(root, given)
                );
            }
            crate::polls::read_results(&path)
                .with_context(|| format!("cannot read {}", path.display()))
        }
        location => crate::polls::store::read_tallies(&location)
            .with_context(|| format!("cannot read {}", location.display())),
    }
}

fn results(root: &Path, args: DbArgs) -> anyhow::Result<()> {
    let tallies = tallies(root, args.db)?;
    let definitions = Definitions::from_root(root).unwrap_or_default();
    let mut ids: Vec<&String> = tallies.keys().chain(definitions.ids()).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        let tally = tallies.get(id).cloned().unwrap_or_default();
        match definitions.get(id) {
            Some(poll) => {
                println!(
                    "{id}: {} ({})",
                    poll.text.question,
                    count(tally.total as usize, "vote", "votes")
                );
                for (i, label) in poll.text.options.iter().enumerate() {
                    println!(
                        "  {:>6}  {:>5.1}%  {label}",
                        tally.votes(i),
                        tally.percent(i)
                    );
                }
            }
            None => {
                println!(
                    "{id}: (no definition) ({})",
                    count(tally.total as usize, "vote", "votes")
                );
                for i in 0..tally.options.len() {
                    println!(
                        "  {:>6}  {:>5.1}%  option {i}",
                        tally.votes(i),
                        tally.percent(i)
                    );
                }
            }
        }
    }
    Ok(())
}

fn export(root: &Path, args: DbArgs) -> anyhow::Result<()> {
    let export = Export {
        polls: tallies(root, args.db)?.into_iter().collect(),
    };
    println!("{}", serde_json::to_string_pretty(&export)?);
    Ok(())
}

fn import(root: &Path, args: ImportArgs) -> anyhow::Result<()> {
    let text = crate::fs::read_to_string(&args.file)?;
    let export: Export = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a `birge polls export` file", args.file.display()))?;
    let location = database(root, args.db);
    let imported = crate::polls::store::import(&location, &export.polls, args.replace)
        .with_context(|| format!("cannot import into {}", location.display()))?;
    match imported {
        Imported::Done { polls, ballots } => {
            println!(
                "imported {} ({}) into {}",
                count(polls, "poll", "polls"),
                count(ballots, "vote", "votes"),
                location.display()
            );
            Ok(())
        }
        Imported::Occupied(ids) => anyhow::bail!(
            "{} already {} votes in {}: {}; nothing was imported (--replace replaces them)",
            count(ids.len(), "poll", "polls"),
            if ids.len() == 1 { "has" } else { "have" },
            location.display(),
            ids.join(", ")
        ),
    }
}

fn definitions(root: &Path) -> anyhow::Result<()> {
    let (config, polls) = crate::content::polls::load(root)?;
    let index = Index::definitions(&config, &polls);
    println!("{}", serde_json::to_string_pretty(&index)?);
    Ok(())
}
