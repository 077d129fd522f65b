//! The vote service under faults: slow clients, huge headers, a flood from one address, the
//! database locked by another process and a full disk. In each, it keeps serving or refuses
//! cleanly, and every vote it acknowledged is in the database afterwards. (A SIGKILL under
//! load is `polls::acknowledged_votes_survive_a_crash`.)

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::http::{Response, VoteService, get, request};
use super::util::{Fixture, stored_voters};

fn db(site: &Fixture) -> PathBuf {
    site.root().join("votes.sqlite")
}

/// One vote in `mothers-forum` as a new reader: `(status, voter id when counted)`.
fn vote_once(addr: &str, option: usize) -> (u16, Option<String>, Response) {
    let response = request(
        addr,
        "POST",
        "/api/polls/mothers-forum/vote",
        &[("Content-Type", "application/json")],
        format!("{{\"option\": {option}}}").as_bytes(),
    )
    .expect("the vote is answered");
    (response.status, response.voter_cookie(), response)
}

fn assert_all_stored(db: &Path, acknowledged: &[String]) {
    let stored = stored_voters(db, "mothers-forum");
    let lost = acknowledged.iter().filter(|v| !stored.contains(*v)).count();
    assert_eq!(
        lost,
        0,
        "{lost} of {} acknowledged votes are not in the database",
        acknowledged.len()
    );
}

/// A vote service run in this process with short timeouts, on a free port.
struct InProcess {
    addr: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _site: Fixture,
}

impl InProcess {
    fn start(limits: birge::polls::service::Limits) -> InProcess {
        use birge::polls::service::{Options, PollSource, Service, serve};
        let site = Fixture::new();
        let store = birge::polls::store::Store::open(&db(&site)).unwrap();
        let options = Options {
            rate_limit: 0,
            log: false,
            ..Options::default()
        };
        let service = Arc::new(
            Service::new(PollSource::Root(site.root().to_path_buf()), store, options).unwrap(),
        );
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(serve(listener, service, limits, async {
                let _ = stopped.await;
            }));
        });
        InProcess {
            addr,
            stop: Some(stop),
            thread: Some(thread),
            _site: site,
        }
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Waits until the server closes `stream` (EOF or reset); gives how long that took, or
/// `None` if it was still open after `limit`. What it sent first (a 408) is returned too.
fn time_to_close(stream: &mut TcpStream, limit: Duration) -> (Option<Duration>, Vec<u8>) {
    let started = Instant::now();
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (Some(started.elapsed()), received),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return (None, received);
            }
            Err(_) => return (Some(started.elapsed()), received),
        }
        if started.elapsed() > limit {
            return (None, received);
        }
    }
}

#[test]
fn slow_and_silent_clients_are_cut_off() {
    let limits = birge::polls::service::Limits {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let server = InProcess::start(limits);
    let bound = Duration::from_secs(10);

    // Connects and says nothing.
    let mut silent = TcpStream::connect(&server.addr).unwrap();
    // Sends half a request head, then stalls (slowloris).
    let mut slow_head = TcpStream::connect(&server.addr).unwrap();
    slow_head
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    // Sends its head and five of twenty body bytes, then stalls.
    let mut slow_body = TcpStream::connect(&server.addr).unwrap();
    slow_body
        .write_all(b"POST /api/polls/mothers-forum/vote HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"opt")
        .unwrap();
    // Gets an answer, then keeps the connection open and idle.
    let mut idle = TcpStream::connect(&server.addr).unwrap();
    idle.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();

    // Meanwhile a well-behaved reader is served at once.
    let health = get(&server.addr, "/api/health", &[]);
    assert_eq!(health.status, 200);

    for (name, stream) in [
        ("silent", &mut silent),
        ("slow head", &mut slow_head),
        ("slow body", &mut slow_body),
        ("idle keep-alive", &mut idle),
    ] {
        let (closed, received) = time_to_close(stream, bound);
        let text = String::from_utf8_lossy(&received);
        eprintln!("{name}: closed after {closed:?}");
        assert!(
            closed.is_some(),
            "the {name} connection was still open after {bound:?}"
        );
        if name == "slow body" {
            assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        }
        if name == "idle keep-alive" {
            assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        }
    }
}

#[test]
fn many_stalled_connections_do_not_stop_service() {
    let limits = birge::polls::service::Limits {
        header_timeout: Duration::from_secs(2),
        body_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let server = InProcess::start(limits);
    let stalled: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut s = TcpStream::connect(&server.addr).unwrap();
            s.write_all(b"POST /api/polls/mothers-forum/vote HTTP/1.1\r\n")
                .unwrap();
            s
        })
        .collect();
    let started = Instant::now();
    let (status, voter, _) = vote_once(&server.addr, 1);
    assert_eq!(status, 200);
    assert!(voter.is_some());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a vote took {:?} beside 200 stalled connections",
        started.elapsed()
    );
    drop(stalled);
}

