//! `birge serve`: builds the site into memory, serves it with the vote API on a throwaway
//! database, watches the site's files and rebuilds on every save, and reloads open pages.
//!
//! Takes [`ServeOptions`], runs until stopped. The pieces: [`watch`] says what a change
//! means, the build's [`Pipeline`] rebuilds what an edit affects, [`files`] serves the in-memory site
//! safely, [`net`] keeps the server a local tool, and the reload channel is a
//! server-sent-events stream at [`EVENTS_PATH`] that the injected script listens to.
//! Rebuilds always use the present, and one is scheduled for the time the site next
//! changes by itself (a future-dated article comes due, a pin or a poll ends).

pub mod files;
pub mod net;
pub mod watch;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::broadcast;

use crate::build::{BuildOptions, Due, Pipeline};
use crate::diagnostics::Problems;
use crate::polls::service::{Options as ServiceOptions, PollSource, Service};
use crate::polls::store::Store;
use files::{MemorySite, Target};
use watch::{Batch, Change};

/// Where open pages listen for reloads.
pub const EVENTS_PATH: &str = "/__birge/events";
/// The state of the last build, as JSON: `{"generation", "ok", "problems"}`.
pub const STATUS_PATH: &str = "/__birge/status";
/// The reload script, injected into every HTML page that `serve` sends.
pub const SCRIPT_PATH: &str = "/__birge/reload.js";
const SCRIPT: &str = include_str!("reload.js");

/// How long the watcher waits for a burst of saves to settle.
pub const DEBOUNCE: Duration = Duration::from_millis(10);

/// Options of `birge serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The site's folder.
    pub root: PathBuf,
    /// The address to listen on.
    pub bind: String,
    /// The port.
    pub port: u16,
    /// Include drafts (the default of `birge serve`).
    pub drafts: bool,
    /// Include future-dated articles.
    pub future: bool,
    /// Open the site in a browser once it is served.
    pub open: bool,
}

/// What open pages are told.
#[derive(Debug, Clone)]
enum Signal {
    Reload,
    Styles,
    Problems(String),
    /// The server stops: event streams end.
    Stop,
}

/// The state shared by the server and the rebuilder.
struct Live {
    site: RwLock<Arc<MemorySite>>,
    problems: RwLock<Option<String>>,
    signals: broadcast::Sender<Signal>,
    build: BuildOptions,
    generation: std::sync::atomic::AtomicU64,
    /// The in-memory build that content edits update; `None` after a failed build.
    session: std::sync::Mutex<Option<Pipeline>>,
    /// Whether a search bundle waits to be made again (an edit's pages are served already).
    search_pending: std::sync::atomic::AtomicBool,
}

impl Live {
    fn site(&self) -> Arc<MemorySite> {
        Arc::clone(&self.site.read().expect("site lock"))
    }

    /// The next time the site changes by itself, when the last build succeeded.
    fn next_change(&self) -> Option<Due> {
        let session = self.session.lock().expect("session lock");
        session.as_ref().and_then(Pipeline::next_change)
    }

