//! A tiny W3C WebDriver client: starts chromedriver on a free port, opens one headless
//! Chromium session with a fresh profile, and ends both when dropped (also on a panic).

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long a wait for the page may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// The key of an element reference in W3C WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn tool(variable: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(variable).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        path.is_file(),
        "{} not found: the browser tests need Chromium and its WebDriver; install the Debian packages \
         `chromium chromium-driver` (apt-get install chromium chromium-driver), or set {variable} to its path",
        path.display()
    );
    path
}

/// A headless Chromium under chromedriver.
pub struct Browser {
    driver: Child,
    addr: String,
    session: String,
    profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a browser session, with JavaScript on or off.
    pub fn start(javascript: bool) -> Browser {
        let chromedriver = tool("CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = tool("CHROMIUM", "/usr/bin/chromium");
        let profile = tempfile::tempdir().expect("a temporary browser profile");
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
            probe.local_addr().expect("the probe's address").port()
        };
        // A process group of its own, so that the browser it starts ends with it.
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let mut browser = Browser {
            driver,
            addr: format!("127.0.0.1:{port}"),
            session: String::new(),
            profile,
        };
        browser.wait_for_driver();

        // Reduced motion turns off the theme's smooth scrolling, which would move elements
        // away from under the clicks WebDriver aims at them.
        let mut options = json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,1000", "--force-prefers-reduced-motion",
                format!("--user-data-dir={}", browser.profile.path().display()),
            ],
        });
        if !javascript {
            options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "timeouts": { "pageLoad": 30_000, "script": 10_000 },
        } } });
        let created = browser
            .call("POST", "/session", Some(capabilities))
            .unwrap_or_else(|e| panic!("no browser session: {e}"));
        browser.session = created["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        browser
    }

    fn wait_for_driver(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.driver.try_wait() {
                panic!("chromedriver exited before it got ready ({status})");
            }
            let ready =
                crate::http::request(&self.addr, "GET", "/status", None, Duration::from_secs(2))
                    .is_ok_and(|r| r.status == 200 && r.json()["value"]["ready"] == true);
            if ready {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not get ready on {}",
                self.addr
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends a WebDriver command; gives its `value`, or the error it names.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let body = body.or_else(|| (method == "POST").then(|| json!({})));
        let response = crate::http::request(
            &self.addr,
            method,
            path,
            body.as_ref(),
            Duration::from_secs(60),
        )
        .map_err(|e| format!("{method} {path}: {e}"))?;
        let mut answer = response.json();
        let value = answer["value"].take();
        if response.status == 200 {
            Ok(value)
        } else {
            Err(format!(
                "{method} {path}: {} {}: {}",
                response.status, value["error"], value["message"]
            ))
        }
    }

    /// A command of this session that must succeed.
    fn session(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("/session/{}{path}", self.session), body)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Opens a URL and waits for it to load.
    pub fn go(&self, url: &str) {
        self.session("POST", "/url", Some(json!({ "url": url })));
    }

    /// Reloads the page.
    pub fn refresh(&self) {
        self.session("POST", "/refresh", None);
    }

    /// The current URL.
    pub fn url(&self) -> String {
        self.session("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The reference of the first element matching `css`, if any.
    fn find(&self, css: &str) -> Option<String> {
        let body = json!({ "using": "css selector", "value": css });
        let found = self
            .call(
                "POST",
                &format!("/session/{}/element", self.session),
                Some(body),
            )
            .ok()?;
        found[ELEMENT].as_str().map(str::to_string)
    }

    /// The references of every element matching `css`.
    pub fn find_all(&self, css: &str) -> Vec<String> {
        let body = json!({ "using": "css selector", "value": css });
        let found = self.session("POST", "/elements", Some(body));
        let list = found.as_array().map(Vec::as_slice).unwrap_or_default();
        list.iter()
            .filter_map(|e| e[ELEMENT].as_str().map(str::to_string))
            .collect()
    }

    fn element(&self, css: &str) -> String {
        self.find(css)
            .unwrap_or_else(|| panic!("no element matches `{css}` on {}", self.url()))
    }

    /// Clicks the element matching `css`.
    pub fn click(&self, css: &str) {
        self.session(
            "POST",
            &format!("/element/{}/click", self.element(css)),
            None,
        );
    }

    /// The rendered text of the element matching `css`, if there is one.
    pub fn text(&self, css: &str) -> Option<String> {
        let id = self.find(css)?;
        let text = self
            .call(
                "GET",
                &format!("/session/{}/element/{id}/text", self.session),
                None,
            )
            .ok()?;
        text.as_str().map(str::to_string)
    }

    /// An attribute as written in the page (not resolved like the matching property).
    pub fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let value = self.session(
            "GET",
            &format!("/element/{}/attribute/{name}", self.element(css)),
            None,
        );
        value.as_str().map(str::to_string)
    }

    /// Whether the element matching `css` is shown.
    pub fn displayed(&self, css: &str) -> bool {
        self.session(
            "GET",
            &format!("/element/{}/displayed", self.element(css)),
            None,
        ) == true
    }

    /// Polls `check` until it gives `Ok`, for at most [`WAIT`]; panics with what it saw last.
    pub fn wait_for<T>(
        &self,
        what: &str,
        mut check: impl FnMut(&Browser) -> Result<T, String>,
    ) -> T {
        let started = Instant::now();
        loop {
            match check(self) {
                Ok(value) => return value,
                Err(seen) if started.elapsed() > WAIT => {
                    self.screenshot("timeout");
                    panic!(
                        "waited {WAIT:?} for {what}; last seen: {seen}\n(at {})",
                        self.url()
                    );
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Waits for the text of the element matching `css` to pass `check`; gives the text.
    pub fn wait_for_text(&self, what: &str, css: &str, check: impl Fn(&str) -> bool) -> String {
        self.wait_for(what, |b| {
            let text = b.text(css).unwrap_or_default();
            if check(&text) {
                Ok(text)
            } else {
                Err(format!("`{css}`: {text:?}"))
            }
        })
    }

    /// Waits for the browser to be at `url`, query string aside.
    pub fn wait_for_url(&self, what: &str, url: &str) {
        self.wait_for(what, |b| {
            let now = b.url();
            if now.split('?').next() == Some(url) {
                Ok(())
            } else {
                Err(now)
            }
        });
    }

    /// Runs a script in the page (JavaScript on only); gives its result.
    pub fn script(&self, script: &str) -> Value {
        self.session(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Saves a screenshot to `$BIRGE_BROWSER_SCREENSHOTS/<name>.png` when that is set.
    pub fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("BIRGE_BROWSER_SCREENSHOTS") else {
            return;
        };
        let Ok(png) = self.call(
            "GET",
            &format!("/session/{}/screenshot", self.session),
            None,
        ) else {
            return;
        };
        let path = PathBuf::from(dir).join(format!("{name}.png"));
        if let Err(e) = std::fs::write(&path, base64_decode(png.as_str().unwrap_or_default())) {
            eprintln!("cannot write {}: {e}", path.display());
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.call("DELETE", &format!("/session/{}", self.session), None);
        }
        // SAFETY: kill(2) on the process group this test started chromedriver in; it holds
        // chromedriver and the browser it started, nothing else.
        unsafe {
            libc::kill(-(self.driver.id() as i32), libc::SIGKILL);
        }
        let _ = self.driver.wait();
    }
}

/// Standard base64, as WebDriver gives screenshots.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let sextets: Vec<u8> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(sextets.len() * 3 / 4);
    for chunk in sextets.chunks(4) {
        let bits = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &s)| acc | u32::from(s) << (18 - 6 * i));
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}
