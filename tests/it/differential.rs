//! Incremental builds proved by difference: random series of edits to a small site (articles
//! in three languages, regions, polls, a bundle, pages, template overrides), after each of
//! which what `birge serve` holds in memory equals a clean build's output byte for byte, or
//! both fail and the served site is left as it was.
//!
//! The incremental side goes through one adapter, [`Incremental`]; the clean side is
//! [`clean_build`]. Edits that the incremental path once got wrong are kept as regression
//! tests at the bottom; a kind of edit found broken and not yet fixed is left out of the
//! strategy through [`KNOWN_BROKEN`] (empty today). 24 cases by default;
//! `PROPTEST_CASES=300 cargo test --test it differential::` for a longer run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use birge::build::BuildOptions;
use birge::build::Pipeline;
use birge::serve::files::MemorySite;
use birge::serve::watch::{self, Change};
use proptest::prelude::*;
use proptest::strategy::Union;

use super::util;

/// The fixed present of every build: articles dated after it are in the future.
const NOW: &str = "2022-01-01T00:00:00Z";
/// `serve` builds for its own address; both sides use this one.
const BASE_URL: &str = "http://127.0.0.1:4000";
/// A date after [`NOW`], for scheduled articles.
const FUTURE_DATE: &str = "2022-03-01";
/// Articles per list page: small, so that edits move articles across list pages and lists
/// gain and lose pages.
const PAGINATE: usize = 2;
/// `pinned_until` dates on either side of [`NOW`].
const PIN_ENDED: &str = "2021-12-01";
const PIN_LASTS: &str = "2022-02-01";

// ---------------------------------------------------------------------------------------
// The incremental side

/// Folders of the site whose appearing or going makes `serve` build everything again
/// (`serve::WATCHED`, private there).
const WATCHED: [&str; 4] = ["content", "templates", "themes", "static"];

/// What `birge serve` keeps between edits: the in-memory site and the session that updates
/// it. [`Incremental::apply`] is the one function to change when the pipeline's API changes.
struct Incremental {
    options: BuildOptions,
    site: MemorySite,
    /// `None` after a failed update: the next change builds everything, as `serve` does.
    session: Option<Pipeline>,
    /// For `birge build` with its cache instead of `serve`: the output folder. Each edit is
    /// then a new build that knows the last one only through `.birge-cache/`, as a new
    /// process would.
    cached_output: Option<PathBuf>,
}

/// Which incremental path a check drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `birge serve`: the pipeline kept in memory, updated by the watcher's paths.
    Serve,
    /// `birge build` after `birge build`: the pipeline resumed from `.birge-cache/`.
    CachedBuild,
}

impl Incremental {
    /// Builds the whole site, as `serve` does when it starts or as a first `birge build`.
    fn start(options: &BuildOptions, mode: Mode) -> Result<Self> {
        let site = MemorySite::default();
        if mode == Mode::CachedBuild {
            let output = options.root.join("public");
            let options = BuildOptions {
                output: Some(output.clone()),
                cache: true,
                ..options.clone()
            };
            birge::build::build(&options)?.cleanup()?;
            return Ok(Incremental {
                options,
                site,
                session: None,
                cached_output: Some(output),
            });
        }
        let session = Pipeline::start(options, &site, true)?.0;
        Ok(Incremental {
            options: options.clone(),
            site,
            session: Some(session),
            cached_output: None,
        })
    }

    /// Takes one batch of changed paths as `serve`'s watcher reports them, and does what
    /// `serve::rebuild_loop` and `serve::rebuild` do with it: content edits update the session
    /// in place; settings, regions, polls, templates and static files (or any edit after a
    /// failed one, or past a time at which the site changes by itself) build everything into
    /// a new in-memory site, which replaces the old one only when it succeeds.
    fn apply(&mut self, changed: &[PathBuf]) -> Result<()> {
        if self.cached_output.is_some() {
            return birge::build::build(&self.options)?.cleanup();
        }
        let root = &self.options.root;
        let changes: Vec<(Change, PathBuf)> = changed
            .iter()
            .filter_map(|path| watch::relative_to(root, path).map(|rel| (rel, path)))
            .map(|(rel, path)| {
                let kind = if WATCHED.contains(&rel.as_str()) {
                    Change::Data
                } else {
                    watch::classify(&rel)
                };
                (kind, path.clone())
            })
            .collect();
        let kinds: Vec<Change> = changes.iter().map(|(kind, _)| *kind).collect();
        if watch::summarize(&kinds).is_none() {
            // Nothing to rebuild: `serve` still shows the problems of its last build, if any.
            return match self.session {
                Some(_) => Ok(()),
                None => Err(anyhow::anyhow!(
                    "the last build failed; nothing changed since"
                )),
            };
        }
        // `serve` compares with the clock; the fixed present stands for it here.
        let now = self.options.now.expect("a fixed present");
        let due = self.session.as_ref().and_then(Pipeline::next_change);
        let overdue = due.is_some_and(|d| d.at <= now);
        let content_only = !overdue
            && kinds
                .iter()
                .all(|c| matches!(c, Change::Content | Change::Ignored));
        let paths: Vec<PathBuf> = changes
            .into_iter()
            .filter(|(kind, _)| *kind == Change::Content)
            .map(|(_, path)| path)
            .collect();
        let outcome = match (self.session.as_mut(), content_only) {
            (Some(session), true) => session.update(&self.site, &paths).map(drop),
            _ => {
                let site = MemorySite::default();
                Pipeline::start(&self.options, &site, true).map(|(fresh, _)| {
                    self.site = site;
                    self.session = Some(fresh);
                })
            }
        };
        if outcome.is_err() {
            self.session = None;
        }
        outcome
    }