#[test]
fn huge_headers_are_refused_and_service_keeps_serving() {
    let site = Fixture::new();
    let service = VoteService::start(site.root(), &db(&site), &[]);
    let (status, first, _) = vote_once(&service.addr, 0);
    assert_eq!(status, 200);

    // One header of 1 MB.
    let big = "a".repeat(1 << 20);
    match request(&service.addr, "GET", "/api/health", &[("X-Big", &big)], b"") {
        Ok(response) => assert_eq!(response.status, 431, "{}", response.text()),
        Err(e) => eprintln!("the 1 MB header was cut off: {e}"),
    }
    // A cookie of 64 KB, and 500 small headers.
    let cookie = format!("birge_voter={}", "f".repeat(64 * 1024));
    if let Ok(response) = request(
        &service.addr,
        "POST",
        "/api/polls/mothers-forum/vote",
        &[("Cookie", &cookie), ("Content-Type", "application/json")],
        b"{\"option\": 0}",
    ) {
        assert_eq!(response.status, 431, "{}", response.text());
    }
    let names: Vec<String> = (0..500).map(|i| format!("X-H{i}")).collect();
    let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
    if let Ok(response) = request(&service.addr, "GET", "/api/health", &many, b"") {
        assert_eq!(response.status, 431, "{}", response.text());
    }

    assert_eq!(get(&service.addr, "/api/health", &[]).status, 200);
    let (status, second, _) = vote_once(&service.addr, 1);
    assert_eq!(status, 200);
    assert_all_stored(&db(&site), &[first.unwrap(), second.unwrap()]);
}

