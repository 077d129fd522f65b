//! The load stage: walks `content/` and reads regions, polls, articles and pages.
//!
//! Takes the site root, its [`Config`] and [`LoadOptions`], gives [`Content`]: every article
//! and page with validated front matter (dates in the site's zone, regions and polls checked,
//! slugs and URL paths decided) and its Markdown body, plus every problem found on the way.
//! This module holds the model and the order of the work; `walk` finds the files, `article`
//! and `page` load one file each.

mod article;
pub mod checks;
pub mod front_matter;
mod images;
mod page;
pub mod polls;
pub mod references;
pub mod regions;
mod walk;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::{Timestamp, ZonedDateTime};
use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{Problem, Problems};
use article::{Lookup, load_article};
pub use images::{bundle_key, file_size as image_file_size};
pub use page::RESERVED_PATHS;
use page::load_page;
pub use polls::{Poll, PollKind};
pub use regions::Region;
pub use walk::relative;
use walk::{markdown_files, read_text};

/// What a build includes besides published articles.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Include articles and pages marked `draft: true`.
    pub drafts: bool,
    /// Include articles dated after `now`.
    pub future: bool,
    /// The build's notion of the present.
    pub now: Timestamp,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            drafts: false,
            future: false,
            now: Timestamp::now(),
        }
    }
}

/// The lead image of an article.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Image {
    /// A site path or URL (bundle files are resolved against the article's path).
    pub src: String,
    /// The text alternative.
    pub alt: Option<String>,
    /// The caption.
    pub caption: Option<String>,
    /// Who made it.
    pub credit: Option<String>,
    /// Its width and height in pixels, read from the file when it is one of an article
    /// bundle's; `None` for site paths and URLs, and when the size cannot be read.
    pub size: Option<(u32, u32)>,
}

/// A news item, loaded and validated.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Article {
    /// The file, relative to the site root (`content/news/2020/03/a.md`).
    pub source: String,
    /// The file, relative to `content/` (`news/2020/03/a.md`), as `@/` links name it.
    pub content_path: String,
    /// For an article bundle: the folder whose other files are copied beside the article.
    pub bundle_dir: Option<PathBuf>,
    /// The pixel sizes of the bundle's image files, by path relative to its folder
    /// (`masks.svg`, `photos/a.jpg`), read when the article is loaded; see
    /// [`Article::bundle_image_size`].
    pub bundle_images: BTreeMap<String, (u32, u32)>,
    /// The headline.
    pub title: String,
    /// When it was published, in the site's zone.
    pub date: ZonedDateTime,
    /// When it was last changed.
    pub updated: Option<ZonedDateTime>,
    /// Region slugs (former slugs already replaced by current ones).
    pub regions: Vec<String>,
    /// Tag names as written.
    pub tags: Vec<String>,
    /// The summary from front matter (Markdown).
    pub summary: Option<String>,
    /// Who wrote it.
    pub author: Option<String>,
    /// The lead image.
    pub image: Option<Image>,
    /// A correction or update notice.
    pub update_note: Option<String>,
    /// The URL slug.
    pub slug: String,
    /// The language code.
    pub lang: String,
    /// A key shared by the language versions of one article.
    pub translation: Option<String>,
    /// A poll id.
    pub poll: Option<String>,
    /// Old site paths that redirect here.
    pub aliases: Vec<String>,
    /// Whether it is a draft (only present with `--drafts`).
    pub draft: bool,
    /// Whether it is pinned now, `pinned_until` taken into account.
    pub pinned: bool,
    /// Until when it stays pinned, when `pinned_until` is given.
    pub pinned_until: Option<ZonedDateTime>,
    /// The free map for themes.
    #[serde(with = "crate::json_text")]
    pub extra: serde_json::Value,
    /// The Markdown body (not kept in the build cache: read again from its file when needed).
    #[serde(skip)]
    pub body: String,
    /// 1-based line of the file on which the body starts.
    pub body_line: usize,
    /// The site path of its page, e.g. `/news/2020/03/slug/` or `/kk/news/2020/03/slug/`.
    pub path: String,
}

impl Article {
    /// The pixel size of an image of the body, `src` as its page links it (relative to the
    /// page, so a file of the bundle); `None` for other images and unknown sizes.
    pub fn bundle_image_size(&self, src: &str) -> Option<(u32, u32)> {
        let key = images::bundle_key(src)?;
        self.bundle_images.get(&key).copied()
    }