    /// Every file of the in-memory site (or of the cached build's output folder).
    fn files(&self) -> BTreeMap<String, Vec<u8>> {
        if let Some(output) = &self.cached_output {
            return util::snapshot(output).into_iter().collect();
        }
        self.site
            .paths()
            .into_iter()
            .map(|path| {
                let bytes = self.site.get(&path).expect("listed").to_vec();
                (path, bytes)
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// The clean side

/// Builds the site from scratch into a fresh folder and reads every file back.
fn clean_build(options: &BuildOptions) -> Result<BTreeMap<String, Vec<u8>>> {
    let dir = tempfile::tempdir()?;
    let output = dir.path().join("public");
    let options = BuildOptions {
        output: Some(output.clone()),
        progress: false,
        ..options.clone()
    };
    let mut report = birge::build::build(&options)?;
    report.cleanup()?;
    Ok(util::snapshot(&output).into_iter().collect())
}

/// What differs between the incremental result and the clean build, or `None`.
fn difference(
    incremental: &BTreeMap<String, Vec<u8>>,
    clean: &BTreeMap<String, Vec<u8>>,
) -> Option<String> {
    let only_incremental: Vec<&String> = incremental
        .keys()
        .filter(|k| !clean.contains_key(*k))
        .collect();
    let only_clean: Vec<&String> = clean
        .keys()
        .filter(|k| !incremental.contains_key(*k))
        .collect();
    let different: Vec<&String> = clean
        .keys()
        .filter(|k| incremental.get(*k).is_some_and(|bytes| bytes != &clean[*k]))
        .collect();
    if only_incremental.is_empty() && only_clean.is_empty() && different.is_empty() {
        return None;
    }
    let first = |list: &[&String]| {
        let shown: Vec<&str> = list.iter().take(6).map(|s| s.as_str()).collect();
        let more = list.len().saturating_sub(shown.len());
        if more > 0 {
            format!("{shown:?} and {more} more")
        } else {
            format!("{shown:?}")
        }
    };
    let mut out = String::new();
    if !only_incremental.is_empty() {
        out.push_str(&format!(
            "\n  only in the incremental result: {}",
            first(&only_incremental)
        ));
    }
    if !only_clean.is_empty() {
        out.push_str(&format!(
            "\n  only in the clean build: {}",
            first(&only_clean)
        ));
    }
    if !different.is_empty() {
        out.push_str(&format!("\n  different: {}", first(&different)));
        let path = different[0];
        out.push_str(&first_difference(path, &incremental[path], &clean[path]));
    }
    Some(out)
}

/// Where two versions of a file part, with some text around it.
fn first_difference(path: &str, incremental: &[u8], clean: &[u8]) -> String {
    let at = incremental
        .iter()
        .zip(clean)
        .position(|(a, b)| a != b)
        .unwrap_or(incremental.len().min(clean.len()));
    let excerpt = |bytes: &[u8]| {
        let start = at.saturating_sub(80);
        let end = (at + 120).min(bytes.len());
        String::from_utf8_lossy(&bytes[start.min(end)..end]).into_owned()
    };
    format!(
        "\n  {path} first differs at byte {at}:\n    incremental: {:?}\n    clean:       {:?}",
        excerpt(incremental),
        excerpt(clean)
    )
}

// ---------------------------------------------------------------------------------------
// The site and its edits

/// Whether an article is pinned, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pin {
    No,
    Yes,
    /// `pinned_until` before the present: no longer pinned.
    UntilPast,
    /// `pinned_until` after the present.
    UntilFuture,
}

/// One article of the model, written out by [`Article::text`].
#[derive(Debug, Clone)]
struct Article {
    /// Relative to the site root.
    file: String,
    title: String,
    lang: &'static str,
    date: &'static str,
    /// Dated [`FUTURE_DATE`] instead of `date`.
    future: bool,
    regions: Vec<&'static str>,
    /// Names a region that does not exist (a content error).
    bad_region: bool,
    tags: Vec<&'static str>,
    translation: Option<&'static str>,
    draft: bool,
    pin: Pin,
    poll: Option<&'static str>,
    /// A bundle's lead image.
    image: Option<&'static str>,
    body: String,
    /// An `@/` link to this file under `content/`.
    link: Option<&'static str>,
    /// Bundle images shown in the body.
    shown: Vec<String>,
    /// An old site path that redirects here.
    alias: Option<String>,
}

impl Article {
    fn text(&self) -> String {
        let q = |s: &str| serde_json::to_string(s).expect("a string");
        let mut fm = format!(
            "title: {}\ndate: {}\n",
            q(&self.title),
            if self.future { FUTURE_DATE } else { self.date }
        );
        if self.lang != "en" {
            fm.push_str(&format!("lang: {}\n", self.lang));
        }
        let mut regions = self.regions.clone();
        if self.bad_region {
            regions.push("nowhere");
        }
        if !regions.is_empty() {
            fm.push_str(&format!("regions: [{}]\n", regions.join(", ")));
        }
        if !self.tags.is_empty() {
            let tags: Vec<String> = self.tags.iter().map(|t| q(t)).collect();
            fm.push_str(&format!("tags: [{}]\n", tags.join(", ")));
        }
        if let Some(key) = self.translation {
            fm.push_str(&format!("translation: {key}\n"));
        }
        if self.draft {
            fm.push_str("draft: true\n");
        }
        match self.pin {
            Pin::No => {}
            Pin::Yes => fm.push_str("pinned: true\n"),
            Pin::UntilPast => fm.push_str(&format!("pinned: true\npinned_until: {PIN_ENDED}\n")),
            Pin::UntilFuture => fm.push_str(&format!("pinned: true\npinned_until: {PIN_LASTS}\n")),
        }
        if let Some(poll) = self.poll {
            fm.push_str(&format!("poll: {poll}\n"));
        }
        if let Some(image) = self.image {
            fm.push_str(&format!("image: {image}\nimage_alt: A mask\n"));
        }
        if let Some(alias) = &self.alias {
            fm.push_str(&format!("aliases: [{alias}]\n"));
        }
        let mut body = self.body.clone();
        if let Some(target) = self.link {
            body.push_str(&format!("\n\nSee [the earlier report](@/{target}).\n"));
        }
        for image in &self.shown {
            body.push_str(&format!("\n\n![Another picture]({image})\n"));
        }
        format!("---\n{fm}---\n{body}\n")
    }
}

/// One standalone page of the model.
#[derive(Debug, Clone)]
struct Page {
    file: &'static str,
    title: String,
    lang: &'static str,
    body: String,
}

impl Page {
    fn text(&self) -> String {
        let q = |s: &str| serde_json::to_string(s).expect("a string");
        let mut fm = format!("title: {}\ntranslation: about\n", q(&self.title));
        if self.lang != "en" {
            fm.push_str(&format!("lang: {}\nslug: about\n", self.lang));
        }
        format!("---\n{fm}---\n{}\n", self.body)
    }
}

const ARTICLE_TEMPLATE: &str = include_str!("../../themes/birge/templates/article.html");
const CARD_TEMPLATE: &str = include_str!("../../themes/birge/templates/partials/article_card.html");

/// The site's template overrides that edits write: (path, the theme's text, where a marker goes).
const TEMPLATES: [(&str, &str, &str); 2] = [
    (
        "templates/article.html",
        ARTICLE_TEMPLATE,
        "<div class=\"article-body\"",
    ),
    (
        "templates/partials/article_card.html",
        CARD_TEMPLATE,
        "<div class=\"card-body\"",
    ),
];

/// Regions edits may name, besides those of the fixture: `guryev` is atyrau's former slug,
/// `semey` exists once a regions edit adds it.
const REGION_SLUGS: [&str; 5] = ["atyrau", "kostanay", "astana", "guryev", "semey"];
const TAGS: [&str; 5] = ["masks", "volunteers", "forum", "youth", "маски"];
const TRANSLATION_KEYS: [&str; 2] = ["masks", "forum"];
const LANGS: [&str; 3] = ["en", "kk", "ru"];
const PAST_DATES: [&str; 4] = [
    "2019-12-31",
    "2020-03-22",
    "2020-06-01T09:30:00+06:00",
    "2021-01-15",
];
const POLLS: [&str; 2] = ["mothers-forum", "masks-drive"];
const BUNDLE: &str = "content/news/2020/03/semey-masks";
/// The `@/` link targets of the fixture: deleting one would break the site for good.
const LINKED: [&str; 2] = [
    "news/2020/03/atyrau-masks.md",
    "news/2020/02/astana-forum.md",
];

/// The site on disk and a model of it from which edits rewrite files.
struct Fixture {
    dir: tempfile::TempDir,
    drafts: bool,
    /// `None` once deleted.
    articles: Vec<Option<Article>>,
    pages: Vec<Page>,
    /// (slug, English name) of each region, in order.
    regions: Vec<(&'static str, String)>,
    questions: [String; 2],
    templates: [Option<u8>; 2],
    /// Sizes of the bundle's extra images `extra-0.svg`, `extra-1.svg`, when present.
    extra_images: [Option<u32>; 2],
    added: usize,
}

fn article(file: &str, title: &str, lang: &'static str, date: &'static str) -> Article {
    Article {
        file: file.to_string(),
        title: title.to_string(),
        lang,
        date,
        future: false,
        regions: Vec::new(),
        bad_region: false,
        tags: Vec::new(),
        translation: None,
        draft: false,
        pin: Pin::No,
        poll: None,
        image: None,
        body: "The regional assembly reports on its work.".to_string(),
        link: None,
        shown: Vec::new(),
        alias: None,
    }
}

/// The fixture's settings.
fn site_yaml(paginate: usize) -> String {
    format!(
        "title: Test Bulletin\nbase_url: https://example.kz\nlanguage: en\n\
         languages: [en, kk, ru]\ntimezone: Asia/Almaty\npaginate: {paginate}\n\
         polls:\n  featured: mothers-forum\n"
    )
}

fn svg(width: u32) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{}\"></svg>\n",
        width / 2
    )
}

impl Fixture {
    /// The fixture site: seven articles in en, kk and ru (one a draft, one a bundle with an
    /// image, one pinned, one linking another), three regions, two polls, a page per language.
    fn new(drafts: bool, paginate: usize) -> Fixture {
        let news = |rel: &str| format!("content/news/{rel}");
        let articles = vec![
            Article {
                regions: vec!["atyrau"],
                tags: vec!["masks", "volunteers"],
                translation: Some("masks"),
                body: "Volunteers of the \"Atyrau\" assembly sew masks for the city's clinics."
                    .into(),
                ..article(
                    &news("2020/03/atyrau-masks.md"),
                    "Atyrau volunteers sew masks",
                    "en",
                    "2020-03-20",
                )
            },
            Article {
                regions: vec!["atyrau"],
                tags: vec!["masks"],
                translation: Some("masks"),
                body: "Атырау еріктілері \"маска\" тігеді.".into(),
                ..article(
                    &news("2020/03/atyrau-masks-kk.md"),
                    "Атырау еріктілері маска тігеді",
                    "kk",
                    "2020-03-20",
                )
            },
            Article {
                regions: vec!["atyrau"],
                tags: vec!["маски"],
                translation: Some("masks"),
                body: "Волонтёры Атырау шьют \"маски\".\n\n{{ poll(id=\"mothers-forum\") }}".into(),
                ..article(
                    &news("2020/03/atyrau-masks-ru.md"),
                    "Волонтёры Атырау шьют маски",
                    "ru",
                    "2020-03-21",
                )
            },
            Article {
                regions: vec!["kostanay"],
                tags: vec!["masks"],
                image: Some("masks.svg"),
                shown: vec!["masks.svg".into()],
                ..article(
                    &format!("{BUNDLE}/index.md"),
                    "Semey Friendship House hands out masks",
                    "en",
                    "2020-03-24",
                )
            },
            Article {
                regions: vec!["astana"],
                tags: vec!["forum"],
                poll: Some("masks-drive"),
                pin: Pin::Yes,
                link: Some(LINKED[0]),
                ..article(
                    &news("2020/02/astana-forum.md"),
                    "Mothers Council meets in Astana",
                    "en",
                    "2020-02-14",
                )
            },
            Article {
                regions: vec!["kostanay"],
                tags: vec!["volunteers", "youth"],
                ..article(
                    &news("2019/kostanay-clinics.md"),
                    "Молодёжь Костаная помогает поликлиникам",
                    "ru",
                    "2019-11-05",
                )
            },
            Article {
                draft: true,
                ..article(
                    &news("2020/03/karaganda-youth.md"),
                    "Қарағанды жастары",
                    "kk",
                    "2020-03-25",
                )
            },
        ];
        let pages = vec![
            Page {
                file: "content/pages/about.md",
                title: "About the Assembly".into(),
                lang: "en",
                body: format!(
                    "The Assembly of People of Kazakhstan. See [the forum](@/{}).",
                    LINKED[1]
                ),
            },
            Page {
                file: "content/pages/about-kk.md",
                title: "Ассамблея туралы".into(),
                lang: "kk",
                body: "Қазақстан халқы Ассамблеясы.".into(),
            },
            Page {
                file: "content/pages/about-ru.md",
                title: "Об Ассамблее".into(),
                lang: "ru",
                body: "Ассамблея народа Казахстана.".into(),
            },
        ];
        let fixture = Fixture {
            dir: tempfile::tempdir().expect("a temporary folder"),
            drafts,
            articles: articles.into_iter().map(Some).collect(),
            pages,
            regions: vec![
                ("atyrau", "Atyrau Region".into()),
                ("kostanay", "Kostanay Region".into()),
                ("astana", "Astana".into()),
            ],
            questions: [
                "When was the First Republican Forum of Mothers Council held?".into(),
                "How many masks did the volunteers sew?".into(),
            ],
            templates: [None, None],
            extra_images: [None, None],
            added: 0,
        };
        fixture.write("site.yaml", &site_yaml(paginate));
        fixture.write_regions();
        fixture.write_poll(0);
        fixture.write_poll(1);
        fixture.write(&format!("{BUNDLE}/masks.svg"), &svg(80));
        for article in fixture.articles.iter().flatten() {
            fixture.write(&article.file, &article.text());
        }
        for page in &fixture.pages {
            fixture.write(page.file, &page.text());
        }
        fixture
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The options of both sides.
    fn options(&self) -> BuildOptions {
        BuildOptions {
            root: self.root().to_path_buf(),
            drafts: self.drafts,
            future: false,
            base_url: Some(BASE_URL.to_string()),
            now: Some(NOW.parse().expect("a timestamp")),
            ..BuildOptions::default()
        }
    }

    /// Writes a file; gives its path, as the watcher reports it.
    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("a folder");
        std::fs::write(&path, text).expect("a written file");
        path
    }

    /// Removes a file; gives its path, as the watcher reports it.
    fn remove(&self, rel: &str) -> PathBuf {
        let path = self.root().join(rel);
        std::fs::remove_file(&path).expect("a removed file");
        path
    }

    fn write_regions(&self) -> PathBuf {
        let q = |s: &str| serde_json::to_string(s).expect("a string");
        let mut text = String::new();
        for (slug, name) in &self.regions {
            let (kk, ru) = match *slug {
                "atyrau" => ("Атырау облысы", "Атырауская область"),
                "kostanay" => ("Қостанай облысы", "Костанайская область"),
                "astana" => ("Астана", "Астана"),
                _ => ("Семей", "Семей"),
            };
            text.push_str(&format!(
                "- slug: {slug}\n  name: {{en: {}, kk: {kk}, ru: {ru}}}\n",
                q(name)
            ));
            if *slug == "atyrau" {
                text.push_str(
                    "  description: \"The regional assembly of *Atyrau*.\"\n  former: [guryev]\n",
                );
            }
        }
        self.write("content/regions.yaml", &text)
    }

    fn write_poll(&self, poll: usize) -> PathBuf {
        let q = serde_json::to_string(&self.questions[poll]).expect("a string");
        let options = if poll == 0 {
            "[\"September 7, 2011\", \"April 24, 2013\", \"November 13, 2014\"]"
        } else {
            "[\"100\", \"500\", \"1000\"]"
        };
        self.write(
            &format!("content/polls/{}.yaml", POLLS[poll]),
            &format!("question: {q}\noptions: {options}\n"),
        )
    }

    /// The index in `articles` of the article `target` names, if it is still there.
    fn pick(&self, target: Target) -> Option<usize> {
        let mut live = (0..self.articles.len()).filter(|&i| self.articles[i].is_some());
        let in_bundle = |i: &usize| {
            self.articles[*i]
                .as_ref()
                .is_some_and(|a| a.file.starts_with(BUNDLE))
        };
        match target {
            Target::Bundle => live.find(in_bundle),
            Target::Other(n) => {
                let others: Vec<usize> = live.filter(|i| !in_bundle(i)).collect();
                (!others.is_empty()).then(|| others[n % others.len()])
            }
        }
    }

    /// Changes the article `target` names and rewrites its file.
    fn change(&mut self, target: Target, f: impl FnOnce(&mut Article)) -> Vec<PathBuf> {
        let Some(i) = self.pick(target) else {
            return Vec::new();
        };
        let article = self.articles[i].as_mut().expect("picked");
        f(article);
        let (file, text) = (article.file.clone(), article.text());
        vec![self.write(&file, &text)]
    }

    fn has_region(&self, slug: &str) -> bool {
        self.regions.iter().any(|(s, _)| *s == slug)
    }

    /// Applies an edit to the files; gives the changed paths as the watcher reports them.
    fn apply(&mut self, edit: &Edit) -> Vec<PathBuf> {
        match edit {
            Edit::Add {
                lang,
                title,
                region,
            } => {
                self.added += 1;
                let region = region
                    .map(|r| REGION_SLUGS[r])
                    .filter(|r| self.has_region(r));
                let new = Article {
                    regions: region.into_iter().collect(),
                    tags: vec!["masks"],
                    ..article(
                        &format!("content/news/2020/04/added-{}.md", self.added),
                        title,
                        LANGS[*lang],
                        "2020-04-02",
                    )
                };
                let path = self.write(&new.file, &new.text());
                self.articles.push(Some(new));
                vec![path]
            }
            Edit::AddInNewFolder { title } => {
                self.added += 1;
                let folder = format!("content/news/2020/05/folder-{}", self.added);
                let new = Article {
                    tags: vec!["youth"],
                    ..article(&format!("{folder}/article.md"), title, "en", "2020-05-04")
                };
                self.write(&new.file, &new.text());
                self.articles.push(Some(new));
                vec![self.root().join(folder)]
            }
            Edit::Rename { article } => {
                let Some(i) = self.pick(*article) else {
                    return Vec::new();
                };
                let old = self.articles[i].as_ref().expect("picked").file.clone();
                if LINKED.iter().any(|l| old.ends_with(l)) {
                    return Vec::new();
                }
                self.added += 1;
                let new = format!("content/news/renamed-{}.md", self.added);
                std::fs::rename(self.root().join(&old), self.root().join(&new))
                    .expect("a renamed file");
                self.articles[i].as_mut().expect("picked").file = new.clone();
                vec![self.root().join(old), self.root().join(new)]
            }
            Edit::Body {
                article,
                text,
                code,
            } => self.change(*article, |a| {
                a.body = if *code {
                    format!("{text}\n\n```rust\nfn main() {{}}\n```")
                } else {
                    text.clone()
                };
            }),
            Edit::Retitle { article, title } => self.change(*article, |a| a.title = title.clone()),
            Edit::Reregion { article, regions } => {
                let mut slugs: Vec<&'static str> = regions
                    .iter()
                    .map(|&r| REGION_SLUGS[r])
                    .filter(|r| self.has_region(r) || *r == "guryev")
                    .collect();
                // `guryev` is atyrau's former slug: the two may not stand together.
                if slugs.contains(&"atyrau") {
                    slugs.retain(|r| *r != "guryev");
                }
                self.change(*article, |a| a.regions = slugs)
            }
            Edit::Retag { article, tags } => {
                let tags: Vec<&'static str> = tags.iter().map(|&t| TAGS[t]).collect();
                self.change(*article, |a| a.tags = tags)
            }
            Edit::Delete { article } => {
                let Some(i) = self.pick(*article) else {
                    return Vec::new();
                };
                let file = self.articles[i].as_ref().expect("picked").file.clone();
                if LINKED.iter().any(|l| file.ends_with(l)) {
                    return Vec::new();
                }
                self.articles[i] = None;
                vec![self.remove(&file)]
            }
            Edit::Pin { article, pin } => self.change(*article, |a| a.pin = *pin),
            Edit::Draft { article } => self.change(*article, |a| a.draft = !a.draft),
            Edit::Future { article } => self.change(*article, |a| a.future = !a.future),
            Edit::Redate { article, date } => self.change(*article, |a| a.date = PAST_DATES[*date]),
            Edit::Relang { article, lang } => self.change(*article, |a| a.lang = LANGS[*lang]),
            Edit::Translation { article, key } => self.change(*article, |a| {
                a.translation = key.map(|k| TRANSLATION_KEYS[k])
            }),
            Edit::Template { which, marker } => {
                let (rel, text, anchor) = TEMPLATES[*which];
                let before = self.templates[*which];
                self.templates[*which] = *marker;
                match (before, marker) {
                    (None, None) => Vec::new(),
                    (Some(_), None) => vec![self.remove(rel)],
                    (_, Some(m)) => {
                        let marked =
                            text.replacen(anchor, &format!("{anchor} data-marker=\"{m}\""), 1);
                        assert_ne!(marked, text, "{rel} has {anchor}");
                        vec![self.write(rel, &marked)]
                    }
                }
            }
            Edit::RenameRegion { region, name } => {
                let r = region % self.regions.len();
                self.regions[r].1 = name.clone();
                vec![self.write_regions()]
            }
            Edit::AddRegion => {
                if self.has_region("semey") {
                    return Vec::new();
                }
                self.regions.push(("semey", "Semey".into()));
                vec![self.write_regions()]
            }
            Edit::Alias { article, alias } => self.change(*article, |a| {
                let stem = a
                    .file
                    .trim_end_matches(".md")
                    .rsplit('/')
                    .next()
                    .unwrap_or("x");
                a.alias = alias.then(|| format!("/old/{stem}/"));
            }),
            Edit::PlacePoll { article, poll } => {
                self.change(*article, |a| a.poll = poll.map(|p| POLLS[p]))
            }
            Edit::Poll { poll, question } => {
                self.questions[*poll] = question.clone();
                vec![self.write_poll(*poll)]
            }
            Edit::BundleImage { image, size, shown } => self.bundle_image(*image, *size, *shown),
            Edit::Page { page, title, body } => {
                let page = &mut self.pages[*page];
                if let Some(title) = title {
                    page.title = title.clone();
                }
                page.body = body.clone();
                let (file, text) = (page.file, page.text());
                vec![self.write(file, &text)]
            }
            Edit::BreakRegion { article, .. } => self.change(*article, |a| a.bad_region = true),
            Edit::FixRegions => {
                let broken: Vec<usize> = (0..self.articles.len())
                    .filter(|&i| self.articles[i].as_ref().is_some_and(|a| a.bad_region))
                    .collect();
                broken
                    .into_iter()
                    .flat_map(|i| self.change_at(i, |a| a.bad_region = false))
                    .collect()
            }
        }
    }

    fn change_at(&mut self, i: usize, f: impl FnOnce(&mut Article)) -> Vec<PathBuf> {
        let article = self.articles[i].as_mut().expect("live");
        f(article);
        let (file, text) = (article.file.clone(), article.text());
        vec![self.write(&file, &text)]
    }

    /// Puts the bundle's extra image `image` there (of this size) or takes it away, and shows
    /// it in the bundle's article or not.
    fn bundle_image(&mut self, image: usize, size: Option<u32>, shown: bool) -> Vec<PathBuf> {
        let name = format!("extra-{image}.svg");
        let rel = format!("{BUNDLE}/{name}");
        let mut changed = Vec::new();
        if self.extra_images[image] != size {
            changed.push(match size {
                Some(width) => self.write(&rel, &svg(width)),
                None => self.remove(&rel),
            });
            self.extra_images[image] = size;
        }
        if let Some(i) = self.pick(Target::Bundle) {
            let article = self.articles[i].as_ref().expect("live");
            if article.shown.contains(&name) != shown {
                changed.extend(self.change_at(i, |a| {
                    a.shown.retain(|s| *s != name);
                    if shown {
                        a.shown.push(name.clone());
                    }
                }));
            }
        }
        changed
    }
}

/// The article an edit changes.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// The bundle (`semey-masks/index.md`), while it is there.
    Bundle,
    /// One of the other articles still there, by position modulo their number.
    Other(usize),
}

/// One edit of the fixture site.
#[derive(Debug, Clone)]
enum Edit {
    /// A new article in April 2020.
    Add {
        lang: usize,
        title: String,
        region: Option<usize>,
    },
    /// A new article in a folder of its own that is new too: the watcher reports the folder
    /// alone (it may miss files written into a folder before it watches it).
    AddInNewFolder {
        title: String,
    },
    /// Moves an article's file (not one that an `@/` link names) to a new name: the watcher
    /// reports the old path and the new.
    Rename {
        article: Target,
    },
    /// A new body, with a code block (which brings `highlight.css`) or without.
    Body {
        article: Target,
        text: String,
        code: bool,
    },
    /// A new title, so a new slug and URL.
    Retitle {
        article: Target,
        title: String,
    },
    /// New regions (indexes into [`REGION_SLUGS`]; `semey` only once it exists).
    Reregion {
        article: Target,
        regions: Vec<usize>,
    },
    /// New tags (indexes into [`TAGS`]).
    Retag {
        article: Target,
        tags: Vec<usize>,
    },
    /// Deletes an article (not one that an `@/` link points at).
    Delete {
        article: Target,
    },
    Pin {
        article: Target,
        pin: Pin,
    },
    /// Toggles `draft: true`.
    Draft {
        article: Target,
    },
    /// Another past date (an index into [`PAST_DATES`]): another archive month and URL.
    Redate {
        article: Target,
        date: usize,
    },
    /// Another language (an index into [`LANGS`]): another tree and URL.
    Relang {
        article: Target,
        lang: usize,
    },
    /// Toggles between the article's date and one after the present.
    Future {
        article: Target,
    },
    /// Sets or removes the `translation` key (an index into [`TRANSLATION_KEYS`]).
    Translation {
        article: Target,
        key: Option<usize>,
    },
    /// Writes a site override of a theme template with a marker, or removes it.
    Template {
        which: usize,
        marker: Option<u8>,
    },
    /// Renames a region in `content/regions.yaml`.
    RenameRegion {
        region: usize,
        name: String,
    },
    /// Adds the region `semey`.
    AddRegion,
    /// Gives the article an old path that redirects to it (`/old/<file name>/`), or none.
    Alias {
        article: Target,
        alias: bool,
    },
    /// Names a poll in the front matter (an index into [`POLLS`]), or none.
    PlacePoll {
        article: Target,
        poll: Option<usize>,
    },
    /// A poll's new question.
    Poll {
        poll: usize,
        question: String,
    },
    /// The bundle's extra image `extra-<image>.svg`: there with this width or not, shown in the
    /// body or not (shown but missing is an error).
    BundleImage {
        image: usize,
        size: Option<u32>,
        shown: bool,
    },
    /// A standalone page's new body, and maybe title.
    Page {
        page: usize,
        title: Option<String>,
        body: String,
    },
    /// Names a region that does not exist; a [`Edit::FixRegions`] follows within `fix_after`
    /// edits.
    BreakRegion {
        article: Target,
        fix_after: usize,
    },
    /// Takes out every unknown region again.
    FixRegions,
}

/// The kinds of edit, to leave some out of the strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EditKind {
    Add,
    AddInNewFolder,
    Rename,
    Body,
    /// A body with a code block, which brings `highlight.css`.
    CodeBody,
    /// An alias (an old path that redirects to the article) given or taken away.
    Alias,
    /// The front matter's `poll:` (naming the poll that the body places too is an error).
    PlacePoll,
    Retitle,
    Reregion,
    Retag,
    Delete,
    Pin,
    Draft,
    Future,
    Redate,
    Relang,
    Translation,
    Template,
    RenameRegion,
    AddRegion,
    Poll,
    /// A bundle image added or replaced, shown in the body or not.
    BundleImage,
    /// A bundle image taken away (and not shown).
    RemoveBundleImage,
    /// A bundle image shown in the body while its file is missing (a content error).
    MissingBundleImage,
    /// A standalone page's body.
    Page,
    /// A standalone page's title (and body).
    RetitlePage,
    BreakRegion,
    /// The bundle article's URL moves or it goes: retitled, redated, given another language,
    /// deleted, made a draft or dated in the future.
    MoveBundle,
}

