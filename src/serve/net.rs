//! The network side of `birge serve`, which is a local tool: it listens where it is told (a
//! busy port says so), answers only requests addressed to this machine by name unless it
//! was bound for the network (no DNS rebinding), drops clients that stall before their
//! headers, and stops cleanly on SIGINT, SIGTERM or SIGHUP.
//!
//! Takes the `--bind` address, the port and the app's router; gives a listener, the lines
//! that announce it, and a server that runs until a stop signal.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;

/// How long a client may take to send a request's headers, on a new connection or a
/// kept-alive one; then the connection is closed.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long requests in flight may take to finish once a stop signal came.
const GRACE: Duration = Duration::from_secs(2);

/// Listens on `bind` (an IP address, bracketed or not, or a host name) and `port`.
pub async fn bind(bind: &str, port: u16) -> Result<TcpListener> {
    let host = unbracket(bind);
    match TcpListener::bind((host, port)).await {
        Ok(listener) => Ok(listener),
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => bail!(
            "port {port} on {bind} is already in use (is another birge serve running?); \
             choose another with --port, or --port 0 for any free one"
        ),
        Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => bail!(
            "not allowed to listen on port {port} on {bind} (ports below 1024 need privileges); \
             choose another with --port, or --port 0 for any free one"
        ),
        Err(error) => Err(error).with_context(|| format!("cannot listen on port {port} on {bind}")),
    }
}

fn unbracket(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Where the server listens, as editors need to know it.
#[derive(Debug, Clone)]
pub struct Listening {
    /// The address as bound (`0.0.0.0:1111`).
    pub local: SocketAddr,
    /// The URL a browser on this machine opens, without the final `/`
    /// (`http://127.0.0.1:1111`).
    pub url: String,
    /// Whether other machines can connect: bound to every interface or to one that is not
    /// loopback.
    pub public: bool,
}

impl Listening {
    /// Describes a listener bound for `bind`.
    pub fn new(bind: &str, local: SocketAddr) -> Listening {
        let ip = local.ip();
        let named = !bind.is_empty() && unbracket(bind).parse::<IpAddr>().is_err();
        let host = match ip {
            IpAddr::V4(v4) if v4.is_unspecified() => "127.0.0.1".to_string(),
            IpAddr::V6(v6) if v6.is_unspecified() => "[::1]".to_string(),
            // A host name such as `localhost`: keep the name the editor gave.
            _ if named => bind.to_string(),
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        };
        Listening {
            local,
            url: format!("http://{host}:{}", local.port()),
            public: ip.is_unspecified() || !ip.is_loopback(),
        }
    }

    /// The base URL pages are built with. On this machine alone, the URL it prints; when
    /// other machines may connect (a phone on the office network previewing the site), none:
    /// links stay site paths (`/regions/`) that work whatever address the reader used.
    pub fn base_url(&self) -> String {
        if self.public {
            String::new()
        } else {
            self.url.clone()
        }
    }

    /// The lines `serve` prints once it listens: where, and a warning when other machines
    /// can read the preview. The line starting `serving http://` names a URL that works on
    /// this machine.
    pub fn announcement(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.local.ip().is_unspecified() {
            lines.push(format!(
                "listening on {}: every network interface of this machine",
                self.local
            ));
        }
        if self.public {
            lines.push(
                "warning: other machines on the network can open this preview, drafts \
                 included, and vote in its polls; --bind 127.0.0.1 keeps it on this machine"
                    .to_string(),
            );
        }
        lines.push(format!("serving {}/ (Ctrl-C to stop)", self.url));
        lines
    }
}

/// The `Host` names that requests may carry. A server bound to loopback answers only names
/// that cannot be another site's: IP literals, `localhost`, and the `--bind` name; so a web
/// page whose domain is made to resolve to 127.0.0.1 (DNS rebinding) cannot read the
/// preview. A server bound for the network answers any name.
#[derive(Debug, Clone)]
pub struct Hosts {
    any: bool,
    names: Vec<String>,
}

impl Hosts {
    /// The names a server bound with `bind` answers.
    pub fn new(bind: &str, listening: &Listening) -> Hosts {
        let mut names = vec!["localhost".to_string()];
        let bind = unbracket(bind).to_ascii_lowercase();
        if !bind.is_empty() && bind.parse::<IpAddr>().is_err() {
            names.push(bind);
        }
        Hosts {
            any: listening.public,
            names,
        }
    }

    /// Whether a request with this `Host` header (`name`, `name:port`, `[v6]:port`) is
    /// answered.
    pub fn allows(&self, host: &str) -> bool {
        if self.any {
            return true;
        }
        let Some(name) = host_name(host) else {
            return false;
        };
        let name = name.to_ascii_lowercase();
        name.parse::<IpAddr>().is_ok() || self.names.contains(&name)
    }
}

/// The name part of a `Host` header: `None` when it is malformed.
fn host_name(host: &str) -> Option<&str> {
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => {
            let (inside, after) = rest.split_once(']')?;
            inside.parse::<Ipv6Addr>().ok()?;
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':')?),
            };
            (inside, port)
        }
        None => match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    (!name.is_empty() && port_ok).then_some(name)
}

