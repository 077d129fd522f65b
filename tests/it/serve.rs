//! `birge serve`: after every edit the served site equals a clean build, paths outside the
//! site cannot be reached, and the vote API is mounted.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::http;
use super::util::{self, Fixture, Page};

/// A running `birge serve`, stopped when dropped.
pub struct DevServer {
    pub child: Child,
    /// Its TMPDIR (where its throwaway vote database goes), unless the test gave another.
    _temp: tempfile::TempDir,
    /// Where it serves (`127.0.0.1:PORT`).
    pub addr: String,
    /// Every line it printed on stderr so far.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl DevServer {
    /// Serves the site at `root` (given as `--root` with its absolute path) on a free port.
    pub fn start(root: &Path) -> DevServer {
        DevServer::spawn(|command| {
            command.arg("--root").arg(root);
        })
    }

    /// Runs `birge serve --port 0` with what `configure` adds (arguments, folder,
    /// environment) and waits until it says where it serves.
    pub fn spawn(configure: impl FnOnce(&mut Command)) -> DevServer {
        let temp = tempfile::tempdir().unwrap();
        let mut command = Command::new(util::BIRGE);
        command
            .args(["serve", "--port", "0"])
            .env("TMPDIR", temp.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        configure(&mut command);
        let mut child = command.spawn().expect("birge serve starts");
        let stderr = child.stderr.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        let log = Arc::new(Mutex::new(Vec::new()));
        let thread_log = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("serving http://") {
                    let _ = sender.send(rest.split('/').next().unwrap_or("").to_string());
                }
                thread_log.lock().unwrap().push(line);
            }
        });
        let addr = receiver
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                panic!(
                    "birge serve did not announce its address: {:?}",
                    log.lock().unwrap()
                )
            });
        DevServer {
            child,
            _temp: temp,
            addr,
            log,
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// Everything printed on stderr so far, one line each.
    pub fn stderr(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    pub fn generation(&self) -> u64 {
        http::get(&self.addr, "/__birge/status", &[]).json()["generation"]
            .as_u64()
            .unwrap()
    }

    /// Applies an edit and waits until the server has rebuilt after it.
    pub fn edit(&self, change: impl FnOnce()) -> serde_json::Value {
        let before = self.generation();
        // Let the watcher settle so that the edit is a new event.
        std::thread::sleep(Duration::from_millis(50));
        change();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let status = http::get(&self.addr, "/__birge/status", &[]).json();
            if status["generation"].as_u64().unwrap() > before {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no rebuild after the edit");
    }

    /// Waits until the search bundles are made again after the last edit (they follow the
    /// pages when editing pauses).
    pub fn wait_for_search(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let status = http::get(&self.addr, "/__birge/status", &[]).json();
            if status["search"] == "current" {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the search bundles were not made again");
    }

    /// The page at `path`, parsed, once it is served with status 200; `None` if it is not
    /// within `patience`.
    pub fn page_within(&self, path: &str, patience: Duration) -> Option<Page> {
        let deadline = Instant::now() + patience;
        loop {
            let response = http::get(&self.addr, path, &[]);
            if response.status == 200 {
                return Some(Page(scraper::Html::parse_document(&response.text())));
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends `signal` and waits (at most `patience`) for the process to end.
    pub fn stop_with(&mut self, signal: i32, patience: Duration) -> std::process::ExitStatus {
        // SAFETY: sending a signal to our own child process.
        unsafe {
            libc::kill(self.child.id() as i32, signal);
        }
        let deadline = Instant::now() + patience;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "birge serve did not stop within {patience:?}: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: sending a signal to our own child process.
            unsafe {
                libc::kill(self.child.id() as i32, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn url_of(rel: &str) -> String {
    match rel.strip_suffix("index.html") {
        Some(dir) => format!("/{dir}"),
        None => format!("/{rel}"),
    }
}

const RELOAD_TAG: &str = "<script src=\"/__birge/reload.js\"></script>";

/// Asserts that every file of a clean build is served byte for byte (less the reload script).
pub(crate) fn assert_served_equals_clean_build(site: &Fixture, server: &DevServer) {
    server.wait_for_search();
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("public");
    let built = Command::new(util::BIRGE)
        .args(["build", "--quiet", "--root"])
        .arg(site.root())
        .arg("--output")
        .arg(&target)
        .arg("--base-url")
        .arg(format!("http://{}", server.addr))
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    for (rel, bytes) in util::snapshot(&target) {
        let response = http::get(&server.addr, &url_of(&rel), &[]);
        assert_eq!(response.status, 200, "{rel}");
        let mut body = response.body.clone();
        if rel.ends_with(".html") {
            body = String::from_utf8(body)
                .unwrap()
                .replacen(RELOAD_TAG, "", 1)
                .into_bytes();
        }
        assert!(
            body == bytes,
            "{rel} differs from a clean build:\nserved: {}\nclean: {}",
            String::from_utf8_lossy(&body),
            String::from_utf8_lossy(&bytes)
        );
    }
}

fn fixture() -> Fixture {
    let site = Fixture::new();
    site.article(
        "2020/03/a.md",
        "title: Atyrau sews masks\ndate: 2020-03-20\nregion: atyrau\ntags: [masks]",
        "Text of A.\n",
    )
    .article(
        "2020/03/b.md",
        "title: Kostanay helps polyclinics\ndate: 2020-03-21\nregion: kostanay",
        "See [A](@/news/2020/03/a.md).\n",
    )
    .file(
        "content/pages/about.md",
        "---\ntitle: About\n---\nAbout us.\n",
    );
    site
}

#[test]
fn incremental_rebuilds_equal_clean_builds() {
    let site = fixture();
    let server = DevServer::start(site.root());
    assert_served_equals_clean_build(&site, &server);

    let add = || {
        site.article(
            "2020/03/c.md",
            "title: Astana volunteers\ndate: 2020-03-22\nregion: astana\ntags: [volunteers]",
            "New.\n",
        );
    };
    assert_eq!(server.edit(add)["ok"], true);
    assert_served_equals_clean_build(&site, &server);

    server.edit(|| {
        site.article(
            "2020/03/a.md",
            "title: Atyrau sews masks\ndate: 2020-03-20\nregion: atyrau\ntags: [masks]",
            "Edited text of A.\n",
        );
    });
    assert_served_equals_clean_build(&site, &server);

    server.edit(|| {
        site.article("2020/03/a.md", "title: Atyrau volunteers sew 500 masks\ndate: 2020-03-20\nregion: atyrau\ntags: [masks]", "Edited text of A.\n");
    });
    assert_served_equals_clean_build(&site, &server);
    assert_eq!(
        http::get(&server.addr, "/news/2020/03/atyrau-sews-masks/", &[]).status,
        404,
        "the old URL is gone"
    );

    server.edit(|| {
        site.article("2020/03/a.md", "title: Atyrau volunteers sew 500 masks\ndate: 2020-03-20\nregion: kostanay\ntags: [masks]", "Edited text of A.\n");
    });
    assert_served_equals_clean_build(&site, &server);

    server.edit(|| std::fs::remove_file(site.root().join("content/news/2020/03/c.md")).unwrap());
    assert_served_equals_clean_build(&site, &server);
    assert_eq!(
        http::get(&server.addr, "/news/2020/03/astana-volunteers/", &[]).status,
        404
    );

    server.edit(|| {
        site.file("templates/404.html", "{% extends \"base.html\" %}{% block content %}<h1>Nothing here</h1>{% endblock content %}");
    });
    assert_served_equals_clean_build(&site, &server);

    server.edit(|| {
        site.file(
            "content/regions.yaml",
            &util::REGIONS_YAML.replace("Kostanay Region", "Qostanai Region"),
        );
    });
    assert_served_equals_clean_build(&site, &server);
}

/// An SVG whose root element declares its size.
fn svg(width: u32, height: u32) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\"></svg>"
    )
}

#[test]
fn a_bundle_image_replaced_while_serving_gets_its_new_size() {
    let site = fixture();
    site.article(
        "2020/03/pictures/index.md",
        "title: Pictures\ndate: 2020-03-23\nregion: atyrau\nimage: lead.svg",
        "![Chart](chart.svg)\n",
    )
    .file("content/news/2020/03/pictures/lead.svg", &svg(80, 40))
    .file("content/news/2020/03/pictures/chart.svg", &svg(30, 20));
    let server = DevServer::start(site.root());
    assert_served_equals_clean_build(&site, &server);

    server.edit(|| {
        site.file("content/news/2020/03/pictures/lead.svg", &svg(160, 90))
            .file("content/news/2020/03/pictures/chart.svg", &svg(60, 45));
    });
    let page = http::get(&server.addr, "/news/2020/03/pictures/", &[]).text();
    assert!(page.contains("width=\"160\" height=\"90\""), "{page}");
    assert!(page.contains("width=\"60\" height=\"45\""), "{page}");
    assert_served_equals_clean_build(&site, &server);
}

#[test]
fn errors_keep_the_last_good_site_until_fixed() {
    let site = fixture();
    let server = DevServer::start(site.root());
    let status = server.edit(|| {
        site.article(
            "2020/03/a.md",
            "title: Atyrau sews masks\ndate: 2020-03-20\nregion: atyraw",
            "Text.\n",
        );
    });
    assert_eq!(status["ok"], false);
    assert!(
        status["problems"]
            .as_str()
            .unwrap()
            .contains("unknown region `atyraw`")
    );
    let page = http::get(&server.addr, "/news/2020/03/atyrau-sews-masks/", &[]);
    assert_eq!(page.status, 200, "the last good site is still served");
    let status = server.edit(|| {
        site.article(
            "2020/03/a.md",
            "title: Atyrau sews masks\ndate: 2020-03-20\nregion: atyrau",
            "Text.\n",
        );
    });
    assert_eq!(status["ok"], true);
    assert_served_equals_clean_build(&site, &server);
}

#[test]
fn a_missing_file_is_reported_while_serving_as_a_build_reports_it() {
    let site = fixture();
    let server = DevServer::start(site.root());
    let status = server.edit(|| {
        site.article(
            "2020/03/a.md",
            "title: Atyrau sews masks\ndate: 2020-03-20\nregion: atyrau\nimage: /Photo.jpg",
            "Text.\n",
        );
    });
    assert_eq!(status["ok"], false);
    let problems = status["problems"].as_str().unwrap();
    assert!(
        problems.contains("`/Photo.jpg` does not exist"),
        "{problems}"
    );
    let status = server.edit(|| {
        site.article(
            "2020/03/a.md",
            "title: Atyrau sews masks\ndate: 2020-03-20\nregion: atyrau",
            "Text.\n",
        );
    });
    assert_eq!(status["ok"], true);
    assert_served_equals_clean_build(&site, &server);
}

#[test]
fn serving_is_safe_and_correct() {
    let site = fixture();
    std::fs::write(site.root().join("secret.txt"), "do not serve").unwrap();
    let server = DevServer::start(site.root());
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/%252e%252e/secret.txt",
        "/news/..%2f..%2fsecret.txt",
        "/..\\secret.txt",
        "/%5c..%5csecret.txt",
        "/site.yaml",
        "/content/news/2020/03/a.md",
    ] {
        let response = http::get(&server.addr, path, &[]);
        assert_eq!(response.status, 404, "{path}");
        assert!(!response.text().contains("do not serve"), "{path}");
    }
    let missing = http::get(&server.addr, "/no/such/page/", &[]);
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(missing.text().contains("reload.js"));
    let css = http::get(&server.addr, "/style.css", &[]);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(css.header("cache-control"), Some("no-cache"));
    let feed = http::get(&server.addr, "/atom.xml", &[]);
    assert_eq!(
        feed.header("content-type"),
        Some("application/atom+xml; charset=utf-8")
    );
    let redirect = http::get(&server.addr, "/about", &[]);
    assert_eq!(
        (redirect.status, redirect.header("location")),
        (301, Some("/about/"))
    );
    let head = http::request(&server.addr, "HEAD", "/", &[], b"").unwrap();
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    let api = http::get(&server.addr, "/api/polls/mothers-forum", &[]);
    assert_eq!(api.status, 200);
    assert_eq!(api.json()["id"], "mothers-forum");
    assert!(!site.public().exists(), "serve never writes public/");
}

/// Writes the settings, regions and poll of [`Fixture::new`] and article A into `root`.
fn write_site(root: &Path) {
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("site.yaml", util::SITE_YAML);
    write("content/regions.yaml", util::REGIONS_YAML);
    write("content/polls/mothers-forum.yaml", util::POLL_YAML);
    write(
        "content/news/2020/03/a.md",
        "---\ntitle: Atyrau sews masks\ndate: 2020-03-20\nregion: atyrau\n---\nText of A.\n",
    );
}

const PAGE_A: &str = "/news/2020/03/atyrau-sews-masks/";

/// Edits article A's text and asserts that the served page shows the new text.
fn assert_edits_are_served(server: &DevServer, site: &Path) {
    let page = server.page_within(PAGE_A, Duration::ZERO).unwrap();
    assert_eq!(page.text(".article-body"), "Text of A.");
    server.edit(|| {
        std::fs::write(
            site.join("content/news/2020/03/a.md"),
            "---\ntitle: Atyrau sews masks\ndate: 2020-03-20\nregion: atyrau\n---\nA new text.\n",
        )
        .unwrap();
    });
    let page = server.page_within(PAGE_A, Duration::ZERO).unwrap();
    assert_eq!(
        page.text(".article-body"),
        "A new text.",
        "the edit is served; the log says:\n{}",
        server.stderr()
    );
}

#[test]
fn edits_are_served_with_an_absolute_root() {
    let top = tempfile::tempdir().unwrap();
    let site = top.path().join("site");
    write_site(&site);
    let server = DevServer::spawn(|command| {
        command.arg("--root").arg(&site).current_dir(top.path());
    });
    assert_edits_are_served(&server, &site);
}

#[test]
fn edits_are_served_when_started_in_the_site_folder() {
    let top = tempfile::tempdir().unwrap();
    let site = top.path().join("site");
    write_site(&site);
    let server = DevServer::spawn(|command| {
        command.current_dir(&site);
    });
    assert_edits_are_served(&server, &site);
}

#[test]
fn edits_are_served_with_a_relative_root_from_a_sibling_folder() {
    let top = tempfile::tempdir().unwrap();
    let site = top.path().join("site");
    write_site(&site);
    let sibling = top.path().join("notes");
    std::fs::create_dir_all(&sibling).unwrap();
    let server = DevServer::spawn(|command| {
        command.args(["--root", "../site"]).current_dir(&sibling);
    });
    assert_edits_are_served(&server, &site);
}

/// A date `ahead` from now in RFC 3339 (whole seconds), and the `YYYY/MM` of its URL in
/// the fixture's time zone.
fn date_from_now(ahead: Duration) -> (String, String) {
    let at = jiff::Timestamp::now() + jiff::SignedDuration::try_from(ahead).unwrap();
    let zoned = at.in_tz("Asia/Almaty").unwrap();
    (
        zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        zoned.strftime("%Y/%m").to_string(),
    )
}

#[test]
fn a_scheduled_article_appears_when_its_time_comes() {
    let site = fixture();
    let (date, month) = date_from_now(Duration::from_secs(6));
    site.article(
        "2020/03/soon.md",
        &format!("title: Kostanay opens a Mothers Council\ndate: \"{date}\"\nregion: kostanay"),
        "Scheduled.\n",
    );
    let due = Instant::now() + Duration::from_secs(6);
    let path = format!("/news/{month}/kostanay-opens-a-mothers-council/");
    let server = DevServer::start(site.root());
    if Instant::now() + Duration::from_millis(500) < due {
        assert_eq!(http::get(&server.addr, &path, &[]).status, 404, "not yet");
    }
    // No edit, no restart: the page appears on its own once its date has passed.
    let page = server
        .page_within(&path, Duration::from_secs(25))
        .unwrap_or_else(|| panic!("{path} never appeared; the log says:\n{}", server.stderr()));
    assert_eq!(page.text("h1"), "Kostanay opens a Mothers Council");
    let front = server.page_within("/", Duration::ZERO).unwrap();
    assert!(
        front
            .texts(".card-title")
            .contains(&"Kostanay opens a Mothers Council".to_string()),
        "the front page lists it too"
    );
}

#[test]
fn an_article_dated_now_written_while_serving_is_served() {
    let site = fixture();
    let server = DevServer::start(site.root());
    // Dated after the server started, in whole seconds as editors write dates.
    std::thread::sleep(Duration::from_millis(1100));
    let (date, month) = date_from_now(Duration::ZERO);
    let status = server.edit(|| {
        site.article(
            "2020/03/now.md",
            &format!("title: Astana volunteers deliver food\ndate: \"{date}\"\nregion: astana"),
            "Just now.\n",
        );
    });
    assert_eq!(status["ok"], true);
    let path = format!("/news/{month}/astana-volunteers-deliver-food/");
    let page = server
        .page_within(&path, Duration::from_secs(2))
        .unwrap_or_else(|| panic!("{path} is not served; the log says:\n{}", server.stderr()));
    assert_eq!(page.text(".article-body"), "Just now.");
}

#[test]
fn drafts_are_previewed_unless_no_drafts() {
    let site = fixture();
    site.article(
        "2020/03/draft.md",
        "title: Atyrau plans a forum\ndate: 2020-03-23\nregion: atyrau\ndraft: true",
        "Not yet.\n",
    );
    let path = "/news/2020/03/atyrau-plans-a-forum/";
    let start = |flags: &'static [&'static str]| {
        DevServer::spawn(|command| {
            command.args(flags).arg("--root").arg(site.root());
        })
    };
    let by_default = start(&[]);
    let page = by_default.page_within(path, Duration::ZERO);
    assert_eq!(
        page.expect("a draft is previewed").text("h1"),
        "Atyrau plans a forum"
    );
    drop(by_default);
    assert_eq!(
        http::get(&start(&["--no-drafts"]).addr, path, &[]).status,
        404
    );
    assert_eq!(http::get(&start(&["--drafts"]).addr, path, &[]).status, 200);
    let last_wins = start(&["--drafts", "--no-drafts"]);
    assert_eq!(http::get(&last_wins.addr, path, &[]).status, 404);
}

/// The next time a session's site changes by itself, for a session at `now`.
fn next_change(site: &Fixture, now: &str) -> Option<(String, String)> {
    let options = birge::build::BuildOptions {
        root: site.root().to_path_buf(),
        now: Some(now.parse().unwrap()),
        ..Default::default()
    };
    let served = birge::serve::files::MemorySite::default();
    let session = birge::build::Pipeline::start(&options, &served, true)
        .unwrap()
        .0;
    session
        .next_change()
        .map(|due| (due.at.to_string(), due.what))
}

#[test]
fn the_next_change_is_the_soonest_timed_event() {
    let site = fixture();
    site.article(
        "2020/04/pinned.md",
        "title: Forum of Mothers Council\ndate: 2020-04-01\npinned: true\npinned_until: 2020-04-10T12:00:00+06:00",
        "Pinned.\n",
    )
    .article(
        "2020/05/later.md",
        "title: Atyrau later\ndate: 2020-05-01T09:00:00+06:00",
        "Later.\n",
    )
    .file(
        "content/polls/spring.yaml",
        "question: Spring?\noptions: [yes, no]\nopens: 2020-04-05\ncloses: 2020-04-20\n",
    );
    let at = |now: &str| next_change(&site, now);
    let pair = |at: &str, what: &str| Some((at.to_string(), what.to_string()));
    // Dates without an offset are in the site's zone, Asia/Almaty (+06:00 in 2020; a
    // poll takes votes until the end of its closing day).
    assert_eq!(
        at("2020-04-02T00:00:00Z"),
        pair("2020-04-04T18:00:00Z", "poll spring opens")
    );
    assert_eq!(
        at("2020-04-05T00:00:00Z"),
        pair(
            "2020-04-10T06:00:00Z",
            "the pin of content/news/2020/04/pinned.md ends"
        )
    );
    assert_eq!(
        at("2020-04-11T00:00:00Z"),
        pair("2020-04-20T18:00:00Z", "poll spring closes")
    );
    assert_eq!(
        at("2020-04-21T00:00:00Z"),
        pair(
            "2020-05-01T03:00:00Z",
            "content/news/2020/05/later.md comes due"
        )
    );
    assert_eq!(at("2020-06-01T00:00:00Z"), None);
}

#[test]
fn articles_written_into_new_folders_while_serving_are_served() {
    let site = fixture();
    let server = DevServer::start(site.root());
    // `birge new` writes into a new month's folder: the folder appears, and its file is
    // written before the watcher watches it.
    server.edit(|| {
        site.article(
            "2020/04/first/second/new.md",
            "title: Semey opens a volunteer centre\ndate: 2020-04-02\nregion: astana",
            "Opened.\n",
        );
    });
    let path = "/news/2020/04/semey-opens-a-volunteer-centre/";
    let page = server
        .page_within(path, Duration::from_secs(2))
        .unwrap_or_else(|| panic!("{path} is not served; the log says:\n{}", server.stderr()));
    assert_eq!(page.text(".article-body"), "Opened.");
    // A folder moved away takes its articles with it.
    server.edit(|| {
        std::fs::rename(
            site.root().join("content/news/2020/04"),
            site.root().join("moved-away"),
        )
        .unwrap();
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while http::get(&server.addr, path, &[]).status != 404 {
        assert!(Instant::now() < deadline, "{path} is still served");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_served_equals_clean_build(&site, &server);
}