/// Kinds of edit the incremental path gets wrong, left out of the strategy until fixed (each
/// with a regression test below). None today: the regression tests at the bottom are the
/// edits that the hand-kept fingerprints of the former `serve` session got wrong.
const KNOWN_BROKEN: &[EditKind] = &[];

/// Kinds of edit the incremental path gets wrong only when drafts are previewed (`serve`'s
/// default): left out of the cases with `drafts: true`. None today.
const KNOWN_BROKEN_WITH_DRAFTS: &[EditKind] = &[];

// ---------------------------------------------------------------------------------------
// Strategies

const WORDS_EN: [&str; 12] = [
    "Volunteers",
    "sew",
    "masks",
    "in",
    "Atyrau",
    "Mothers",
    "Council",
    "forum",
    "youth",
    "help",
    "clinics",
    "friendship",
];
const WORDS_KK: [&str; 8] = [
    "Еріктілер",
    "маска",
    "тігеді",
    "Атырау",
    "Аналар",
    "кеңесі",
    "жастар",
    "көмек",
];
const WORDS_RU: [&str; 8] = [
    "Волонтёры",
    "шьют",
    "маски",
    "Атырау",
    "Совет",
    "матерей",
    "молодёжь",
    "помощь",
];

fn words(count: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    let all: Vec<&'static str> = WORDS_EN
        .iter()
        .chain(&WORDS_KK)
        .chain(&WORDS_RU)
        .copied()
        .collect();
    proptest::collection::vec(proptest::sample::select(all), count).prop_map(|w| w.join(" "))
}

