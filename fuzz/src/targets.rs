//! The fuzz targets' logic, shared by the cargo-fuzz binaries in `fuzz/fuzz_targets/` and by
//! `tests/corpus.rs`, which replays the kept corpus in CI without cargo-fuzz. Both include this
//! file with `#[path]`, so the fuzzer and the replay run the very same code.
//!
//! Each target takes arbitrary bytes and must neither panic, nor hang, nor let markup through
//! where the output promises escaped text. The checks here (beyond "it returned") are the
//! oracles: a failed `assert!` is a crash to the fuzzer and a failed test to CI.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use birge::build::BuildOptions;
use birge::build::Pipeline;
use birge::config::Config;
use birge::content::front_matter::{
    self, ARTICLE_KEYS, ArticleFrontMatter, PAGE_KEYS, PageFrontMatter,
};
use birge::content::polls::{Definition, Index, PollText};
use birge::content::{PollKind, polls, regions};
use birge::markdown;
use birge::polls::service::{Options, Service};
use birge::polls::store::Store;
use birge::polls::{Definitions, limit, page};
use birge::serve::files::MemorySite;

/// The fixture site's settings.
pub const SITE_YAML: &str = "title: Fuzz Bulletin\nbase_url: https://example.kz\nlanguage: en\nlanguages: [en, kk, ru]\ntimezone: Asia/Almaty\npolls:\n  featured: mothers-forum\n";

/// The fixture site's regions.
pub const REGIONS_YAML: &str = "\
- slug: atyrau
  name: {en: Atyrau Region, kk: Атырау облысы, ru: Атырауская область}
  description: \"The regional assembly of *Atyrau*.\"
  former: [guryev]
- slug: kostanay
  name: {en: Kostanay Region, kk: Қостанай облысы, ru: Костанайская область}
";

const POLL_YAML: &str = "question: When was the First Republican Forum of Mothers Council held?\noptions: [\"September 7, 2011\", \"April 24, 2013\", \"November 13, 2014\"]\n";

const NEIGHBOUR: &str = "---\ntitle: Volunteers of Atyrau sew masks\ndate: 2020-03-26\nregion: atyrau\ntags: [masks, volunteers]\n---\nThe volunteers of *Atyrau* sewed masks.\n\n{{ poll(id=\"mothers-forum\") }}\n";

