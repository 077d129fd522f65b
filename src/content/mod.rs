//! The load stage: walks `content/` and reads regions, polls, articles and pages.
//!
//! Takes the site root, its [`Config`] and [`LoadOptions`], gives [`Content`]: every article
//! and page with validated front matter (dates in the site's zone, regions and polls checked,
//! slugs and URL paths decided) and its Markdown body, plus every problem found on the way.

mod checks;
pub mod front_matter;
pub mod polls;
pub mod references;
pub mod regions;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jiff::{Timestamp, ZonedDateTime};
use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{Problem, Problems, did_you_mean};
use crate::slug::slugify;
use crate::yaml;
use checks::{
    check_language, check_poll_placed_twice, check_updated, region_given_a_list,
    tags_written_as_text, unknown_region_hint,
};
use front_matter::{ARTICLE_KEYS, ArticleFrontMatter, PAGE_KEYS, PageFrontMatter};
pub use polls::{Poll, PollKind};
pub use regions::Region;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// A site path or URL (bundle files are resolved against the article's path).
    pub src: String,
    /// The text alternative.
    pub alt: Option<String>,
    /// The caption.
    pub caption: Option<String>,
    /// Who made it.
    pub credit: Option<String>,
}

/// A news item, loaded and validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// The file, relative to the site root (`content/news/2020/03/a.md`).
    pub source: String,
    /// The file, relative to `content/` (`news/2020/03/a.md`), as `@/` links name it.
    pub content_path: String,
    /// For an article bundle: the folder whose other files are copied beside the article.
    pub bundle_dir: Option<PathBuf>,
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
    pub extra: serde_json::Value,
    /// The Markdown body.
    pub body: String,
    /// 1-based line of the file on which the body starts.
    pub body_line: usize,
    /// The site path of its page, e.g. `/news/2020/03/slug/` or `/kk/news/2020/03/slug/`.
    pub path: String,
}

/// A standalone page such as `/about/`.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, Default, PartialEq)]
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

/// Loads everything under `root/content`; problems are collected, not thrown.
pub fn load(root: &Path, config: &Config, options: &LoadOptions) -> (Content, Problems) {
    let mut problems = Problems::default();
    let regions = load_regions(root, config, &mut problems);
    let polls = load_polls(root, config, &mut problems);
    let unloaded = unloaded_polls(root, &polls);
    let lookup = Lookup::new(&regions, &polls, &unloaded, config);

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

/// Regions, polls and languages that front matter may name.
struct Lookup<'a> {
    regions: HashMap<&'a str, &'a str>,
    region_slugs: Vec<&'a str>,
    /// Every region's names, for telling an editor who wrote a name which slug it has.
    region_names: Vec<(&'a str, &'a str)>,
    polls: Vec<&'a str>,
    /// Polls whose files exist but did not load: their own problems are reported with the
    /// file, so an article that names one is not told that the poll does not exist.
    unloaded_polls: &'a [String],
    languages: &'a [String],
}

impl<'a> Lookup<'a> {
    fn new(
        regions: &'a [Region],
        polls: &'a [Poll],
        unloaded_polls: &'a [String],
        config: &'a Config,
    ) -> Self {
        let mut map = HashMap::new();
        for region in regions {
            map.insert(region.slug.as_str(), region.slug.as_str());
            for former in &region.former {
                map.insert(former.as_str(), region.slug.as_str());
            }
        }
        Lookup {
            regions: map,
            region_slugs: regions.iter().map(|r| r.slug.as_str()).collect(),
            region_names: regions
                .iter()
                .flat_map(|r| {
                    r.names
                        .values()
                        .map(|name| (name.as_str(), r.slug.as_str()))
                })
                .collect(),
            polls: polls.iter().map(|p| p.id.as_str()).collect(),
            unloaded_polls,
            languages: &config.languages,
        }
    }