/// A title: words and a number, so that two titles rarely share a slug.
fn title() -> impl Strategy<Value = String> {
    (words(1..=4), 0u32..100).prop_map(|(w, n)| format!("{w} {n}"))
}

/// Body text: a paragraph or two, sometimes with quotes.
fn body() -> impl Strategy<Value = String> {
    (
        words(3..=10),
        proptest::option::of(words(2..=6)),
        any::<bool>(),
    )
        .prop_map(|(first, second, quoted)| {
            let first = if quoted {
                format!("\"{first}\".")
            } else {
                format!("{first}.")
            };
            match second {
                Some(second) => format!("{first}\n\n{second}."),
                None => first,
            }
        })
}

fn pin() -> impl Strategy<Value = Pin> {
    proptest::sample::select(vec![Pin::No, Pin::Yes, Pin::UntilPast, Pin::UntilFuture])
}

/// Any article of the fixture.
fn target() -> impl Strategy<Value = Target> {
    prop_oneof![1 => Just(Target::Bundle), 6 => other()]
}

/// An article other than the bundle.
fn other() -> impl Strategy<Value = Target> {
    (0usize..12).prop_map(Target::Other)
}

/// Every kind of edit with its weight and strategy.
fn kinds() -> Vec<(u32, EditKind, BoxedStrategy<Edit>)> {
    use EditKind as K;
    vec![
        (
            2,
            K::Add,
            (
                0..LANGS.len(),
                title(),
                proptest::option::of(0..REGION_SLUGS.len()),
            )
                .prop_map(|(lang, title, region)| Edit::Add {
                    lang,
                    title,
                    region,
                })
                .boxed(),
        ),
        (
            1,
            K::AddInNewFolder,
            title()
                .prop_map(|title| Edit::AddInNewFolder { title })
                .boxed(),
        ),
        (
            1,
            K::Rename,
            other().prop_map(|article| Edit::Rename { article }).boxed(),
        ),
        (
            3,
            K::Body,
            (target(), body())
                .prop_map(|(article, text)| Edit::Body {
                    article,
                    text,
                    code: false,
                })
                .boxed(),
        ),
        (
            1,
            K::CodeBody,
            (target(), body())
                .prop_map(|(article, text)| Edit::Body {
                    article,
                    text,
                    code: true,
                })
                .boxed(),
        ),
        (
            1,
            K::Alias,
            (target(), any::<bool>())
                .prop_map(|(article, alias)| Edit::Alias { article, alias })
                .boxed(),
        ),
        (
            1,
            K::PlacePoll,
            (target(), proptest::option::of(0..POLLS.len()))
                .prop_map(|(article, poll)| Edit::PlacePoll { article, poll })
                .boxed(),
        ),
        (
            3,
            K::Retitle,
            (other(), title())
                .prop_map(|(article, title)| Edit::Retitle { article, title })
                .boxed(),
        ),
        (
            2,
            K::Reregion,
            (
                target(),
                proptest::sample::subsequence((0..REGION_SLUGS.len()).collect::<Vec<_>>(), 0..3),
            )
                .prop_map(|(article, regions)| Edit::Reregion { article, regions })
                .boxed(),
        ),
        (
            2,
            K::Retag,
            (
                target(),
                proptest::sample::subsequence((0..TAGS.len()).collect::<Vec<_>>(), 0..3),
            )
                .prop_map(|(article, tags)| Edit::Retag { article, tags })
                .boxed(),
        ),
        (
            1,
            K::Delete,
            other().prop_map(|article| Edit::Delete { article }).boxed(),
        ),
        (
            2,
            K::Pin,
            (target(), pin())
                .prop_map(|(article, pin)| Edit::Pin { article, pin })
                .boxed(),
        ),
        (
            2,
            K::Draft,
            other().prop_map(|article| Edit::Draft { article }).boxed(),
        ),
        (
            2,
            K::Future,
            other().prop_map(|article| Edit::Future { article }).boxed(),
        ),
        (
            1,
            K::Redate,
            (other(), 0..PAST_DATES.len())
                .prop_map(|(article, date)| Edit::Redate { article, date })
                .boxed(),
        ),
        (
            1,
            K::Relang,
            (other(), 0..LANGS.len())
                .prop_map(|(article, lang)| Edit::Relang { article, lang })
                .boxed(),
        ),
        (
            1,
            K::MoveBundle,
            prop_oneof![
                title().prop_map(|title| Edit::Retitle {
                    article: Target::Bundle,
                    title
                }),
                Just(Edit::Delete {
                    article: Target::Bundle
                }),
                Just(Edit::Draft {
                    article: Target::Bundle
                }),
                Just(Edit::Future {
                    article: Target::Bundle
                }),
                (0..PAST_DATES.len()).prop_map(|date| Edit::Redate {
                    article: Target::Bundle,
                    date
                }),
                (0..LANGS.len()).prop_map(|lang| Edit::Relang {
                    article: Target::Bundle,
                    lang
                }),
            ]
            .boxed(),
        ),
        (
            2,
            K::Translation,
            (target(), proptest::option::of(0..TRANSLATION_KEYS.len()))
                .prop_map(|(article, key)| Edit::Translation { article, key })
                .boxed(),
        ),
        (
            1,
            K::Template,
            (0..TEMPLATES.len(), proptest::option::of(any::<u8>()))
                .prop_map(|(which, marker)| Edit::Template { which, marker })
                .boxed(),
        ),
        (
            1,
            K::RenameRegion,
            (0usize..4, words(1..=2))
                .prop_map(|(region, name)| Edit::RenameRegion { region, name })
                .boxed(),
        ),
        (1, K::AddRegion, Just(Edit::AddRegion).boxed()),
        (
            1,
            K::Poll,
            (0..POLLS.len(), words(2..=6))
                .prop_map(|(poll, words)| Edit::Poll {
                    poll,
                    question: format!("{words}?"),
                })
                .boxed(),
        ),
        (
            2,
            K::BundleImage,
            (0usize..2, 10u32..200, any::<bool>())
                .prop_map(|(image, size, shown)| Edit::BundleImage {
                    image,
                    size: Some(size),
                    shown,
                })
                .boxed(),
        ),
        (
            1,
            K::RemoveBundleImage,
            (0usize..2)
                .prop_map(|image| Edit::BundleImage {
                    image,
                    size: None,
                    shown: false,
                })
                .boxed(),
        ),
        (
            1,
            K::MissingBundleImage,
            (0usize..2)
                .prop_map(|image| Edit::BundleImage {
                    image,
                    size: None,
                    shown: true,
                })
                .boxed(),
        ),
        (
            2,
            K::Page,
            (0usize..3, body())
                .prop_map(|(page, body)| Edit::Page {
                    page,
                    title: None,
                    body,
                })
                .boxed(),
        ),
        (
            1,
            K::RetitlePage,
            (0usize..3, title(), body())
                .prop_map(|(page, title, body)| Edit::Page {
                    page,
                    title: Some(title),
                    body,
                })
                .boxed(),
        ),
        (
            1,
            K::BreakRegion,
            (target(), 0usize..3)
                .prop_map(|(article, fix_after)| Edit::BreakRegion { article, fix_after })
                .boxed(),
        ),
    ]
}

