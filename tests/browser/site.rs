//! A fixture site built with the real `birge` binary and served, with the vote service,
//! on one loopback origin, as a deployment puts them behind one host.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use birge::polls::Definitions;
use birge::polls::service::{Options, Service};
use birge::polls::store::Store;

/// The article that places the poll in its text.
pub const ARTICLE_PATH: &str = "/news/2020/03/mothers-forum/";

const REGIONS_YAML: &str = "\
- slug: atyrau
  name: {en: Atyrau Region, kk: Атырау облысы, ru: Атырауская область}
";

const POLL_YAML: &str = "\
question:
  en: When was the First Republican Forum of Mothers Council held?
  kk: Аналар кеңесінің бірінші республикалық форумы қашан өтті?
options:
  - {en: \"September 7, 2011\", kk: 2011 жылғы 7 қыркүйек}
  - {en: \"April 24, 2013\", kk: 2013 жылғы 24 сәуір}
  - {en: \"November 13, 2014\", kk: 2014 жылғы 13 қараша}
opens: 2020-03-01
";

/// More polls, each shown on its own page `/polls/<id>/`: an open quiz, a multiple-choice
/// poll and a quiz that closed long ago.
const MORE_POLLS: [(&str, &str); 3] = [
    (
        "capital",
        "question: Which city is the capital of Kazakhstan?\nkind: quiz\nanswer: 1\n\
         options: [Almaty, Astana, Shymkent]\n",
    ),
    (
        "languages",
        "question: In which languages do you read the bulletin?\nkind: multiple\n\
         options: [Kazakh, Russian, English]\n",
    ),
    (
        "founding",
        "question: In which year was the Assembly founded?\nkind: quiz\nanswer: 1\n\
         options: [\"1991\", \"1995\", \"2000\"]\nopens: 2019-01-01\ncloses: 2019-12-31\n",
    ),
];

const ARTICLE_MD: &str = "---\ntitle: Mothers councils meet in Atyrau\ndate: 2020-03-21\nslug: mothers-forum\nregions: [atyrau]\n---\nThe regional council of mothers met on Saturday.\n\n{{ poll(id=\"mothers-forum\") }}\n\n\
The forum's resolution was sent to every district.\n";

/// A built site served with the vote API until dropped.
pub struct Site {
    /// `127.0.0.1:port`.
    pub addr: String,
    _dir: tempfile::TempDir,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Site {
    /// Builds the fixture site for the origin it will be served on, then serves it with no
    /// rate limit.
    pub fn start() -> Site {
        Site::with_rate_limit(0)
    }

    /// [`Site::start`] with a vote service that takes `per_minute` votes per address.
    pub fn with_rate_limit(per_minute: u32) -> Site {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        let addr = listener
            .local_addr()
            .expect("the listener's address")
            .to_string();
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = dir.path();
        let site_yaml = format!(
            "title: Browser Bulletin\nbase_url: http://{addr}\nlanguage: en\nlanguages: [en, kk, ru]\n\
             timezone: Asia/Almaty\npaginate: 20\npolls:\n  featured: mothers-forum\n"
        );
        write(root, "site.yaml", &site_yaml);
        write(root, "content/regions.yaml", REGIONS_YAML);
        write(root, "content/polls/mothers-forum.yaml", POLL_YAML);
        write(root, "content/news/mothers-forum.md", ARTICLE_MD);
        for (id, yaml) in MORE_POLLS {
            write(root, &format!("content/polls/{id}.yaml"), yaml);
        }
        let out = Command::new(env!("CARGO_BIN_EXE_birge"))
            .arg("build")
            .arg("--root")
            .arg(root)
            .args(["--base-url", &format!("http://{addr}"), "--quiet"])
            .output()
            .expect("birge runs");
        assert!(
            out.status.success(),
            "the fixture site does not build:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );

        let definitions = Definitions::from_root(root).expect("poll definitions");
        let store = Store::open(&root.join("votes.sqlite")).expect("a vote store");
        let options = Options {
            rate_limit: per_minute,
            log: false,
            ..Default::default()
        };
        let service = Arc::new(Service::with_definitions(definitions, None, store, options));
        let public = Arc::new(root.join("public"));
        let app = service
            .router()
            .fallback(move |uri: Uri| static_file(Arc::clone(&public), uri));

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        runtime.spawn(async move {
            listener
                .set_nonblocking(true)
                .expect("a non-blocking listener");
            let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
            let served = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
            served.expect("the site is served");
        });
        Site {
            addr,
            _dir: dir,
            runtime: Some(runtime),
        }
    }

    /// The absolute URL of a site path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The live total of a poll, from the API.
    pub fn total(&self, poll: &str) -> u64 {
        let response = crate::http::get(&self.addr, &format!("/api/polls/{poll}"));
        assert_eq!(
            response.status,
            200,
            "GET /api/polls/{poll}: {}",
            response.text()
        );
        response.json()["total"].as_u64().expect("a total")
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(std::time::Duration::from_secs(5));
        }
    }
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("a parent folder")).expect("a folder");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// A file of the build: `/x/` is `/x/index.html`; no way out of `public/`.
pub async fn static_file(public: Arc<PathBuf>, uri: Uri) -> Response {
    let path = uri.path();
    if !path.starts_with('/')
        || path
            .split('/')
            .any(|part| part == ".." || part.contains('\\'))
    {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let mut file = public.join(path.trim_start_matches('/'));
    if path.ends_with('/') {
        file.push("index.html");
    }
    match std::fs::read(&file) {
        Ok(bytes) => ([(header::CONTENT_TYPE, content_type(&file))], bytes).into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "xml" => "application/xml",
        _ => "application/octet-stream",
    }
}
