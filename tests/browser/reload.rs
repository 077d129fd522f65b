//! Live reload in a real browser: an open page reloads after an edit, a stylesheet edit
//! swaps the stylesheet without a reload, and a broken edit shows the problems overlay.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::webdriver::Browser;

/// `birge serve` on a free port, killed when dropped.
struct DevServer {
    child: Child,
    addr: String,
}

impl DevServer {
    fn start(root: &Path) -> DevServer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_birge"))
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
}

/// Stops the server as Ctrl-C would (it then removes its throwaway vote store), and kills it
/// if it has not stopped within five seconds.
impl Drop for DevServer {
    fn drop(&mut self) {
        // SAFETY: sending a signal to our own child process.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGINT);
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while matches!(self.child.try_wait(), Ok(None)) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn article(root: &Path, title: &str, region: &str) {
    write(
        root,
        "content/news/2020/03/masks.md",
        &format!(
            "---\ntitle: {title}\nslug: masks\ndate: 2020-03-20\nregion: {region}\n---\nVolunteers sewed masks.\n"
        ),
    );
}

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "site.yaml",
        "title: Reload Bulletin\nbase_url: https://example.kz\n",
    );
    write(
        root,
        "content/regions.yaml",
        "- slug: atyrau\n  name: {en: Atyrau Region}\n",
    );
    article(root, "Atyrau volunteers sew masks", "atyrau");
    write(root, "static/extra.css", "body { margin: 0; }\n");
    dir
}

const PAGE: &str = "/news/2020/03/masks/";

/// Waits until the page's reload script has connected to the server's event stream.
fn wait_until_live(browser: &Browser) {
    browser.wait_for("the reload stream to connect", |b| {
        let live = b.script("return document.documentElement.hasAttribute('data-birge-live');");
        if live == true {
            Ok(())
        } else {
            Err(format!("{live}"))
        }
    });
}

#[test]
fn an_open_page_reloads_after_an_edit() {
    let dir = fixture();
    let server = DevServer::start(dir.path());
    let browser = Browser::start(true);
    browser.go(&format!("http://{}{PAGE}", server.addr));
    assert_eq!(
        browser.text("h1").as_deref(),
        Some("Atyrau volunteers sew masks")
    );
    browser.script("window.birgeMarker = 'before the edit'; return true;");
    // Let the page's event stream connect before the edit.
    wait_until_live(&browser);
    article(dir.path(), "Atyrau volunteers sew 500 masks", "atyrau");
    browser.wait_for_text("the page to show the new headline", "h1", |t| {
        t == "Atyrau volunteers sew 500 masks"
    });
    assert_eq!(
        browser.script("return window.birgeMarker === undefined;"),
        true,
        "the page was reloaded"
    );
}

#[test]
fn a_stylesheet_edit_swaps_styles_without_reloading() {
    let dir = fixture();
    let server = DevServer::start(dir.path());
    let browser = Browser::start(true);
    browser.go(&format!("http://{}{PAGE}", server.addr));
    browser.script("window.birgeMarker = 'kept'; return true;");
    wait_until_live(&browser);
    write(dir.path(), "static/extra.css", "body { margin: 3px; }\n");
    browser.wait_for("the stylesheets to be fetched again", |b| {
        let swapped = b.script("return [...document.querySelectorAll('link[rel=stylesheet]')].every(l => l.href.includes('birge='));");
        if swapped == true { Ok(()) } else { Err(format!("{swapped}")) }
    });
    assert_eq!(
        browser.script("return window.birgeMarker;"),
        "kept",
        "no full reload"
    );
}

#[test]
fn a_broken_edit_shows_the_problems_and_the_fix_clears_them() {
    let dir = fixture();
    let server = DevServer::start(dir.path());
    let browser = Browser::start(true);
    browser.go(&format!("http://{}{PAGE}", server.addr));
    wait_until_live(&browser);
    article(dir.path(), "Atyrau volunteers sew masks", "atyraw");
    let text = browser.wait_for_text("the problems overlay", "#birge-problems", |t| {
        t.contains("unknown region `atyraw`")
    });
    assert!(text.contains("content/news/2020/03/masks.md"), "{text}");
    assert_eq!(
        browser.text("h1").as_deref(),
        Some("Atyrau volunteers sew masks"),
        "the last good page stays"
    );
    article(dir.path(), "Atyrau volunteers sew masks again", "atyrau");
    browser.wait_for_text("the fixed page", "h1", |t| {
        t == "Atyrau volunteers sew masks again"
    });
    assert!(
        browser.find_all("#birge-problems").is_empty(),
        "the overlay is gone"
    );
}