impl Edit {
    fn kind(&self) -> Option<EditKind> {
        use EditKind as K;
        Some(match self {
            Edit::Retitle {
                article: Target::Bundle,
                ..
            }
            | Edit::Delete {
                article: Target::Bundle,
            }
            | Edit::Draft {
                article: Target::Bundle,
            }
            | Edit::Future {
                article: Target::Bundle,
            }
            | Edit::Redate {
                article: Target::Bundle,
                ..
            }
            | Edit::Relang {
                article: Target::Bundle,
                ..
            } => K::MoveBundle,
            Edit::Add { .. } => K::Add,
            Edit::AddInNewFolder { .. } => K::AddInNewFolder,
            Edit::Rename { .. } => K::Rename,
            Edit::Body { code: false, .. } => K::Body,
            Edit::Body { code: true, .. } => K::CodeBody,
            Edit::PlacePoll { .. } => K::PlacePoll,
            Edit::Alias { .. } => K::Alias,
            Edit::Retitle { .. } => K::Retitle,
            Edit::Reregion { .. } => K::Reregion,
            Edit::Retag { .. } => K::Retag,
            Edit::Delete { .. } => K::Delete,
            Edit::Pin { .. } => K::Pin,
            Edit::Draft { .. } => K::Draft,
            Edit::Future { .. } => K::Future,
            Edit::Redate { .. } => K::Redate,
            Edit::Relang { .. } => K::Relang,
            Edit::Translation { .. } => K::Translation,
            Edit::Template { .. } => K::Template,
            Edit::RenameRegion { .. } => K::RenameRegion,
            Edit::AddRegion => K::AddRegion,
            Edit::Poll { .. } => K::Poll,
            Edit::BundleImage {
                size: None,
                shown: true,
                ..
            } => K::MissingBundleImage,
            Edit::BundleImage { size: None, .. } => K::RemoveBundleImage,
            Edit::BundleImage { .. } => K::BundleImage,
            Edit::Page { title: None, .. } => K::Page,
            Edit::Page { title: Some(_), .. } => K::RetitlePage,
            Edit::BreakRegion { .. } => K::BreakRegion,
            Edit::FixRegions => return None,
        })
    }
}