#[test]
fn a_flood_from_one_address_gets_429() {
    const PER_MINUTE: usize = 30;
    const THREADS: usize = 20;
    const EACH: usize = 10;
    let site = Fixture::new();
    let service = VoteService::start(
        site.root(),
        &db(&site),
        &["--rate-limit", &PER_MINUTE.to_string()],
    );
    let started = Instant::now();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let addr = service.addr.clone();
            std::thread::spawn(move || {
                (0..EACH)
                    .map(|i| {
                        let (status, voter, response) = vote_once(&addr, (t + i) % 3);
                        if status == 429 {
                            let wait: u64 = response
                                .header("Retry-After")
                                .and_then(|v| v.parse().ok())
                                .expect("a 429 says when to retry");
                            assert!((1..=60).contains(&wait), "Retry-After: {wait}");
                            assert_eq!(response.json()["error"], "rate_limited");
                        }
                        (status, voter)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let answers: Vec<(u16, Option<String>)> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    let accepted: Vec<String> = answers
        .iter()
        .filter(|(s, _)| *s == 200)
        .filter_map(|(_, v)| v.clone())
        .collect();
    let limited = answers.iter().filter(|(s, _)| *s == 429).count();
    let other: Vec<u16> = answers
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| *s != 200 && *s != 429)
        .collect();
    assert!(other.is_empty(), "unexpected answers: {other:?}");
    // The burst is the per-minute allowance; a few more refill while the flood runs.
    let refilled = (elapsed * PER_MINUTE as f64 / 60.0).ceil() as usize;
    assert!(
        (PER_MINUTE..=PER_MINUTE + refilled).contains(&accepted.len()),
        "{} accepted in {elapsed:.1} s",
        accepted.len()
    );
    assert_eq!(accepted.len() + limited, THREADS * EACH);
    // Reading is never limited.
    assert_eq!(
        get(&service.addr, "/api/polls/mothers-forum", &[]).status,
        200
    );
    assert_all_stored(&db(&site), &accepted);
}

#[test]
fn a_database_locked_by_another_process_delays_or_refuses_votes_cleanly() {
    let site = Fixture::new();
    let service = VoteService::start(site.root(), &db(&site), &["--rate-limit", "0"]);
    let mut acknowledged = Vec::new();
    let (status, voter, _) = vote_once(&service.addr, 0);
    assert_eq!(status, 200);
    acknowledged.push(voter.unwrap());

    let locker = rusqlite::Connection::open(db(&site)).unwrap();
    // A short lock: the vote waits for it and is counted.
    locker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let addr = service.addr.clone();
    let waiting = std::thread::spawn(move || vote_once(&addr, 1));
    std::thread::sleep(Duration::from_millis(1500));
    locker.execute_batch("COMMIT").unwrap();
    let (status, voter, response) = waiting.join().unwrap();
    assert_eq!(status, 200, "{}", response.text());
    acknowledged.push(voter.unwrap());

    // A long lock: the vote is refused with 503 and Retry-After, reads go on.
    locker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let addr = service.addr.clone();
    let started = Instant::now();
    let refused = std::thread::spawn(move || vote_once(&addr, 2));
    std::thread::sleep(Duration::from_millis(200));
    let read_started = Instant::now();
    let poll = get(&service.addr, "/api/polls/mothers-forum", &[]);
    assert_eq!(poll.status, 200);
    assert!(read_started.elapsed() < Duration::from_secs(2));
    let (status, _, response) = refused.join().unwrap();
    eprintln!("locked database: {status} after {:?}", started.elapsed());
    assert_eq!(status, 503, "{}", response.text());
    assert_eq!(response.json()["error"], "store_unavailable");
    assert!(response.header("Retry-After").is_some());
    locker.execute_batch("COMMIT").unwrap();
    drop(locker);

    // Once the lock is gone, votes count again.
    let (status, voter, _) = vote_once(&service.addr, 2);
    assert_eq!(status, 200);
    acknowledged.push(voter.unwrap());
    let total = get(&service.addr, "/api/polls/mothers-forum", &[]).json()["total"]
        .as_u64()
        .unwrap();
    assert_eq!(total, 3);
    assert_all_stored(&db(&site), &acknowledged);
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .ok()?;
        if out.status.success() {
            Some(Tmpfs(dir.to_path_buf()))
        } else {
            eprintln!(
                "SKIPPED: cannot mount a tmpfs here ({}); the full-disk test needs root",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            None
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn a_full_disk_refuses_votes_cleanly_and_loses_none() {
    let site = Fixture::new();
    let Some(disk) = Tmpfs::mount(&site.root().join("disk"), "1m") else {
        return;
    };
    // Leave the database about 400 KB, and free 500 KB more later.
    let filler = disk.0.join("filler");
    std::fs::write(&filler, vec![0u8; 500 * 1024]).unwrap();
    let db = disk.0.join("votes.sqlite");
    let mut service = VoteService::start(site.root(), &db, &["--rate-limit", "0"]);
    let mut acknowledged = Vec::new();
    let mut refused = 0;
    for i in 0..5000 {
        let (status, voter, response) = vote_once(&service.addr, i % 3);
        match status {
            200 => acknowledged.push(voter.unwrap()),
            503 => {
                assert_eq!(response.json()["error"], "store_unavailable");
                refused += 1;
                if refused >= 5 {
                    break;
                }
            }
            other => panic!(
                "a vote on a full disk answered {other}: {}",
                response.text()
            ),
        }
    }
    eprintln!(
        "full disk: {} votes counted, then {refused} refused",
        acknowledged.len()
    );
    assert!(refused > 0, "the disk never filled up");
    assert!(!acknowledged.is_empty());
    // Still serving, with the counts it had.
    let poll = get(&service.addr, "/api/polls/mothers-forum", &[]);
    assert_eq!(poll.status, 200);
    assert_eq!(poll.json()["total"], acknowledged.len());

    // Space comes back: votes count again.
    std::fs::remove_file(&filler).unwrap();
    let mut recovered = false;
    for i in 0..20 {
        let (status, voter, _) = vote_once(&service.addr, i % 3);
        if status == 200 {
            acknowledged.push(voter.unwrap());
            recovered = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(recovered, "no vote counted after space was freed");
    service.kill();
    assert_all_stored(&db, &acknowledged);
    let restarted = VoteService::start(site.root(), &db, &["--rate-limit", "0"]);
    let total = get(&restarted.addr, "/api/polls/mothers-forum", &[]).json()["total"]
        .as_u64()
        .unwrap();
    assert_eq!(total, acknowledged.len() as u64);
    drop(restarted);
    drop(disk);
}
