//! `birge serve`: after every edit the served site equals a clean build, paths outside the
//! site cannot be reached, and the vote API is mounted.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::http;
use super::util::{self, Fixture};

/// A running `birge serve`, killed when dropped.
struct DevServer {
    child: Child,
    addr: String,
}

impl DevServer {
    fn start(root: &Path) -> DevServer {
        let mut child = Command::new(util::BIRGE)
            .args(["serve", "--port", "0", "--root"])
            .arg(root)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("birge serve starts");
        let stderr = child.stderr.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("serving http://") {
                    let _ = sender.send(rest.split('/').next().unwrap_or("").to_string());
                }
            }
        });
        let addr = receiver
            .recv_timeout(Duration::from_secs(30))
            .expect("birge serve announces its address");
        DevServer { child, addr }
    }

    fn generation(&self) -> u64 {
        http::get(&self.addr, "/__birge/status", &[]).json()["generation"]
            .as_u64()
            .unwrap()
    }

    /// Applies an edit and waits until the server has rebuilt after it.
    fn edit(&self, change: impl FnOnce()) -> serde_json::Value {
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
}

impl Drop for DevServer {
    fn drop(&mut self) {
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
fn assert_served_equals_clean_build(site: &Fixture, server: &DevServer) {
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