/// One edit of a kind that is not [`KNOWN_BROKEN`] (nor [`KNOWN_BROKEN_WITH_DRAFTS`] when
/// drafts are previewed).
fn edit(drafts: bool) -> impl Strategy<Value = Edit> {
    let arms: Vec<(u32, BoxedStrategy<Edit>)> = kinds()
        .into_iter()
        .filter(|(_, kind, _)| !KNOWN_BROKEN.contains(kind))
        .filter(|(_, kind, _)| !(drafts && KNOWN_BROKEN_WITH_DRAFTS.contains(kind)))
        .map(|(weight, _, strategy)| (weight, strategy))
        .collect();
    Union::new_weighted(arms)
}

/// 1 to 8 edits, each [`Edit::BreakRegion`] followed by its fix.
fn edits(drafts: bool) -> impl Strategy<Value = Vec<Edit>> {
    proptest::collection::vec(edit(drafts), 1..=8).prop_map(with_fixes)
}

/// Puts an [`Edit::FixRegions`] `fix_after` edits after each [`Edit::BreakRegion`] (at the
/// end at the latest).
fn with_fixes(edits: Vec<Edit>) -> Vec<Edit> {
    let mut out = Vec::new();
    let mut due: Option<usize> = None;
    for edit in edits {
        let gap = match &edit {
            Edit::BreakRegion { fix_after, .. } => Some(*fix_after),
            _ => None,
        };
        out.push(edit);
        due = match (gap, due) {
            (Some(gap), due) => Some(due.map_or(gap, |d| d.min(gap))),
            (None, due) => due.map(|d| d.saturating_sub(1)),
        };
        if due == Some(0) {
            out.push(Edit::FixRegions);
            due = None;
        }
    }
    if due.is_some() {
        out.push(Edit::FixRegions);
    }
    out
}