    /// Whether a poll file of this id exists, loaded or not.
    fn has_poll(&self, id: &str) -> bool {
        self.polls.contains(&id) || self.unloaded_polls.iter().any(|u| u == id)
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
        .filter(|id| !loaded.iter().any(|p| &p.id == id))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

fn load_regions(root: &Path, config: &Config, problems: &mut Problems) -> Vec<Region> {
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
    let mut polls: Vec<Poll> = Vec::new();
    for path in files {
        let source = relative(root, &path);
        let id = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        if polls.iter().any(|p| p.id == id) {
            problems.push(
                Problem::new(&source, format!("poll id `{id}` is defined twice"))
                    .hint("keep one of poll.yaml and poll.yml"),
            );
            continue;
        }
        match read_text(root, &path) {
            Ok(text) => match polls::parse(&id, &source, &text, config) {
                Ok(poll) => polls.push(poll),
                Err(found) => problems.extend(found),
            },
            Err(problem) => problems.push(problem),
        }
    }
    polls
}

/// The Markdown files under `root/dir`, sorted, editors' temporary files left out.
fn markdown_files(root: &Path, dir: &str, problems: &mut Problems) -> Vec<PathBuf> {
    let base = root.join(dir);
    if !base.exists() {
        return Vec::new();
    }
    let mut files = Vec::new();
    // Links are followed, so a linked article is published rather than silently left out;
    // a link loop is reported as a problem.
    for entry in walkdir::WalkDir::new(&base)
        .follow_links(true)
        .sort_by_file_name()
    {
        match entry {
            Ok(entry) if entry.file_type().is_file() => {
                let name = entry.file_name().to_string_lossy();
                if name.ends_with(".md") && !name.starts_with('.') && !name.starts_with('_') {
                    files.push(entry.into_path());
                }
            }
            Ok(_) => {}
            Err(error) => {
                let path = error
                    .path()
                    .map(|p| relative(root, p))
                    .unwrap_or_else(|| dir.to_string());
                let is_loop = error.loop_ancestor().is_some()
                    || error
                        .io_error()
                        .and_then(std::io::Error::raw_os_error)
                        .is_some_and(|code| code == libc::ELOOP);
                let problem = Problem::new(path, format!("cannot read: {error}"));
                problems.push(if is_loop {
                    problem.hint("a symbolic link here points back at itself or at a folder above it; remove it or point it elsewhere")
                } else {
                    problem
                });
            }
        }
    }
    files
}

/// A path relative to the site root, with `/` separators.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Reads a file as UTF-8, explaining where it is not.
fn read_text(root: &Path, path: &Path) -> Result<String, Problem> {
    let source = relative(root, path);
    let bytes =
        std::fs::read(path).map_err(|e| Problem::new(&source, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
        Problem::new(&source, "the file is not UTF-8 text")
            .at(line, column)
            .hint("save it as UTF-8 (most editors have this under 'Save with encoding')")
    })
}

/// Finds where a value of a front-matter key stands in the file.
type ValueAt<'a> = dyn Fn(&str, &str) -> Option<(usize, usize)> + 'a;
/// Finds where a front-matter key stands in the file.
type KeyAt<'a> = dyn Fn(&str) -> Option<(usize, usize)> + 'a;

/// Shifts a position within front matter YAML to a line of the whole file.
fn in_file(position: Option<(usize, usize)>) -> Option<(usize, usize)> {
    position.map(|(line, column)| (line + 1, column))
}

fn load_article(
    root: &Path,
    path: &Path,
    config: &Config,
    lookup: &Lookup,
    options: &LoadOptions,
) -> Result<Inclusion<Article>, Vec<Problem>> {
    let source = relative(root, path);
    let text = read_text(root, path).map_err(|p| vec![p])?;
    let split = front_matter::split(&source, &text).map_err(|p| vec![p])?;
    let fm: ArticleFrontMatter = front_matter::parse(&source, split.yaml, ARTICLE_KEYS)?;
    let yaml_text = split.yaml;
    let key_at = |key: &str| in_file(yaml::key_position(yaml_text, key)).or(Some((1, 1)));
    let value_at = |key: &str, value: &str| in_file(yaml::value_position(yaml_text, key, value));
    let tz = &config.timezone;
    let mut problems = Vec::new();

    let title = fm.title.clone().filter(|t| !t.trim().is_empty());
    if title.is_none() {
        problems.push(
            Problem::new(&source, "the article has no `title`")
                .at_opt(key_at("title"))
                .hint(
                    "add a line like `title: Volunteers of Atyrau sew masks` to the front matter",
                ),
        );
    }
    let date = match fm.date.as_deref() {
        None => {
            problems.push(
                Problem::new(&source, "the article has no `date`")
                    .at(1, 1)
                    .hint("add a line like `date: 2020-03-26` to the front matter"),
            );
            None
        }
        Some(text) => crate::dates::parse_date(text, tz)
            .map_err(|message| problems.push(Problem::new(&source, message).at_opt(key_at("date"))))
            .ok(),
    };
    let updated = fm.updated.as_deref().and_then(|text| {
        crate::dates::parse_date(text, tz)
            .map_err(|message| {
                problems.push(Problem::new(&source, message).at_opt(key_at("updated")))
            })
            .ok()
    });
    if let (Some(date), Some(updated)) = (&date, &updated) {
        let texts = (fm.date.as_deref(), fm.updated.as_deref());
        problems.extend(check_updated(
            &source,
            texts,
            date,
            updated,
            key_at("updated"),
        ));
    }
    let pinned_until = fm.pinned_until.as_deref().and_then(|text| {
        crate::dates::parse_date(text, tz)
            .map_err(|message| {
                problems.push(Problem::new(&source, message).at_opt(key_at("pinned_until")))
            })
            .ok()
    });

    let lang = fm.lang.clone().unwrap_or_else(|| config.language.clone());
    problems.extend(check_language(
        &source,
        &lang,
        lookup.languages,
        value_at("lang", &lang).or(key_at("lang")),
    ));

    let regions = resolve_regions(&source, &fm, lookup, &value_at, &key_at, &mut problems);
    if let Some(poll) = &fm.poll
        && !lookup.has_poll(poll)
    {
        problems.push(
            Problem::new(&source, format!("unknown poll `{poll}`"))
                .at_opt(value_at("poll", poll))
                .hint(match did_you_mean(poll, lookup.polls.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`? Polls are the files in content/polls/"),
                    None => format!("polls are the files in content/polls/; there is no content/polls/{poll}.yaml"),
                }),
        );
    }
    if let Some(poll) = &fm.poll {
        problems.extend(check_poll_placed_twice(&source, poll, &split));
    }
    let slug = article_slug(&source, &fm, &lang, &key_at, &mut problems);
    if let yaml::OneOrList::One(text) = &fm.tags
        && text.contains(',')
    {
        problems.push(tags_written_as_text(&source, text, &value_at, &key_at));
    }
    for tag in fm.tags.items().iter().filter(|t| !t.trim().is_empty()) {
        // A tag with no letter or digit the slug tables know would have no page: it would
        // vanish from the site without a word.
        if slugify(tag, &lang).is_empty() {
            problems.push(
                Problem::new(
                    &source,
                    format!("tag `{tag}` cannot be made into a URL slug"),
                )
                .at_opt(value_at("tags", tag).or(key_at("tags")))
                .hint("tags need a Latin, Kazakh or Russian letter or a digit, e.g. `masks`"),
            );
        }
    }
    check_aliases(&source, &fm.aliases, &value_at, &mut problems);

    if !problems.is_empty() {
        return Err(problems);
    }
    let (title, date) = (title.expect("checked"), date.expect("checked"));
    if !options.future && date.timestamp() > options.now {
        return Ok(Inclusion::Scheduled(date.timestamp()));
    }
    if fm.draft && !options.drafts {
        return Ok(Inclusion::Draft);
    }
    let is_bundle = path.file_name().is_some_and(|n| n == "index.md");
    let content_path = source
        .strip_prefix("content/")
        .unwrap_or(&source)
        .to_string();
    let lang_prefix = if lang == config.language {
        String::new()
    } else {
        format!("/{lang}")
    };
    let path_in_site = format!(
        "{lang_prefix}/news/{}/{:02}/{slug}/",
        date.year(),
        date.month()
    );
    let pinned = fm.pinned
        && pinned_until
            .as_ref()
            .is_none_or(|until| until.timestamp() > options.now);
    Ok(Inclusion::Published(Article {
        bundle_dir: is_bundle
            .then(|| path.parent().map(Path::to_path_buf))
            .flatten(),
        source,
        content_path,
        image: fm.image.map(|src| Image {
            src,
            alt: fm.image_alt,
            caption: fm.image_caption,
            credit: fm.image_credit,
        }),
        title,
        date,
        updated,
        regions,
        tags: fm
            .tags
            .items()
            .iter()
            .filter(|t| !t.trim().is_empty())
            .cloned()
            .collect(),
        summary: fm.summary,
        author: fm.author,
        update_note: fm.update_note,
        slug,
        lang,
        translation: fm.translation,
        poll: fm.poll,
        aliases: fm.aliases,
        draft: fm.draft,
        pinned,
        pinned_until,
        extra: fm
            .extra
            .unwrap_or_else(|| serde_json::Value::Object(Default::default())),
        body: split.body.to_string(),
        body_line: split.body_line,
        path: path_in_site,
    }))
}

fn resolve_regions(
    source: &str,
    fm: &ArticleFrontMatter,
    lookup: &Lookup,
    value_at: &ValueAt,
    key_at: &KeyAt,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    if let yaml::OneOrList::List(list) = &fm.region
        && !list.is_empty()
    {
        problems.push(region_given_a_list(source, list, key_at));
    }
    let written = fm
        .region
        .items()
        .iter()
        .map(|r| ("region", r))
        .chain(fm.regions.iter().map(|r| ("regions", r)));
    let mut regions: Vec<String> = Vec::new();
    for (key, slug) in written {
        match lookup.regions.get(slug.as_str()) {
            Some(current) => {
                if !regions.iter().any(|r| r == current) {
                    regions.push(current.to_string());
                }
            }
            None => problems.push(
                Problem::new(source, format!("unknown region `{slug}`"))
                    .at_opt(value_at(key, slug))
                    .hint(unknown_region_hint(key, slug, lookup)),
            ),
        }
    }
    regions
}

fn article_slug(
    source: &str,
    fm: &ArticleFrontMatter,
    lang: &str,
    key_at: &KeyAt,
    problems: &mut Vec<Problem>,
) -> String {
    match &fm.slug {
        Some(slug) if !regions::is_valid_slug(slug) => {
            problems.push(
                Problem::new(source, format!("slug `{slug}` is not a URL slug"))
                    .at_opt(key_at("slug"))
                    .hint(format!(
                        "use lowercase a-z, digits and single hyphens, e.g. `{}`",
                        slugify(slug, lang)
                    )),
            );
            String::new()
        }
        Some(slug) => slug.clone(),
        None => {
            let slug = slugify(fm.title.as_deref().unwrap_or_default(), lang);
            if slug.is_empty() && fm.title.as_deref().is_some_and(|t| !t.trim().is_empty()) {
                problems.push(
                    Problem::new(source, "cannot make a URL slug from this title")
                        .at_opt(key_at("title"))
                        .hint("add a line like `slug: masks-in-atyrau`"),
                );
            }
            slug
        }
    }
}

fn check_aliases(
    source: &str,
    aliases: &[String],
    value_at: &ValueAt,
    problems: &mut Vec<Problem>,
) {
    for alias in aliases {
        let bad = !alias.starts_with('/')
            || alias.starts_with("//")
            || alias.split('/').any(|s| s == "..")
            || alias.contains('\\');
        if bad {
            problems.push(
                Problem::new(source, format!("alias `{alias}` is not a site path"))
                    .at_opt(value_at("aliases", alias))
                    .hint("write old URLs as paths from the site's root, e.g. `/2020/03/old-url/`"),
            );
        }
    }
}

fn load_page(
    root: &Path,
    path: &Path,
    config: &Config,
    options: &LoadOptions,
) -> Result<Inclusion<Page>, Vec<Problem>> {
    let source = relative(root, path);
    let text = read_text(root, path).map_err(|p| vec![p])?;
    let split = front_matter::split(&source, &text).map_err(|p| vec![p])?;
    let fm: PageFrontMatter = front_matter::parse(&source, split.yaml, PAGE_KEYS)?;
    let key_at = |key: &str| in_file(yaml::key_position(split.yaml, key)).or(Some((1, 1)));
    let mut problems = Vec::new();
    let title = fm.title.clone().filter(|t| !t.trim().is_empty());
    if title.is_none() {
        problems.push(
            Problem::new(&source, "the page has no `title`")
                .at_opt(key_at("title"))
                .hint("add a line like `title: About the Assembly`"),
        );
    }
    let lang = fm.lang.clone().unwrap_or_else(|| config.language.clone());
    let lang_at = in_file(yaml::value_position(split.yaml, "lang", &lang)).or(key_at("lang"));
    problems.extend(check_language(&source, &lang, &config.languages, lang_at));
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let slug = fm.slug.clone().unwrap_or_else(|| slugify(stem, &lang));
    if !regions::is_valid_slug(&slug) {
        problems.push(
            Problem::new(&source, format!("slug `{slug}` is not a URL slug"))
                .at_opt(key_at("slug"))
                .hint("use lowercase a-z, digits and single hyphens"),
        );
    } else if RESERVED_PATHS.contains(&slug.as_str()) || config.languages.contains(&slug) {
        problems.push(
            Problem::new(
                &source,
                format!("a page cannot take the URL /{slug}/: birge builds its own pages there"),
            )
            .at_opt(key_at("slug"))
            .hint("give it another `slug:`"),
        );
    }
    let mut date_of = |key: &str, text: Option<&str>| {
        text.and_then(|text| {
            crate::dates::parse_date(text, &config.timezone)
                .map_err(|message| {
                    problems.push(Problem::new(&source, message).at_opt(key_at(key)))
                })
                .ok()
        })
    };
    let date = date_of("date", fm.date.as_deref());
    let updated = date_of("updated", fm.updated.as_deref());
    if let (Some(date), Some(updated)) = (&date, &updated) {
        let texts = (fm.date.as_deref(), fm.updated.as_deref());
        problems.extend(check_updated(
            &source,
            texts,
            date,
            updated,
            key_at("updated"),
        ));
    }
    let value_at = |key: &str, value: &str| in_file(yaml::value_position(split.yaml, key, value));
    check_aliases(&source, &fm.aliases, &value_at, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    if fm.draft && !options.drafts {
        return Ok(Inclusion::Draft);
    }
    let lang_prefix = if lang == config.language {
        String::new()
    } else {
        format!("/{lang}")
    };
    Ok(Inclusion::Published(Page {
        content_path: source
            .strip_prefix("content/")
            .unwrap_or(&source)
            .to_string(),
        source,
        title: title.expect("checked"),
        path: format!("{lang_prefix}/{slug}/"),
        slug,
        summary: fm.summary,
        lang,
        translation: fm.translation,
        date,
        updated,
        image: fm.image.map(|src| Image {
            src,
            alt: fm.image_alt,
            caption: fm.image_caption,
            credit: fm.image_credit,
        }),
        aliases: fm.aliases,
        draft: fm.draft,
        extra: fm
            .extra
            .unwrap_or_else(|| serde_json::Value::Object(Default::default())),
        body: split.body.to_string(),
        body_line: split.body_line,
    }))
}

/// First path segments that birge's own pages use.
pub const RESERVED_PATHS: &[&str] = &["news", "regions", "archive", "tags", "polls", "page", "api"];