/// A scratch folder of this process under the system's temporary folder (or /dev/shm).
fn scratch(name: &str) -> PathBuf {
    let base = Path::new("/dev/shm");
    let base = if base.is_dir() {
        base.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    // Statics are never dropped, so earlier processes left their folders: remove those
    // whose process is gone.
    for entry in std::fs::read_dir(&base).into_iter().flatten().flatten() {
        let file_name = entry.file_name();
        let pid = file_name
            .to_str()
            .and_then(|n| n.strip_prefix("birge-fuzz-"))
            .and_then(|rest| rest.split('-').next());
        if let Some(pid) = pid
            && !Path::new("/proc").join(pid).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let dir = base.join(format!("birge-fuzz-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A small site kept in memory by a [`Pipeline`], as `birge serve` keeps it.
struct SiteHarness {
    root: PathBuf,
    session: Pipeline,
    site: MemorySite,
}

fn site_harness() -> &'static Mutex<SiteHarness> {
    static HARNESS: OnceLock<Mutex<SiteHarness>> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let root = scratch("site");
        let write = |rel: &str, text: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("site.yaml", SITE_YAML);
        write("content/regions.yaml", REGIONS_YAML);
        write("content/polls/mothers-forum.yaml", POLL_YAML);
        write("content/news/2020/03/masks.md", NEIGHBOUR);
        write(
            "content/pages/about.md",
            "---\ntitle: About\n---\nAbout us.\n",
        );
        write(
            "content/news/fuzz.md",
            "---\ntitle: Fuzz\ndate: 2020-03-27\n---\nText.\n",
        );
        let options = BuildOptions {
            root: root.clone(),
            drafts: true,
            future: true,
            now: Some("2020-04-01T00:00:00Z".parse().unwrap()),
            ..BuildOptions::default()
        };
        let site = MemorySite::default();
        let session = Pipeline::start(&options, &site, true)
            .expect("the fixture site builds")
            .0;
        Mutex::new(SiteHarness {
            root,
            session,
            site,
        })
    })
}

fn markdown_context_parts() -> (
    std::collections::HashMap<String, String>,
    std::collections::HashSet<String>,
) {
    (
        [(
            "news/2020/03/masks.md".to_string(),
            "/news/2020/03/volunteers-of-atyrau-sew-masks/".to_string(),
        )]
        .into(),
        ["mothers-forum".to_string()].into(),
    )
}

/// Target `article`: one Markdown file through front matter, Markdown, shortcodes and the
/// rendering of every page it touches (article, lists, tags, regions, feeds, JSON-LD).
pub fn article(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let (targets, poll_ids) = markdown_context_parts();
        let withheld = [("news/draft.md".to_string(), markdown::Withheld::Draft)].into();
        let cx = markdown::Context {
            source: "content/news/fuzz.md",
            body_line: 1,
            link_targets: &targets,
            withheld: &withheld,
            polls: &poll_ids,
            base_url: "https://example.kz",
        };
        if let Ok(split) = front_matter::split("content/news/fuzz.md", text) {
            let _ = front_matter::parse::<ArticleFrontMatter>(
                "content/news/fuzz.md",
                split.yaml,
                ARTICLE_KEYS,
            );
            let _ = front_matter::parse::<PageFrontMatter>(
                "content/pages/fuzz.md",
                split.yaml,
                PAGE_KEYS,
            );
            let _ = markdown::render(split.body, &cx);
        }
        let (rendered, _) = markdown::render(text, &cx);
        assert!(rendered.html.len() >= rendered.summary.len() / 4);
        let _ = markdown::render_snippet(text);
        for lang in ["en", "kk", "ru"] {
            let slug = birge::slug::slugify(text, lang);
            assert!(
                slug.is_empty() || regions::is_valid_slug(&slug),
                "slugify gave `{slug}`"
            );
        }
    }
    let mut harness = lock(site_harness());
    let harness = &mut *harness;
    let path = harness.root.join("content/news/fuzz.md");
    std::fs::write(&path, data).expect("the scratch site is writable");
    // Errors are fine (they are the editor's problems); panics and hangs are not.
    let _ = harness.session.update(&harness.site, &[path]);
}

/// Target `data_files`: the text as `site.yaml`, `content/regions.yaml` and a poll file.
pub fn data_files(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let language = match Config::parse(text) {
        Ok(config) => {
            assert!(!config.title.default_text().trim().is_empty());
            assert!(config.paginate >= 1);
            assert_eq!(config.languages.first(), Some(&config.language));
            config.language
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            "en".to_string()
        }
    };
    if let Ok(found) = regions::parse(text, &language) {
        for region in &found {
            assert!(regions::is_valid_slug(&region.slug));
            let _ = region.name("kk", &language);
        }
    }
    let site = Config::for_test();
    if let Ok(poll) = polls::parse("fuzz", "content/polls/fuzz.yaml", text, &site) {
        assert!((2..=10).contains(&poll.option_count()));
        for (lang, text) in &poll.translations {
            assert!(site.languages.contains(lang));
            assert_eq!(text.options.len(), poll.option_count());
        }
        let now = jiff::Timestamp::now();
        let _ = poll.state_at(now);
        if let Some(change) = poll.next_change_after(now) {
            assert!(change.at > now && change.to != poll.state_at(now));
        }
        assert!(poll.check_ballot(&[0]).is_some() || poll.kind == PollKind::Multiple);
        assert!(poll.check_ballot(&[usize::MAX]).is_none());
        // What `birge polls definitions` writes, the service reads back as the same poll.
        let definition = poll.definition();
        let read = definition
            .clone()
            .into_poll("polls.json")
            .expect("a poll's own definition");
        assert_eq!(read.definition(), definition);
    }
    let _ = birge::yaml::top_level_keys(text);
    for key in ["title", "tags", "regions", "options"] {
        let _ = birge::yaml::key_position(text, key);
        let _ = birge::yaml::value_position(text, key, "atyrau");
    }
    // The same text as the JSON that `--polls` and `polls.database` read.
    if let Ok(index) = serde_json::from_str::<Index>(text) {
        let _ = Definitions::from_index(index, "polls.json");
    }
    let _ = serde_json::from_str::<birge::polls::Export>(text);
}

/// The vote service under test: a fixture of hostile poll definitions over a scratch store.
struct VoteHarness {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
}

/// Poll labels and questions that would break out of HTML and JSON if not escaped.
pub const HOSTILE: &str = "</script><script>alert(\"x\")</script>'\"&<b>";

fn vote_harness() -> &'static VoteHarness {
    static HARNESS: OnceLock<VoteHarness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let dir = scratch("votes");
        let definition =
            |id: &str, kind: PollKind, answer, opens: Option<&str>, closes: Option<&str>| {
                Definition {
                    id: id.to_string(),
                    question: format!("{id}? {HOSTILE}"),
                    options: vec![
                        format!("One {HOSTILE}"),
                        "Two".to_string(),
                        "Three".to_string(),
                    ],
                    translations: [(
                        "kk".to_string(),
                        PollText {
                            question: format!("{id}? kk {HOSTILE}"),
                            options: vec![format!("Бір {HOSTILE}"), "Екі".into(), "Үш".into()],
                        },
                    )]
                    .into(),
                    kind,
                    answer,
                    opens: opens.map(str::to_string),
                    closes: closes.map(str::to_string),
                    lang: None,
                    url: Some(format!("/polls/{id}/")),
                }
            };
        let definitions = Definitions::from_index(
            Index {
                language: "en".into(),
                languages: vec!["en".into(), "kk".into(), "ru".into()],
                polls: vec![
                    definition("open", PollKind::Single, None, None, None),
                    definition("many", PollKind::Multiple, None, None, None),
                    definition("quiz", PollKind::Quiz, Some(1), None, None),
                    definition(
                        "closed",
                        PollKind::Single,
                        None,
                        None,
                        Some("2020-04-30T23:59:59+05:00"),
                    ),
                    definition(
                        "later",
                        PollKind::Single,
                        None,
                        Some("2099-01-01T00:00:00+05:00"),
                        None,
                    ),
                ],
            },
            "fuzz definitions",
        )
        .expect("valid definitions");
        let store = Store::open(&dir.join("votes.sqlite")).expect("a scratch store");
        let options = Options {
            allow_origins: vec!["https://allowed.example".into()],
            rate_limit: 1_000_000,
            poll_quota: 0,
            trust_proxy: limit::parse_trusted(&["127.0.0.0/8".into()]).unwrap(),
            max_body: 4096,
            log: false,
        };
        let service = Arc::new(Service::with_definitions(definitions, None, store, options));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        VoteHarness {
            runtime,
            router: service.router(),
        }
    })
}