// ---------------------------------------------------------------------------------------
// The property

/// Applies the edits one by one; after each, the incremental result must equal a clean build
/// (or both fail, the served site unchanged). Gives what went wrong.
fn check_edits(drafts: bool, paginate: usize, edits: &[Edit]) -> Result<(), String> {
    check_edits_with(Mode::Serve, drafts, paginate, edits)
}

fn check_edits_with(
    mode: Mode,
    drafts: bool,
    paginate: usize,
    edits: &[Edit],
) -> Result<(), String> {
    let mut fixture = Fixture::new(drafts, paginate);
    let options = fixture.options();
    let clean = clean_build(&options).map_err(|e| format!("the fixture does not build: {e:#}"))?;
    let mut incremental = Incremental::start(&options, mode)
        .map_err(|e| format!("the fixture does not start: {e:#}"))?;
    if let Some(diff) = difference(&incremental.files(), &clean) {
        return Err(format!("right after starting (drafts: {drafts}):{diff}"));
    }
    for (step, edit) in edits.iter().enumerate() {
        let context = || {
            let list: Vec<String> = edits
                .iter()
                .enumerate()
                .map(|(i, e)| format!("{} {i}: {e:?}", if i == step { "->" } else { "  " }))
                .collect();
            format!("{mode:?}, drafts: {drafts}, edits:\n{}\n", list.join("\n"))
        };
        let changed = fixture.apply(edit);
        let before = incremental.files();
        let served = incremental.apply(&changed);
        let clean = clean_build(&options);
        match (served, clean) {
            (Ok(()), Ok(clean)) => {
                if let Some(diff) = difference(&incremental.files(), &clean) {
                    return Err(format!("{}after edit {step}:{diff}", context()));
                }
            }
            (Err(_), Err(_)) => {
                if let Some(diff) = difference(&incremental.files(), &before) {
                    return Err(format!(
                        "{}edit {step} failed as it should, but changed the served site \
                         (\"clean\" below is the site before):{diff}",
                        context()
                    ));
                }
            }
            (Ok(()), Err(error)) => {
                return Err(format!(
                    "{}edit {step}: the incremental update succeeded where a clean build fails:\n{error:#}",
                    context()
                ));
            }
            (Err(error), Ok(_)) => {
                return Err(format!(
                    "{}edit {step}: the incremental update failed where a clean build succeeds:\n{error:#}",
                    context()
                ));
            }
        }
    }
    Ok(())
}

/// `n`, or `PROPTEST_CASES` when it is set (for longer runs by hand).
fn cases(n: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(24),
        // Each case builds the site up to 18 times: shrinking is bounded.
        max_shrink_iters: 400,
        ..ProptestConfig::default()
    })]

    #[test]
    fn incremental_builds_equal_clean_builds(
        (drafts, edits) in any::<bool>().prop_flat_map(|drafts| (Just(drafts), edits(drafts)))
    ) {
        if let Err(failure) = check_edits(drafts, PAGINATE, &edits) {
            return Err(TestCaseError::fail(failure));
        }
    }

    #[test]
    fn cached_builds_equal_clean_builds(
        (drafts, edits) in any::<bool>().prop_flat_map(|drafts| (Just(drafts), edits(drafts)))
    ) {
        if let Err(failure) = check_edits_with(Mode::CachedBuild, drafts, PAGINATE, &edits) {
            return Err(TestCaseError::fail(failure));
        }
    }
}