    /// Reads the sizes of the bundle's images (the lead image and those of the folder)
    /// from its files: when the article is loaded, and again when a file of the bundle
    /// changes.
    pub fn read_image_sizes(&mut self) {
        let dir = self.bundle_dir.as_deref();
        if let Some(image) = &mut self.image {
            image.size = images::image_size(dir, &image.src);
        }
        self.bundle_images = dir.map(images::bundle_image_sizes).unwrap_or_default();
    }
}

/// A standalone page such as `/about/`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Page {
    /// The file, relative to the site root.
    pub source: String,
    /// The file, relative to `content/`.
    pub content_path: String,
    /// The title.
    pub title: String,
    /// The URL slug.
    pub slug: String,
    /// A summary for metadata.
    pub summary: Option<String>,
    /// The language code.
    pub lang: String,
    /// A key shared by the language versions of one page.
    pub translation: Option<String>,
    /// When it was first published, if given (never part of its URL).
    pub date: Option<ZonedDateTime>,
    /// When it was last changed.
    pub updated: Option<ZonedDateTime>,
    /// The lead image.
    pub image: Option<Image>,
    /// Old site paths that redirect here.
    pub aliases: Vec<String>,
    /// Whether it is a draft (only present with `--drafts`).
    pub draft: bool,
    /// The free map for themes.
    #[serde(with = "crate::json_text")]
    pub extra: serde_json::Value,
    /// The Markdown body.
    pub body: String,
    /// 1-based line of the file on which the body starts.
    pub body_line: usize,
    /// The site path, e.g. `/about/`.
    pub path: String,
}

/// Everything under `content/`, loaded.
#[derive(Debug, Clone, Default)]
pub struct Content {
    /// The regions in display order.
    pub regions: Vec<Region>,
    /// The polls, by id.
    pub polls: Vec<Poll>,
    /// The articles that this build publishes, in no particular order.
    pub articles: Vec<Article>,
    /// The standalone pages this build publishes.
    pub pages: Vec<Page>,
    /// What the build leaves out, and why.
    pub left_out: LeftOut,
}

/// Articles and pages a build leaves out: drafts without `--drafts`, articles dated in the
/// future without `--future`. Sources are relative to the site root, sorted.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LeftOut {
    /// Drafts (articles and pages).
    pub drafts: Vec<String>,
    /// Articles dated after the build's present, with their dates.
    pub future: Vec<(String, Timestamp)>,
}

impl LeftOut {
    /// The first article to come out, and when.
    pub fn next_scheduled(&self) -> Option<(&str, Timestamp)> {
        self.future
            .iter()
            .min_by_key(|(source, at)| (*at, source.as_str()))
            .map(|(source, at)| (source.as_str(), *at))
    }

    /// Whether nothing was left out.
    pub fn is_empty(&self) -> bool {
        self.drafts.is_empty() && self.future.is_empty()
    }

    /// Sorts both lists by source.
    pub fn sort(&mut self) {
        self.drafts.sort();
        self.future.sort();
    }
}

/// Whether a file is published by this build, and if not, why.
enum Inclusion<T> {
    Published(T),
    Draft,
    Scheduled(Timestamp),
}

impl<T> Inclusion<T> {
    /// The published item, noting in `left_out` why anything else was left out.
    fn take(self, source: &Path, root: &Path, left_out: &mut LeftOut) -> Option<T> {
        match self {
            Inclusion::Published(item) => Some(item),
            Inclusion::Draft => {
                left_out.drafts.push(relative(root, source));
                None
            }
            Inclusion::Scheduled(at) => {
                left_out.future.push((relative(root, source), at));
                None
            }
        }
    }

    /// A file loaded on its own (see [`load_file`]), left out or not.
    fn loaded(self, wrap: impl FnOnce(T) -> Loaded) -> Loaded {
        match self {
            Inclusion::Published(item) => wrap(item),
            Inclusion::Draft => Loaded::Draft,
            Inclusion::Scheduled(at) => Loaded::Scheduled(at),
        }
    }
}

/// The region `written` stands for among `regions`, read as front matter reads a region
/// (for `birge new --region`): `Ok` with the current slug of a slug or a former slug; else
/// the slug of the one region it names, if any.
pub fn region_meant(
    regions: &[Region],
    config: &Config,
    written: &str,
) -> Result<String, Option<String>> {
    let lookup = Lookup::new(regions, &[], &[], config);
    checks::region_meant(written, &lookup)
        .map(str::to_string)
        .map_err(|meant| meant.map(str::to_string))
}