/// Refuses requests whose `Host` the server does not answer to (see [`Hosts`]), on every
/// route.
pub async fn check_host(State(hosts): State<Arc<Hosts>>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| request.uri().authority().map(|a| a.to_string()));
    match host {
        Some(host) if hosts.allows(&host) => next.run(request).await,
        Some(host) => refuse(
            StatusCode::FORBIDDEN,
            &format!(
                "birge serve answers requests for this machine only (localhost, 127.0.0.1, \
                 [::1]), not for the host `{host}`.\nStart it with --bind 0.0.0.0 to preview \
                 the site from other machines.\n"
            ),
        ),
        None => refuse(
            StatusCode::BAD_REQUEST,
            "birge serve needs a Host header.\n",
        ),
    }
}

fn refuse(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text.to_string(),
    )
        .into_response()
}

/// Serves `router` on `listener` until `stop` ends; then stops accepting, calls `stopping`
/// (which ends long-lived responses such as event streams) and lets requests in flight
/// finish for a moment. Clients get [`HEADER_TIMEOUT`] to send each request's headers. The
/// loop is the vote service's ([`crate::polls::server::serve_router`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    stop: impl std::future::Future<Output = ()>,
    stopping: impl FnOnce(),
) {
    let limits = crate::polls::server::Limits {
        header_timeout: HEADER_TIMEOUT,
        ..Default::default()
    };
    crate::polls::server::serve_router(listener, router, limits, stop, stopping, GRACE).await;
}

/// Registers the handlers of SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal closed) now;
/// the future ends when one of them arrives.
pub fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let kinds = [
            SignalKind::interrupt(),
            SignalKind::terminate(),
            SignalKind::hangup(),
        ];
        let mut streams: Vec<_> = kinds.into_iter().filter_map(|k| signal(k).ok()).collect();
        async move {
            let waits = streams.iter_mut().map(|s| Box::pin(s.recv()));
            let _ = futures_util::future::select_all(waits).await;
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listening(bind: &str, local: &str) -> Listening {
        Listening::new(bind, local.parse().unwrap())
    }

    #[test]
    fn a_public_preview_links_by_site_paths() {
        let local: SocketAddr = "0.0.0.0:1111".parse().unwrap();
        assert_eq!(Listening::new("0.0.0.0", local).base_url(), "");
        let local: SocketAddr = "127.0.0.1:1111".parse().unwrap();
        assert_eq!(
            Listening::new("127.0.0.1", local).base_url(),
            "http://127.0.0.1:1111"
        );
    }

    #[test]
    fn loopback_answers_its_own_names_only() {
        let bound = listening("127.0.0.1", "127.0.0.1:1111");
        let hosts = Hosts::new("127.0.0.1", &bound);
        for good in [
            "127.0.0.1:1111",
            "localhost:1111",
            "LOCALHOST:1111",
            "localhost",
            "[::1]:1111",
            "[::1]",
            // A tunnel (ssh -L 8080:localhost:1111) changes the port, not the name.
            "localhost:8080",
            "127.0.0.1",
        ] {
            assert!(hosts.allows(good), "{good}");
        }
        for bad in [
            "evil.example",
            "evil.example:1111",
            "localhost.evil.example:1111",
            "localhost.:1111",
            "127.0.0.1.nip.io:1111",
            "",
            ":1111",
            "localhost:",
            "localhost:11x",
            "[::1",
            "[::1]x",
            "[evil.example]:1111",
        ] {
            assert!(!hosts.allows(bad), "{bad}");
        }
    }

    #[test]
    fn a_bind_name_is_answered_and_the_network_answers_any_name() {
        let bound = listening("localhost", "127.0.0.1:1111");
        assert_eq!(bound.url, "http://localhost:1111");
        assert!(Hosts::new("localhost", &bound).allows("localhost:1111"));
        assert!(!Hosts::new("localhost", &bound).allows("evil.example:1111"));

        for (bind, local) in [
            ("0.0.0.0", "0.0.0.0:1111"),
            ("::", "[::]:1111"),
            ("192.168.1.5", "192.168.1.5:1111"),
        ] {
            let bound = listening(bind, local);
            assert!(bound.public, "{bind}");
            assert!(Hosts::new(bind, &bound).allows("laptop.lan:1111"), "{bind}");
        }
    }

    #[test]
    fn announcements_give_a_local_url_and_warn_about_the_network() {
        let local = listening("127.0.0.1", "127.0.0.1:1111");
        assert_eq!(
            local.announcement(),
            ["serving http://127.0.0.1:1111/ (Ctrl-C to stop)"]
        );
        let all = listening("0.0.0.0", "0.0.0.0:1111").announcement();
        assert_eq!(
            all[0],
            "listening on 0.0.0.0:1111: every network interface of this machine"
        );
        assert!(all[1].starts_with("warning: other machines on the network"));
        assert_eq!(all[2], "serving http://127.0.0.1:1111/ (Ctrl-C to stop)");
        let v6 = listening("::", "[::]:1111").announcement();
        assert_eq!(v6[2], "serving http://[::1]:1111/ (Ctrl-C to stop)");
        let lan = listening("192.168.1.5", "192.168.1.5:1111").announcement();
        assert!(lan[0].starts_with("warning: "));
        assert_eq!(lan[1], "serving http://192.168.1.5:1111/ (Ctrl-C to stop)");
        let bracketed = listening("[::1]", "[::1]:1111");
        assert_eq!(bracketed.url, "http://[::1]:1111");
        assert!(!bracketed.public);
    }
}