    /// Whether a search bundle waits to be made again.
    fn search_is_stale(&self) -> bool {
        self.search_pending
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Notes whether the session's search bundles are older than their documents.
    fn note_search(&self, session: Option<&Pipeline>) {
        let stale = session.is_some_and(Pipeline::search_is_stale);
        self.search_pending
            .store(stale, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Builds the whole site into memory, keeping the pipeline for later edits.
fn build_in_memory(options: &BuildOptions) -> Result<(MemorySite, Pipeline)> {
    let site = MemorySite::default();
    let (mut pipeline, _) = Pipeline::start(options, &site, true)?;
    pipeline.defer_search(true);
    Ok((site, pipeline))
}

fn describe(error: &anyhow::Error) -> String {
    match error.downcast_ref::<Problems>() {
        Some(problems) => problems.to_string(),
        None => format!("error: {error:#}"),
    }
}

/// Runs the development server until Ctrl-C, SIGTERM or SIGHUP.
pub fn run(mut options: ServeOptions) -> Result<()> {
    options.root = absolute_root(&options.root)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(options))
}

/// The site's folder as an absolute path, so that the watcher's paths and the build's
/// agree wherever `serve` was started from. Symbolic links are resolved, as some watchers
/// report resolved paths; a folder that does not exist stays as given, for the build to
/// report.
fn absolute_root(root: &Path) -> Result<PathBuf> {
    match root.canonicalize() {
        Ok(root) => Ok(root),
        Err(_) => std::path::absolute(root)
            .with_context(|| format!("cannot find the site's folder {}", root.display())),
    }
}

async fn serve(options: ServeOptions) -> Result<()> {
    let listener = net::bind(&options.bind, options.port).await?;
    let listening = net::Listening::new(&options.bind, listener.local_addr()?);
    // Handlers are in place before the server says it listens: a signal sent as soon as it
    // does must stop it cleanly, not kill it with its database left behind.
    let stop = net::stop_signal();
    let build = BuildOptions {
        root: options.root.clone(),
        drafts: options.drafts,
        future: options.future,
        base_url: Some(listening.base_url()),
        image_cache: true,
        ..BuildOptions::default()
    };
    // Watching starts before the first build: a file saved while it runs (an editor's
    // `birge new` as serve starts) is then built as soon as it ends, not missed until its
    // next save.
    let watching = Watching::start(&build.root)?;
    let started = Instant::now();
    let (site, session, problems) = match build_in_memory(&build) {
        Ok((site, session)) => {
            eprintln!(
                "built {} files in memory in {:.2} s",
                site.len(),
                started.elapsed().as_secs_f64()
            );
            (site, Some(session), None)
        }
        Err(error) => {
            let text = describe(&error);
            eprintln!("{text}");
            (MemorySite::default(), None, Some(text))
        }
    };
    let (signals, _) = broadcast::channel(64);
    let live = Arc::new(Live {
        site: RwLock::new(Arc::new(site)),
        problems: RwLock::new(problems),
        signals,
        build,
        generation: std::sync::atomic::AtomicU64::new(1),
        session: std::sync::Mutex::new(session),
        search_pending: std::sync::atomic::AtomicBool::new(false),
    });

    let database = ThrowawayDatabase::new();
    let store = Store::open(&database.path)?;
    let source = PollSource::Root(options.root.clone());
    let definitions = source.load().unwrap_or_default();
    let service_options = ServiceOptions {
        rate_limit: 0,
        poll_quota: 0,
        log: false,
        ..ServiceOptions::default()
    };
    let service = Arc::new(Service::with_definitions(
        definitions,
        Some(source),
        store,
        service_options,
    ));

    watching.rebuild_on_changes(Arc::clone(&live), Arc::clone(&service))?;
    let hosts = Arc::new(net::Hosts::new(&options.bind, &listening));
    let app = router(Arc::clone(&live), Arc::clone(&service))
        .layer(axum::middleware::from_fn_with_state(hosts, net::check_host));
    for line in listening.announcement() {
        eprintln!("{line}");
    }
    if options.open {
        let _ = std::process::Command::new("xdg-open")
            .arg(format!("{}/", listening.url))
            .spawn();
    }
    net::serve(listener, app, stop, || {
        let _ = live.signals.send(Signal::Stop);
    })
    .await;
    service.store().close();
    drop(database);
    Ok(())
}

/// The vote store of a `serve` session, removed when it ends, however it ends (a stop
/// signal, an error or a panic unwinding past it).
struct ThrowawayDatabase {
    path: PathBuf,
}

impl ThrowawayDatabase {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        ThrowawayDatabase {
            path: std::env::temp_dir()
                .join(format!("birge-serve-{}-{nanos}.sqlite", std::process::id())),
        }
    }
}

impl Drop for ThrowawayDatabase {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}

fn router(live: Arc<Live>, service: Arc<Service>) -> Router {
    let own = Router::new()
        .route(EVENTS_PATH, get(events))
        .route(SCRIPT_PATH, get(script))
        .route(STATUS_PATH, get(status))
        .fallback(static_file)
        .with_state(live);
    service.router().merge(own)
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
        .into_response()
}

async fn status(State(live): State<Arc<Live>>) -> Response {
    let problems = live.problems.read().expect("problems lock").clone();
    let body = serde_json::json!({
        "generation": live.generation.load(std::sync::atomic::Ordering::SeqCst),
        "ok": problems.is_none(),
        "problems": problems,
        "search": if live.search_is_stale() { "pending" } else { "current" },
    });
    ([(header::CACHE_CONTROL, "no-cache")], axum::Json(body)).into_response()
}

async fn events(State(live): State<Arc<Live>>) -> impl IntoResponse {
    let receiver = live.signals.subscribe();
    let pending = live
        .problems
        .read()
        .expect("problems lock")
        .clone()
        .map(Signal::Problems);
    let stream =
        futures_util::stream::unfold((receiver, pending), |(mut receiver, pending)| async move {
            let signal = match pending {
                Some(signal) => signal,
                None => match receiver.recv().await {
                    Ok(signal) => signal,
                    Err(broadcast::error::RecvError::Lagged(_)) => Signal::Reload,
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            };
            let event = match signal {
                Signal::Reload => Event::default().event("reload").data("reload"),
                Signal::Styles => Event::default().event("styles").data("styles"),
                Signal::Problems(text) => Event::default().event("problems").data(text),
                Signal::Stop => return None,
            };
            Some((Ok::<_, std::convert::Infallible>(event), (receiver, None)))
        });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn static_file(State(live): State<Arc<Live>>, request: Request) -> Response {
    let method = request.method().clone();
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let site = live.site();
    let path = request.uri().path();
    let (status, rel) = match files::resolve(&site, path) {
        Target::File(rel) => (StatusCode::OK, rel),
        Target::Redirect(to) => {
            return (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, to)]).into_response();
        }
        Target::NotFound => (StatusCode::NOT_FOUND, not_found_page(&site, path)),
    };
    let Some(bytes) = site.get(&rel) else {
        let text = live
            .problems
            .read()
            .expect("problems lock")
            .clone()
            .unwrap_or_else(|| "not found".into());
        let page = files::inject(
            format!(
                "<!doctype html><meta charset=utf-8><title>birge</title><pre>{}</pre>",
                crate::html::escape_html(&text)
            )
            .as_bytes(),
            &script_tag(),
        );
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page,
        )
            .into_response();
    };
    let content_type = files::content_type(&rel);
    let body = if content_type.starts_with("text/html") {
        files::inject(&bytes, &script_tag())
    } else {
        bytes.to_vec()
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if method == Method::HEAD {
        *response.body_mut() = axum::body::Body::empty();
    }
    response
}

fn script_tag() -> String {
    format!("<script src=\"{SCRIPT_PATH}\"></script>")
}

/// The not-found page of the language tree the path is in.
fn not_found_page(site: &MemorySite, path: &str) -> String {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let localized = format!("{first}/404.html");
    if !first.is_empty() && site.get(&localized).is_some() {
        localized
    } else {
        "404.html".to_string()
    }
}

/// The folders of a site that `serve` watches (besides `site.yaml` at the root).
const WATCHED: [&str; 4] = ["content", "templates", "themes", "static"];

/// The watcher of a site's sources and the changes it reported, kept until they are acted on.
struct Watching {
    root: PathBuf,
    watcher: notify::RecommendedWatcher,
    receiver: std::sync::mpsc::Receiver<notify::Result<notify::Event>>,
}

impl Watching {
    /// Starts watching the sources of the site at `root`; changes wait in the channel.
    fn start(root: &Path) -> Result<Watching> {
        let (sender, receiver) = std::sync::mpsc::channel::<notify::Result<notify::Event>>();
        let mut watcher = notify::recommended_watcher(sender)?;
        watch_folders(&mut watcher, root)?;
        Ok(Watching {
            root: root.to_path_buf(),
            watcher,
            receiver,
        })
    }

    /// Rebuilds after each burst of changes (those that came meanwhile first), and when the
    /// time comes for the site to change by itself.
    fn rebuild_on_changes(self, live: Arc<Live>, service: Arc<Service>) -> Result<()> {
        let Watching {
            root,
            watcher,
            receiver,
        } = self;
        std::thread::Builder::new()
            .name("birge-watch".into())
            .spawn(move || rebuild_loop(&root, watcher, &receiver, &live, &service))?;
        Ok(())
    }
}

/// Watches the root (not recursively) and each watched folder that exists (recursively).
fn watch_folders(watcher: &mut notify::RecommendedWatcher, root: &Path) -> Result<()> {
    use notify::{RecursiveMode, Watcher};
    watcher
        .watch(root, RecursiveMode::NonRecursive)
        .context("cannot watch the site's folder")?;
    for name in WATCHED {
        let path = root.join(name);
        if path.is_dir() {
            watcher
                .watch(&path, RecursiveMode::Recursive)
                .with_context(|| format!("cannot watch {name}/"))?;
        }
    }
    Ok(())
}

/// The changes of one event that the site cares about; a watched folder that appears
/// (say, `templates/` created after start) counts as a change of its kind.
fn changes_of(root: &Path, event: &notify::Event) -> (Vec<(Change, PathBuf)>, bool) {
    if matches!(event.kind, notify::EventKind::Access(_)) {
        return (Vec::new(), false);
    }
    let mut new_folder = false;
    let changes = event
        .paths
        .iter()
        .filter_map(|p| watch::relative_to(root, p).map(|rel| (rel, p.clone())))
        .map(|(rel, path)| {
            if WATCHED.contains(&rel.as_str()) {
                new_folder = true;
                // A whole folder appeared or went: rebuild everything.
                return (Change::Data, path);
            }
            (watch::classify(&rel), path)
        })
        .collect();
    (changes, new_folder)
}

/// The longest the rebuilder sleeps before it looks at the clock again: a machine that was
/// suspended wakes with its wall clock ahead of the timers.
const CLOCK_CHECK: Duration = Duration::from_secs(30);

/// What woke the rebuilder.
enum Wake {
    /// The watcher reported something.
    Event(notify::Result<notify::Event>),
    /// The time came for the site to change by itself.
    Due(Due),
    /// No edit came for a while (and a search bundle is stale).
    Quiet,
    /// The watcher is gone.
    Closed,
}

/// How long no edit must come before a stale search bundle is made again: an edit reloads
/// its pages at once, the search index (seconds on a large site) follows when editing pauses.
const SEARCH_QUIET: Duration = Duration::from_millis(800);

/// Waits for the watcher, or until `due`, whichever comes first.
fn wait(
    receiver: &std::sync::mpsc::Receiver<notify::Result<notify::Event>>,
    due: Option<Due>,
    quiet: Option<Duration>,
) -> Wake {
    use std::sync::mpsc::RecvTimeoutError;
    if let Some(quiet) = quiet {
        return match receiver.recv_timeout(quiet) {
            Ok(event) => Wake::Event(event),
            Err(RecvTimeoutError::Timeout) => Wake::Quiet,
            Err(RecvTimeoutError::Disconnected) => Wake::Closed,
        };
    }
    let Some(due) = due else {
        return receiver.recv().map_or(Wake::Closed, Wake::Event);
    };
    loop {
        let left = due.at.duration_since(jiff::Timestamp::now());
        let Ok(left) = Duration::try_from(left) else {
            return Wake::Due(due);
        };
        if left.is_zero() {
            return Wake::Due(due);
        }
        match receiver.recv_timeout(left.min(CLOCK_CHECK)) {
            Ok(event) => return Wake::Event(event),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Wake::Closed,
        }
    }
}

fn rebuild_loop(
    root: &Path,
    mut watcher: notify::RecommendedWatcher,
    receiver: &std::sync::mpsc::Receiver<notify::Result<notify::Event>>,
    live: &Live,
    service: &Service,
) {
    loop {
        let due = live.next_change();
        let quiet = live.search_is_stale().then_some(SEARCH_QUIET);
        let first = match wait(receiver, due.clone(), quiet) {
            Wake::Event(event) => event,
            Wake::Quiet => {
                refresh_search(live);
                continue;
            }
            Wake::Due(due) => {
                rebuild(live, Batch::everything(), None, Some(&due.what));
                continue;
            }
            Wake::Closed => return,
        };
        let mut changes = Vec::new();
        let mut new_folder = false;
        let mut take = |event: notify::Result<notify::Event>| {
            if let Ok(event) = event {
                let (found, folder) = changes_of(root, &event);
                changes.extend(found);
                new_folder |= folder;
            }
        };
        take(first);
        while let Ok(next) = receiver.recv_timeout(DEBOUNCE) {
            take(next);
        }
        if new_folder {
            let _ = watch_folders(&mut watcher, root);
        }
        let kinds: Vec<Change> = changes.iter().map(|(c, _)| *c).collect();
        let Some(batch) = watch::summarize(&kinds) else {
            continue;
        };
        if kinds.contains(&Change::Data) {
            let _ = service.reload();
        }
        // Past a time at which the site changes by itself, an edit alone is not enough:
        // everything is built again for the present.
        let overdue = due.is_some_and(|d| d.at <= jiff::Timestamp::now());
        let content_only = !overdue
            && kinds
                .iter()
                .all(|c| matches!(c, Change::Content | Change::Ignored));
        let paths: Vec<PathBuf> = changes
            .into_iter()
            .filter(|(c, _)| *c == Change::Content)
            .map(|(_, p)| p)
            .collect();
        rebuild(live, batch, content_only.then_some(paths.as_slice()), None);
    }
}

/// Makes the stale search bundles again; open pages are not reloaded for it.
fn refresh_search(live: &Live) {
    let started = Instant::now();
    let mut session = live.session.lock().expect("session lock");
    let Some(current) = session.as_mut() else {
        return;
    };
    let site = live.site();
    match current.refresh_search(site.as_ref()) {
        Ok(run) => {
            live.note_search(Some(current));
            eprintln!(
                "search index rebuilt ({} files) in {:.0} ms",
                run.rendered,
                started.elapsed().as_secs_f64() * 1000.0
            )
        }
        Err(error) => {
            // Like a failed update: the next change builds everything again.
            *session = None;
            live.note_search(None);
            let text = describe(&error);
            eprintln!("{text}");
            *live.problems.write().expect("problems lock") = Some(text.clone());
            let _ = live.signals.send(Signal::Problems(text));
        }
    }
}

/// Rebuilds after a batch of changes: content edits update the session in place, anything
/// else (or an edit after a failed build) builds everything again. `because` says why a
/// rebuild that no edit asked for runs.
fn rebuild(live: &Live, batch: Batch, content: Option<&[PathBuf]>, because: Option<&str>) {
    let started = Instant::now();
    let mut session = live.session.lock().expect("session lock");
    let build_all = |session: &mut Option<Pipeline>| {
        build_in_memory(&live.build).map(|(site, fresh)| {
            let files = site.len();
            *live.site.write().expect("site lock") = Arc::new(site);
            *session = Some(fresh);
            format!("rebuilt all {files} files")
        })
    };
    let outcome = match (session.as_mut(), content) {
        (Some(current), Some(paths)) => {
            let site = live.site();
            let updated = current
                .update(site.as_ref(), paths)
                .map(|run| format!("rebuilt {} of {} files", run.rendered, run.files));
            // An update stops at the first stage that fails (a file that no longer loads);
            // the full build that follows reports every problem, as `birge build` would.
            updated.or_else(|_| build_all(&mut session))
        }
        _ => build_all(&mut session),
    };
    live.note_search(session.as_ref());
    match outcome {
        Ok(summary) => {
            let was_broken = live
                .problems
                .write()
                .expect("problems lock")
                .take()
                .is_some();
            let because = because.map(|b| format!("{b}: ")).unwrap_or_default();
            eprintln!(
                "{because}{summary} in {:.0} ms",
                started.elapsed().as_secs_f64() * 1000.0
            );
            live.generation
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let signal = if batch.styles_only && !was_broken {
                Signal::Styles
            } else {
                Signal::Reload
            };
            let _ = live.signals.send(signal);
        }
        Err(error) => {
            // The session may hold half an update: the next change builds everything again.
            *session = None;
            live.note_search(None);
            let text = describe(&error);
            eprintln!("{text}");
            *live.problems.write().expect("problems lock") = Some(text.clone());
            live.generation
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = live.signals.send(Signal::Problems(text));
        }
    }
}