/// The articles under `content/news/` (drafts and scheduled ones included) whose URL slug may
/// be `slug`, loaded; for `birge new` on a large site. Each file's front matter is first
/// read as text (its `slug:`, or its `title:` made into a slug); only the files that may
/// match are parsed and checked, so the answer may include articles with another slug, never
/// miss one whose `slug:` or one-line `title:` gives `slug`.
pub fn articles_that_may_have_slug(root: &Path, config: &Config, slug: &str) -> Vec<Article> {
    let mut problems = Problems::default();
    let regions = load_regions(root, config, &mut problems);
    let polls = load_polls(root, config, &mut problems);
    let unloaded = unloaded_polls(root, &polls);
    let lookup = Lookup::new(&regions, &polls, &unloaded, config);
    let options = LoadOptions {
        drafts: true,
        future: true,
        ..LoadOptions::default()
    };
    markdown_files(root, "content/news", &mut problems)
        .par_iter()
        .filter(|path| {
            let Ok(text) = std::fs::read_to_string(path) else {
                return false;
            };
            front_matter::split("", &text)
                .is_ok_and(|split| may_have_slug(split.yaml, &config.language, slug))
        })
        .filter_map(
            |path| match load_article(root, path, config, &lookup, &options) {
                Ok(Inclusion::Published(article)) => Some(article),
                _ => None,
            },
        )
        .collect()
}

/// Whether front matter `yaml` may give the slug `slug`: by its top-level `slug:` line, or by
/// its `title:` line in its `lang:` (else `default_lang`); anything not read that simply
/// (a title over several lines, no title) may.
fn may_have_slug(yaml: &str, default_lang: &str, slug: &str) -> bool {
    let value = |key: &str| {
        yaml.lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
            .map(plain_value)
    };
    if let Some(explicit) = value("slug") {
        return explicit.is_empty() || explicit == slug;
    }
    match value("title") {
        Some(title) if !title.is_empty() && !title.starts_with(['|', '>']) => {
            let lang = value("lang").unwrap_or_else(|| default_lang.to_string());
            crate::slug::slugify(&title, &lang) == slug
        }
        _ => true,
    }
}

/// A one-line YAML value, roughly: quotes taken off, a comment after a plain value dropped.
fn plain_value(text: &str) -> String {
    let text = text.trim();
    match text.chars().next() {
        Some(quote @ ('"' | '\'')) => text
            .trim_start_matches(quote)
            .trim_end_matches(quote)
            .to_string(),
        _ => text.split(" #").next().unwrap_or(text).trim().to_string(),
    }
}

/// Loads everything under `root/content`; problems are collected, not thrown.
pub fn load(root: &Path, config: &Config, options: &LoadOptions) -> (Content, Problems) {
    let mut problems = Problems::default();
    let regions = load_regions(root, config, &mut problems);
    let regions_unreadable = !problems.is_empty();
    let polls = load_polls(root, config, &mut problems);
    let unloaded = unloaded_polls(root, &polls);
    let lookup = Lookup::new(&regions, &polls, &unloaded, config)
        .with_regions_unreadable(regions_unreadable);

    let article_files = markdown_files(root, "content/news", &mut problems);
    let results: Vec<Result<Inclusion<Article>, Vec<Problem>>> = article_files
        .par_iter()
        .map(|path| load_article(root, path, config, &lookup, options))
        .collect();
    let mut left_out = LeftOut::default();
    let mut articles = Vec::with_capacity(results.len());
    for (path, result) in article_files.iter().zip(results) {
        match result {
            Ok(inclusion) => articles.extend(inclusion.take(path, root, &mut left_out)),
            Err(found) => problems.extend(found),
        }
    }

    let page_files = markdown_files(root, "content/pages", &mut problems);
    let mut pages = Vec::new();
    for path in &page_files {
        match load_page(root, path, config, options) {
            Ok(inclusion) => pages.extend(inclusion.take(path, root, &mut left_out)),
            Err(found) => problems.extend(found),
        }
    }
    left_out.sort();
    (
        Content {
            regions,
            polls,
            articles,
            pages,
            left_out,
        },
        problems,
    )
}

/// One Markdown file of `content/`, loaded.
#[derive(Debug, Clone)]
pub enum Loaded {
    /// An article under `content/news/`.
    Article(Box<Article>),
    /// A page under `content/pages/`.
    Page(Box<Page>),
    /// An article or page left out as a draft.
    Draft,
    /// An article left out because it is dated after the present: this date.
    Scheduled(Timestamp),
}

