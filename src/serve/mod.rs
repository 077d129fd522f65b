//! `birge serve`: builds the site into memory, serves it with the vote API on a throwaway
//! database, watches the site's files and rebuilds on every save, and reloads open pages.
//!
//! Takes [`ServeOptions`], runs until interrupted. The pieces: [`watch`] says what a change
//! means, [`files`] serves the in-memory site safely, and the reload channel is a
//! server-sent-events stream at [`EVENTS_PATH`] that the injected script listens to.

pub mod files;
pub mod session;
pub mod watch;

use std::net::SocketAddr;
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

use crate::build::BuildOptions;
use crate::diagnostics::Problems;
use crate::polls::service::{Options as ServiceOptions, PollSource, Service};
use crate::polls::store::Store;
use files::{MemorySite, Target};
use session::Session;
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
    /// Include drafts.
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
}

/// The state shared by the server and the rebuilder.
struct Live {
    site: RwLock<Arc<MemorySite>>,
    problems: RwLock<Option<String>>,
    signals: broadcast::Sender<Signal>,
    build: BuildOptions,
    generation: std::sync::atomic::AtomicU64,
    /// The in-memory build that content edits update; `None` after a failed build.
    session: std::sync::Mutex<Option<Session>>,
}

impl Live {
    fn site(&self) -> Arc<MemorySite> {
        Arc::clone(&self.site.read().expect("site lock"))
    }
}

/// Builds the whole site into memory, keeping a session for later edits.
fn build_in_memory(options: &BuildOptions) -> Result<(MemorySite, Session)> {
    let site = MemorySite::default();
    let session = Session::start(options, &site)?;
    Ok((site, session))
}

fn describe(error: &anyhow::Error) -> String {
    match error.downcast_ref::<Problems>() {
        Some(problems) => problems.to_string(),
        None => format!("error: {error:#}"),
    }
}

/// Runs the development server until Ctrl-C.
pub fn run(options: ServeOptions) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(options))
}

async fn serve(options: ServeOptions) -> Result<()> {
    let address = format!("{}:{}", options.bind, options.port);
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .with_context(|| format!("cannot listen on {address}"))?;
    let local = listener.local_addr()?;
    let base_url = format!("http://{}", display_host(&options.bind, local));
    let build = BuildOptions {
        root: options.root.clone(),
        drafts: options.drafts,
        future: options.future,
        base_url: Some(base_url.clone()),
        ..BuildOptions::default()
    };
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
    });

    let database = ThrowawayDatabase::new();
    let store = Store::open(&database.path)?;
    let source = PollSource::Root(options.root.clone());
    let definitions = source.load().unwrap_or_default();
    let service_options = ServiceOptions {
        rate_limit: 0,
        log: false,
        ..ServiceOptions::default()
    };
    let service = Arc::new(Service::with_definitions(
        definitions,
        Some(source),
        store,
        service_options,
    ));

    start_watcher(Arc::clone(&live), Arc::clone(&service))?;
    let app = router(Arc::clone(&live), Arc::clone(&service));
    eprintln!("serving {base_url}/ (Ctrl-C to stop)");
    if options.open {
        let _ = std::process::Command::new("xdg-open")
            .arg(format!("{base_url}/"))
            .spawn();
    }
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    service.store().close();
    Ok(())
}

/// The host part of the served URL: the bind address, with the port actually bound.
fn display_host(bind: &str, local: SocketAddr) -> String {
    let host = if bind == "0.0.0.0" || bind == "::" {
        "127.0.0.1"
    } else {
        bind
    };
    if host.contains(':') {
        format!("[{host}]:{}", local.port())
    } else {
        format!("{host}:{}", local.port())
    }
}

/// The vote store of a `serve` session, removed when it ends.
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
        for suffix in ["", "-wal", "-shm"] {
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
                crate::markdown::escape_html(&text)
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

/// Watches the site's sources and rebuilds after each burst of changes.
fn start_watcher(live: Arc<Live>, service: Arc<Service>) -> Result<()> {
    let root = std::path::absolute(&live.build.root)?;
    let (sender, receiver) = std::sync::mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(sender)?;
    watch_folders(&mut watcher, &root)?;
    std::thread::Builder::new()
        .name("birge-watch".into())
        .spawn(move || rebuild_loop(&root, watcher, &receiver, &live, &service))?;
    Ok(())
}

/// Watches the root (not recursively) and each watched folder that exists (recursively).
fn watch_folders(watcher: &mut notify::RecommendedWatcher, root: &Path) -> Result<()> {
    use notify::{RecursiveMode, Watcher};
    watcher.watch(root, RecursiveMode::NonRecursive)?;
    for name in WATCHED {
        let path = root.join(name);
        if path.is_dir() {
            watcher
                .watch(&path, RecursiveMode::Recursive)
                .with_context(|| format!("cannot watch {}", path.display()))?;
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

fn rebuild_loop(
    root: &Path,
    mut watcher: notify::RecommendedWatcher,
    receiver: &std::sync::mpsc::Receiver<notify::Result<notify::Event>>,
    live: &Live,
    service: &Service,
) {
    while let Ok(first) = receiver.recv() {
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
        let content_only = kinds
            .iter()
            .all(|c| matches!(c, Change::Content | Change::Ignored));
        let paths: Vec<PathBuf> = changes
            .into_iter()
            .filter(|(c, _)| *c == Change::Content)
            .map(|(_, p)| p)
            .collect();
        rebuild(live, batch, content_only.then_some(paths.as_slice()));
    }
}

/// Rebuilds after a batch of changes: content edits update the session in place, anything
/// else (or an edit after a failed build) builds everything again.
fn rebuild(live: &Live, batch: Batch, content: Option<&[PathBuf]>) {
    let started = Instant::now();
    let mut session = live.session.lock().expect("session lock");
    let outcome = match (session.as_mut(), content) {
        (Some(current), Some(paths)) => {
            let site = live.site();
            current
                .update(&site, paths)
                .map(|update| format!("rebuilt {} of {} files", update.rendered, update.files))
        }
        _ => build_in_memory(&live.build).map(|(site, fresh)| {
            let files = site.len();
            *live.site.write().expect("site lock") = Arc::new(site);
            *session = Some(fresh);
            format!("rebuilt all {files} files")
        }),
    };
    match outcome {
        Ok(summary) => {
            let was_broken = live
                .problems
                .write()
                .expect("problems lock")
                .take()
                .is_some();
            eprintln!(
                "{summary} in {:.0} ms",
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
            let text = describe(&error);
            eprintln!("{text}");
            *live.problems.write().expect("problems lock") = Some(text.clone());
            live.generation
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = live.signals.send(Signal::Problems(text));
        }
    }
}