/// Runs a fixed series of edits, panicking with the difference when there is one.
fn replay(drafts: bool, paginate: usize, edits: &[Edit]) {
    if let Err(failure) = check_edits(drafts, paginate, edits) {
        panic!("{failure}");
    }
}

/// One edit of every kind, in an order where each means something (the link target
/// retitled, a draft published, a region added then used...).
fn one_of_each() -> Vec<Edit> {
    let text = |s: &str| s.to_string();
    vec![
        Edit::Add {
            lang: 1,
            title: text("Аналар кеңесі 7"),
            region: Some(2),
        },
        Edit::AddInNewFolder {
            title: text("Youth forum 4"),
        },
        Edit::Rename {
            article: Target::Other(4),
        },
        Edit::Body {
            article: Target::Other(1),
            text: text("Жаңа \"мәтін\"."),
            code: false,
        },
        Edit::Body {
            article: Target::Other(2),
            text: text("Код."),
            code: true,
        },
        Edit::Retitle {
            article: Target::Other(0),
            title: text("Atyrau volunteers sew more masks 1"),
        },
        Edit::Reregion {
            article: Target::Other(4),
            regions: vec![1, 3],
        },
        Edit::Retag {
            article: Target::Bundle,
            tags: vec![2, 4],
        },
        Edit::Pin {
            article: Target::Other(1),
            pin: Pin::UntilFuture,
        },
        Edit::Pin {
            article: Target::Other(3),
            pin: Pin::UntilPast,
        },
        Edit::Draft {
            article: Target::Other(5),
        },
        Edit::Future {
            article: Target::Other(4),
        },
        Edit::Redate {
            article: Target::Other(0),
            date: 2,
        },
        Edit::Relang {
            article: Target::Other(2),
            lang: 0,
        },
        Edit::Translation {
            article: Target::Other(1),
            key: Some(1),
        },
        Edit::Translation {
            article: Target::Other(3),
            key: Some(1),
        },
        Edit::PlacePoll {
            article: Target::Other(0),
            poll: Some(0),
        },
        Edit::Alias {
            article: Target::Other(2),
            alias: true,
        },
        Edit::Template {
            which: 0,
            marker: Some(7),
        },
        Edit::Template {
            which: 1,
            marker: Some(9),
        },
        Edit::Template {
            which: 0,
            marker: None,
        },
        Edit::RenameRegion {
            region: 1,
            name: text("Qostanay"),
        },
        Edit::AddRegion,
        Edit::Reregion {
            article: Target::Other(1),
            regions: vec![4],
        },
        Edit::Poll {
            poll: 1,
            question: text("How many masks?"),
        },
        Edit::BundleImage {
            image: 0,
            size: Some(60),
            shown: true,
        },
        Edit::BundleImage {
            image: 0,
            size: Some(90),
            shown: true,
        },
        Edit::BundleImage {
            image: 1,
            size: Some(30),
            shown: false,
        },
        Edit::BundleImage {
            image: 1,
            size: None,
            shown: false,
        },
        Edit::BundleImage {
            image: 1,
            size: None,
            shown: true,
        },
        Edit::Page {
            page: 2,
            title: None,
            body: text("Новый текст."),
        },
        Edit::Page {
            page: 0,
            title: Some(text("About us 2")),
            body: text("New text."),
        },
        Edit::BreakRegion {
            article: Target::Other(0),
            fix_after: 0,
        },
        Edit::FixRegions,
        Edit::Delete {
            article: Target::Other(4),
        },
        Edit::Retitle {
            article: Target::Bundle,
            title: text("Semey hands out masks 3"),
        },
    ]
}

#[test]
fn one_edit_of_each_kind_in_turn() {
    // Every kind runs on every CI run, whatever the random cases draw (but those that are
    // known to be broken).
    let all = one_of_each();
    for (_, kind, _) in kinds() {
        assert!(
            all.iter().any(|e| e.kind() == Some(kind)),
            "one_of_each has no {kind:?}"
        );
    }
    let working: Vec<Edit> = all
        .into_iter()
        .filter(|e| e.kind().is_none_or(|k| !KNOWN_BROKEN.contains(&k)))
        .collect();
    replay(false, PAGINATE, &working);
}

#[test]
fn one_edit_of_each_kind_in_turn_through_the_build_cache() {
    // The same series, each edit followed by `birge build` resuming from `.birge-cache/`.
    for drafts in [false, true] {
        if let Err(failure) = check_edits_with(Mode::CachedBuild, drafts, PAGINATE, &one_of_each())
        {
            panic!("{failure}");
        }
    }
}

#[test]
fn each_strategy_makes_edits_of_its_kind() {
    // KNOWN_BROKEN leaves out arms by their kind: each arm must make edits of that kind.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for (_, kind, strategy) in kinds() {
        for _ in 0..20 {
            let edit = strategy.new_tree(&mut runner).expect("an edit").current();
            assert_eq!(edit.kind(), Some(kind), "{edit:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Bugs of the former `serve` session (hand-kept fingerprints), found by the property above:
// each is the shortest series of edits that showed it. The pipeline's recorded reads get
// them all right; they stay as regression tests.

#[test]
fn the_sitemap_follows_drafts_while_drafts_are_previewed() {
    replay(
        true,
        PAGINATE,
        &[Edit::Draft {
            article: Target::Other(0),
        }],
    );
}

#[test]
fn an_update_showing_a_missing_bundle_image_fails() {
    replay(
        false,
        PAGINATE,
        &[Edit::BundleImage {
            image: 0,
            size: None,
            shown: true,
        }],
    );
}

#[test]
fn bundle_files_go_with_their_article() {
    replay(
        false,
        PAGINATE,
        &[Edit::Retitle {
            article: Target::Bundle,
            title: "Volunteers 0".into(),
        }],
    );
}

#[test]
fn a_deleted_bundle_file_leaves_the_site() {
    replay(
        false,
        PAGINATE,
        &[
            Edit::BundleImage {
                image: 0,
                size: Some(10),
                shown: false,
            },
            Edit::BundleImage {
                image: 0,
                size: None,
                shown: false,
            },
        ],
    );
}

#[test]
fn menus_follow_a_retitled_page() {
    replay(
        false,
        PAGINATE,
        &[Edit::Page {
            page: 0,
            title: Some("Volunteers 0".into()),
            body: "Volunteers Volunteers Volunteers.".into(),
        }],
    );
}

#[test]
fn highlight_css_goes_with_the_last_code_block() {
    replay(
        false,
        PAGINATE,
        &[
            Edit::Body {
                article: Target::Other(0),
                text: "Code.".into(),
                code: true,
            },
            Edit::Body {
                article: Target::Other(0),
                text: "No code.".into(),
                code: false,
            },
        ],
    );
}

#[test]
fn an_alias_redirects_to_its_article_after_a_retitle() {
    replay(
        false,
        PAGINATE,
        &[
            Edit::Alias {
                article: Target::Other(0),
                alias: true,
            },
            Edit::Retitle {
                article: Target::Other(0),
                title: "Volunteers 0".into(),
            },
        ],
    );
}

#[test]
fn a_list_that_gains_a_page_keeps_its_first_page() {
    replay(
        false,
        2,
        &[Edit::Add {
            lang: 0,
            title: "Volunteers 0".into(),
            region: None,
        }],
    );
}