/// Loads one Markdown file of `content/news/` or `content/pages/` (for rebuilds that
/// re-read only what changed). `Ok(None)`: a file that is not content.
pub fn load_file(
    root: &Path,
    path: &Path,
    config: &Config,
    content: &Content,
    options: &LoadOptions,
) -> Result<Option<Loaded>, Vec<Problem>> {
    let rel = relative(root, path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.ends_with(".md") || name.starts_with('.') || name.starts_with('_') {
        return Ok(None);
    }
    if rel.starts_with("content/news/") {
        let unloaded = unloaded_polls(root, &content.polls);
        let lookup = Lookup::new(&content.regions, &content.polls, &unloaded, config);
        let inclusion = load_article(root, path, config, &lookup, options)?;
        Ok(Some(inclusion.loaded(|a| Loaded::Article(Box::new(a)))))
    } else if rel.starts_with("content/pages/") {
        let inclusion = load_page(root, path, config, options)?;
        Ok(Some(inclusion.loaded(|p| Loaded::Page(Box::new(p)))))
    } else {
        Ok(None)
    }
}

/// The ids of poll files under `content/polls/` that are not among `loaded`: files that
/// failed to load, whose problems are reported with the file itself.
pub fn unloaded_polls(root: &Path, loaded: &[Poll]) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root.join("content/polls")) else {
        return Vec::new();
    };
    let mut ids: Vec<String> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_string))
        .collect();
    // Thousands of polls on a large site: one set, not a scan per file.
    let loaded: std::collections::HashSet<&str> = loaded.iter().map(|p| p.id.as_str()).collect();
    ids.retain(|id| !loaded.contains(id.as_str()));
    ids.sort();
    ids.dedup();
    ids
}

pub fn load_regions(root: &Path, config: &Config, problems: &mut Problems) -> Vec<Region> {
    let path = root.join(regions::REGIONS_FILE);
    if !path.exists() {
        return Vec::new();
    }
    let text = match read_text(root, &path) {
        Ok(text) => text,
        Err(problem) => {
            problems.push(problem);
            return Vec::new();
        }
    };
    regions::parse(&text, &config.language).unwrap_or_else(|found| {
        problems.extend(found);
        Vec::new()
    })
}

/// The polls of `content/polls/`, sorted by file name; problems are added to `problems`.
pub fn load_polls(root: &Path, config: &Config, problems: &mut Problems) -> Vec<Poll> {
    let dir = root.join("content/polls");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    // Read and parsed in parallel (a large site has thousands), checked for ids in order.
    let parsed: Vec<(String, String, Result<Poll, Vec<Problem>>)> = files
        .par_iter()
        .map(|path| {
            let source = relative(root, path);
            let id = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let poll = read_text(root, path)
                .map_err(|problem| vec![problem])
                .and_then(|text| polls::parse(&id, &source, &text, config));
            (source, id, poll)
        })
        .collect();
    let mut polls: Vec<Poll> = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for (source, id, poll) in parsed {
        if ids.contains(&id) {
            problems.push(
                Problem::new(&source, format!("poll id `{id}` is defined twice"))
                    .hint("keep one of poll.yaml and poll.yml"),
            );
            continue;
        }
        match poll {
            Ok(poll) => {
                ids.insert(id);
                polls.push(poll);
            }
            Err(found) => problems.extend(found),
        }
    }
    polls
}

#[cfg(test)]
mod tests {
    use super::may_have_slug;

    #[test]
    fn front_matter_read_as_text_finds_every_article_that_may_have_a_slug() {
        let may = |yaml: &str| may_have_slug(yaml, "en", "masks");
        assert!(may("title: Masks\ndate: 2020-03-26\n"));
        assert!(may("title: \"Masks!\"  \ndate: 2020-03-26\n"));
        assert!(may("title: 'Masks'\n"));
        assert!(may("title: Masks # sewn in Atyrau\n"));
        assert!(may("title: Something else\nslug: masks\n"));
        assert!(may("title: Something else\nslug: \"masks\"\n"));
        assert!(may("title: >\n  Masks\n"), "a title over lines may");
        assert!(may("date: 2020-03-26\n"), "no title may");
        assert!(!may("title: Masks\nslug: other\n"));
        assert!(!may("title: Volunteers\n"));
        assert!(may_have_slug("title: Маска\nlang: ru\n", "en", "maska"));
        assert!(!may("extra:\n  title: Masks\ntitle: Other\n"));
    }
}