/// A request read leniently from fuzz bytes: `METHOD PATH` on the first line, `Name: value`
/// lines up to an empty line, then the body. `None` when the method or path is unusable.
pub fn request_from(data: &[u8]) -> Option<axum::http::Request<axum::body::Body>> {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let mut lines = head.split(|&b| b == b'\n');
    let first = lines.next()?;
    let mut parts = first.splitn(2, |&b| b == b' ');
    let method = axum::http::Method::from_bytes(parts.next()?).ok()?;
    let uri = axum::http::Uri::try_from(parts.next()?).ok()?;
    let mut builder = axum::http::Request::builder().method(method).uri(uri);
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = axum::http::HeaderName::from_bytes(&line[..colon]);
        let value = axum::http::HeaderValue::from_bytes(line[colon + 1..].trim_ascii());
        if let (Ok(name), Ok(value)) = (name, value) {
            builder = builder.header(name, value);
        }
    }
    builder.body(axum::body::Body::from(body.to_vec())).ok()
}

/// Target `vote_api`: the bytes as an HTTP request to the vote service's router, plus the
/// pure pieces (return_to, forwarded addresses, the results page) on the same bytes.
pub fn vote_api(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let back = page::safe_return_to(Some(&text), "open");
    assert!(back.starts_with('/') && !back.starts_with("//") && !back.contains('\\'));
    let trusted = limit::parse_trusted(&["127.0.0.0/8".into(), "10.0.0.0/8".into()]).unwrap();
    let _ = limit::client_address([127, 0, 0, 1].into(), Some(&text), &trusted);
    let _ = limit::parse_trusted(&[text.to_string()]);

    let Some(request) = request_from(data) else {
        return;
    };
    let harness = vote_harness();
    let (status, headers, body) = harness.runtime.block_on(async {
        use tower::ServiceExt;
        let response = harness
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20)
            .await
            .expect("a response body");
        (parts.status, parts.headers, bytes)
    });
    assert!(
        !status.is_server_error(),
        "{status}: {}",
        String::from_utf8_lossy(&body)
    );
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") {
        let value: serde_json::Value =
            serde_json::from_slice(&body).expect("JSON answers are JSON");
        assert!(value.is_object());
    }
    if content_type.starts_with("text/html") {
        let html = String::from_utf8_lossy(&body);
        assert!(!html.contains("<script"), "markup got through: {html}");
        assert!(!html.contains("<b>"), "markup got through: {html}");
        assert!(!html.contains("href=\"//"), "a link off the site: {html}");
    }
    if status == axum::http::StatusCode::SEE_OTHER {
        let location = headers
            .get(axum::http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(location.starts_with("/api/polls/"), "{location}");
    }
}
