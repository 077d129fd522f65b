//! `birge serve` is a local tool: it answers only requests addressed to this machine, cuts
//! off stalled clients, never redirects to another host, says when its port is busy, and
//! leaves nothing behind when it is stopped.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::http;
use super::serve::DevServer;
use super::util::{self, Fixture};

fn site() -> Fixture {
    let site = Fixture::new();
    site.article(
        "2020/03/a.md",
        "title: Atyrau sews masks\ndate: 2020-03-20\nregion: atyrau\ndraft: true",
        "A draft about masks.\n",
    )
    .file(
        "content/pages/about.md",
        "---\ntitle: About\n---\nAbout us.\n",
    );
    site
}

/// A response read whole from a raw request.
struct Raw {
    status: u16,
    head: String,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Sends `GET path` with this `Host` header (none when `None`) and reads the response.
fn get_as(addr: &str, path: &str, host: Option<&str>) -> Raw {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let host = host.map(|h| format!("Host: {h}\r\n")).unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\n{host}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    // An event stream never ends by itself: its head and first bytes are enough.
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buffer[..n]),
            Err(_) => break,
        }
        if path.contains("events") && raw.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    Raw {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

#[test]
fn only_requests_for_this_machine_are_answered() {
    let site = site();
    let server = DevServer::start(site.root());
    let port = server.port();
    let draft = "/news/2020/03/atyrau-sews-masks/";
    // A page whose domain was made to resolve to 127.0.0.1 (DNS rebinding) sends its own
    // domain as the Host: it must learn nothing, drafts above all.
    for path in [
        "/",
        draft,
        "/api/polls/mothers-forum",
        "/api/health",
        "/__birge/status",
        "/__birge/events",
        "/__birge/reload.js",
        "/no/such/page/",
    ] {
        for host in [
            format!("evil.example:{port}"),
            "evil.example".to_string(),
            format!("localhost.evil.example:{port}"),
        ] {
            let response = get_as(&server.addr, path, Some(&host));
            assert_eq!(response.status, 403, "{path} for {host}");
            assert_eq!(
                response.header("content-type"),
                Some("text/plain; charset=utf-8")
            );
            assert!(
                response.body.contains("this machine only"),
                "{path}: {}",
                response.body
            );
            assert!(!response.body.contains("masks"), "{path}");
        }
    }
    assert_eq!(get_as(&server.addr, "/", None).status, 400);
    let vote = http::request(
        &server.addr,
        "POST",
        "/api/polls/mothers-forum/vote",
        &[("Content-Type", "application/json")],
        b"{\"option\": 1}",
    )
    .unwrap();
    assert_eq!(vote.status, 200, "the server's own address is answered");
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
        format!("[::1]:{port}"),
        // A tunnel (ssh -L 8080:localhost:PORT) keeps the name and changes the port.
        "localhost:8080".to_string(),
    ] {
        let response = get_as(&server.addr, draft, Some(&host));
        assert_eq!(response.status, 200, "{host}");
        assert!(response.body.contains("A draft about masks."), "{host}");
    }
    assert!(
        !server.stderr().contains("warning"),
        "no warning on loopback: {}",
        server.stderr()
    );
}

#[test]
fn a_stalled_client_is_cut_off_while_others_are_served() {
    let site = site();
    let server = DevServer::start(site.root());
    let mut stalled = TcpStream::connect(&server.addr).unwrap();
    stalled.write_all(b"GET / HT").unwrap();
    stalled
        .set_read_timeout(Some(Duration::from_secs(25)))
        .unwrap();
    let started = Instant::now();
    for _ in 0..3 {
        assert_eq!(http::get(&server.addr, "/about/", &[]).status, 200);
    }
    let mut rest = Vec::new();
    let outcome = stalled.read_to_end(&mut rest);
    let waited = started.elapsed();
    let timed_out = matches!(&outcome, Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut));
    assert!(
        !timed_out && waited < Duration::from_secs(16),
        "the stalled connection was still open after {waited:?}"
    );
    assert_eq!(http::get(&server.addr, "/about/", &[]).status, 200);
}

#[test]
fn leading_slashes_never_redirect_to_another_host() {
    let site = site();
    let server = DevServer::start(site.root());
    for (path, to) in [
        ("/about", "/about/"),
        ("//about", "/about/"),
        ("///about", "/about/"),
        (
            "//news/2020/03/atyrau-sews-masks",
            "/news/2020/03/atyrau-sews-masks/",
        ),
    ] {
        let response = http::get(&server.addr, path, &[]);
        assert_eq!(
            (response.status, response.header("location")),
            (301, Some(to)),
            "{path}"
        );
    }
    for path in ["///evil.example/x", "//evil.example", "//evil.example/"] {
        let response = http::get(&server.addr, path, &[]);
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.header("location"), None, "{path}");
    }
}

#[test]
fn a_busy_port_says_so() {
    let site = site();
    let server = DevServer::start(site.root());
    let port = server.port().to_string();
    let mut second = Command::new(util::BIRGE)
        .args(["serve", "--port", &port, "--root"])
        .arg(site.root())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            panic!("a second birge serve on port {port} did not stop");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    second
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.trim(),
        format!(
            "error: port {port} on 127.0.0.1 is already in use (is another birge serve \
             running?); choose another with --port, or --port 0 for any free one"
        )
    );
}

/// The throwaway vote databases in `dir`.
fn databases(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("birge-serve-"))
        .collect()
}

#[test]
fn stopping_removes_the_throwaway_database() {
    let site = site();
    for (name, signal) in [
        ("SIGTERM", libc::SIGTERM),
        ("SIGINT", libc::SIGINT),
        ("SIGHUP", libc::SIGHUP),
    ] {
        let temp = tempfile::tempdir().unwrap();
        let mut server = DevServer::spawn(|command| {
            command
                .arg("--root")
                .arg(site.root())
                .env("TMPDIR", temp.path());
        });
        let vote = http::post_json(
            &server.addr,
            "/api/polls/mothers-forum/vote",
            &[],
            "{\"option\": 2}",
        );
        assert_eq!(vote.status, 200);
        assert!(
            !databases(temp.path()).is_empty(),
            "the vote database is in TMPDIR"
        );
        // An open page keeps its event stream open: it must not hold the server up.
        let mut page = TcpStream::connect(&server.addr).unwrap();
        write!(
            page,
            "GET /__birge/events HTTP/1.1\r\nHost: {}\r\n\r\n",
            server.addr
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let status = server.stop_with(signal, Duration::from_secs(10));
        assert!(status.success(), "{name}: {status:?}; {}", server.stderr());
        assert_eq!(databases(temp.path()), Vec::<String>::new(), "{name}");
    }
}
