//! The vote service's server: connections, their limits, and signals.
//!
//! Takes a [`Service`] and a listener, gives a server that accepts at most
//! [`Limits::max_connections`] connections at once (the others wait in the kernel's
//! backlog, so a flood of idle sockets delays readers instead of running the process out
//! of file descriptors), raises the open-file limit to what the system allows at start,
//! cuts off clients that stall, stops cleanly on SIGINT or SIGTERM and reloads the poll
//! definitions on SIGHUP.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};

use super::service::Service;

/// How long a connection may take over each part of a request, and how much it may send
/// before its body. A client that is slower is cut off, so slow or stalled clients cannot
/// hold connections (and memory) forever.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// From the start of waiting for a request (a new connection, or an idle kept-alive one)
    /// to the end of its headers; then the connection is closed.
    pub header_timeout: Duration,
    /// For reading a vote's body once its headers are in; then 408.
    pub body_timeout: Duration,
    /// The largest request head (request line and headers) in bytes; larger ones get 431.
    pub max_header_bytes: usize,
    /// How many connections are served at once; more wait to be accepted. [`run`] lowers
    /// it to what the open-file limit leaves room for.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_header_bytes: 32 * 1024,
            max_connections: 10_000,
        }
    }
}

/// The body timeout of the connection a request came on (see [`Limits`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyTimeout(pub(crate) Duration);

/// File descriptors kept for everything but connections: the store, its journal, logs.
const RESERVED_FILES: u64 = 64;

/// Raises the soft limit on open files to the hard limit; gives the limit now in force
/// (`None` where the system does not say).
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes the struct it is given and reads nothing else.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            // SAFETY: setrlimit reads the struct it is given.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                limit = raised;
            }
        }
        // rlim_t is u64 on Linux, not on every Unix.
        #[allow(clippy::unnecessary_cast)]
        Some(limit.rlim_cur as u64)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Serves the API on `listen` until SIGINT or SIGTERM; SIGHUP reloads the definitions.
pub async fn run(service: Arc<Service>, listen: &str) -> Result<()> {
    let mut limits = Limits::default();
    if let Some(files) = raise_open_file_limit() {
        let room = usize::try_from(files.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX);
        limits.max_connections = limits.max_connections.min(room.max(1));
    }
    let listener = bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    // Signal handlers are in place before the service says it listens: a SIGHUP or SIGTERM
    // sent as soon as it does must reload or stop it, not kill it by the default action.
    spawn_reloader(Arc::clone(&service));
    let shutdown = shutdown_signal();
    eprintln!(
        "serving at most {} connections at once",
        limits.max_connections
    );
    eprintln!(
        "birge vote service listening on http://{}/api/",
        listener.local_addr()?
    );
    serve(listener, Arc::clone(&service), limits, shutdown).await;
    service.store().close();
    eprintln!("birge vote service stopped");
    Ok(())
}

/// How many connections the kernel may hold for the service before it accepts them: a
/// burst of readers waits there instead of retrying after a second (the standard
/// library's listeners hold 128).
const BACKLOG: u32 = 4096;

/// Listens on `listen` (an address and port, or a host name and port).
async fn bind(listen: &str) -> std::io::Result<tokio::net::TcpListener> {
    let mut last = None;
    for addr in tokio::net::lookup_host(listen).await? {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        match socket.bind(addr).and_then(|()| socket.listen(BACKLOG)) {
            Ok(listener) => return Ok(listener),
            Err(error) => last = Some(error),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no address to listen on")))
}

/// Serves the API on `listener` with `limits` until `shutdown` ends; then stops accepting,
/// lets requests in flight finish (at most `limits.header_timeout + limits.body_timeout`
/// more) and returns. The store is left open.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<Service>,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let grace = limits.header_timeout + limits.body_timeout;
    serve_router(listener, service.router(), limits, shutdown, || {}, grace).await;
}

/// The one server loop of birge (the vote service's and `birge serve`'s): serves `router`
/// on `listener` with `limits` until `shutdown` ends; then stops accepting, calls
/// `stopping` (which ends long-lived responses such as event streams) and lets requests in
/// flight finish for at most `grace`. Each request carries its peer's address
/// ([`ConnectInfo`]) and its connection's body timeout.
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
    stopping: impl FnOnce(),
    grace: Duration,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(limits.max_header_bytes);
    loop {
        // A slot first, then a connection: at the cap, new ones wait in the backlog.
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore stays open"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Out of file descriptors or a connection reset before it was taken:
                    // keep serving the others, without spinning.
                    eprintln!("error: accepting a connection: {error}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = router
            .clone()
            .map_request(move |mut request: Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
                    .extensions_mut()
                    .insert(BodyTimeout(limits.body_timeout));
                request.map(Body::new)
            });
        let connection = builder.serve_connection(
            TokioIo::new(stream),
            hyper_util::service::TowerToHyperService::new(app),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // Errors here are the client's (reset, timed out, malformed); nothing to do.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    stopping();
    let _ = tokio::time::timeout(grace, graceful.shutdown()).await;
}

fn spawn_reloader(service: Arc<Service>) {
    // The handler is registered here, not in the task: a task may first run after a SIGHUP.
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            return;
        };
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                match service.reload() {
                    Ok(n) => eprintln!("reloaded {n} poll definitions"),
                    Err(e) => eprintln!(
                        "error: reloading poll definitions failed, keeping the old ones: {e:#}"
                    ),
                }
            }
        });
    }
}

/// Registers the SIGINT and SIGTERM handlers now; the future ends when either arrives.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        )
    };
    async move {
        #[cfg(unix)]
        let interrupt = async {
            if let Ok(mut int) = interrupt {
                int.recv().await;
            }
        };
        #[cfg(not(unix))]
        let interrupt = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let terminate = async {
            if let Ok(mut term) = terminate {
                term.recv().await;
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            () = interrupt => {},
            () = terminate => {},
        }
    }
}
