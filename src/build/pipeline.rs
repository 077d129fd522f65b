//! The one pipeline of `build`, `check` and `serve`: a full run, and an update run from the
//! paths that changed, over any [`Sink`] (a staging folder, memory, nothing).
//!
//! Takes [`BuildOptions`] (and later the changed paths), gives every output written into the
//! sink, and keeps what an update needs: the loaded articles and pages, each article's body
//! and list view with what they were made from, and for every output file its key and the
//! [`Read`]s its rendering made with their versions. An update re-reads the changed files,
//! assembles the model again (cheap), re-renders the Markdown of the articles that changed or
//! whose `@/` links now resolve elsewhere, remakes the views whose article, body or
//! translations changed, and renders exactly the outputs of which a read changed version;
//! files no output produces any more are removed. Settings, regions, polls, templates and
//! static files are read by a full run only ([`Pipeline::start`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use rayon::prelude::*;
use tera::Value;

use super::bodies::{MarkdownScope, check_references, render_bodies};
use super::cache::{self, BlobRef, Packs};
use super::plan::{Planned, Source, plan, produce};
use super::{BuildOptions, JobTimes, Prepared, Timer, prepare, progress_bar};

use crate::config::Config;
use crate::content::{self, Article, Content, LeftOut, LoadOptions, Loaded, Page, Poll, Region};
use crate::diagnostics::{Problem, Problems};
use crate::markdown::Rendered;
use crate::output::Sink;
use crate::render::reads::hash_of;
use crate::render::views::{Results, Views};
use crate::render::{self, Body, Failure, Read, Renderer, Versions};
use crate::site::Site;
use crate::theme::Theme;

/// What a run did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Run {
    /// Output files rendered or copied again (all of them in a full run).
    pub rendered: usize,
    /// Output files of the site.
    pub files: usize,
    /// HTML pages among them (feeds, redirects and copied files not counted).
    pub pages: usize,
    /// Articles published.
    pub articles: usize,
}

/// A time at which the site changes with no edit, and what changes then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// When.
    pub at: jiff::Timestamp,
    /// What, for the log (`content/news/x.md comes due`).
    pub what: String,
}

/// The site's state between runs.
pub struct Pipeline {
    options: BuildOptions,
    /// Whether outputs' reads are kept, for updates (a one-off build keeps none).
    record: bool,
    frame: Frame,
    articles: HashMap<String, Article>,
    pages: HashMap<String, Page>,
    derived: HashMap<String, Derived>,
    outputs: HashMap<String, Recorded>,
    read_table: ReadTable,
    left_out: LeftOut,
    next_version: u64,
    /// The build cache's bodies, for a pipeline resumed from it.
    packs: Option<Arc<Packs>>,
    /// Articles resumed from the cache, whose Markdown is read again when needed.
    bodiless: HashSet<String>,
}

/// What a build found in the build cache.
pub enum Resumed {
    /// A pipeline as the last build left it, the files changed since, and their stamps now.
    Ready(Box<Pipeline>, Vec<PathBuf>, Stamps),
    /// A cache that cannot be used, and why (said in a one-line notice).
    SetAside(String),
    /// Nothing to resume (no cache, the site changed by itself since, or a problem that a
    /// full build reports).
    Nothing,
}

/// The stamps of the files under `content/`, by path relative to the site root.
pub type Stamps = std::collections::BTreeMap<String, cache::Stamp>;

/// What only a full run reads.
pub(super) struct Frame {
    config: Config,
    regions: Vec<Region>,
    polls: Vec<Poll>,
    theme: Theme,
    tera: tera::Tera,
    results: Results,
    now: jiff::Timestamp,
}

impl Frame {
    /// Reads settings, regions, polls, theme and poll results as a full run does; `None` when
    /// any has a problem (a full build then reports it).
    fn load(options: &BuildOptions) -> Option<Frame> {
        let root = &options.root;
        let mut config = Config::load(root).ok()?;
        if let Some(base_url) = &options.base_url {
            config.base_url = base_url.trim_end_matches('/').to_string();
        }
        let mut problems = Problems::default();
        let regions = content::load_regions(root, &config, &mut problems);
        let mut polls = content::load_polls(root, &config, &mut problems);
        polls.sort_by(|a, b| a.id.cmp(&b.id));
        let theme = Theme::load(root, &config.theme).ok()?;
        let tera = render::compile(&theme, &config.base_url, config.safe_html).ok()?;
        let results = super::read_poll_results(root, &config, &mut problems);
        problems.is_empty().then(|| Frame {
            config,
            regions,
            polls,
            theme,
            tera,
            results,
            now: options.now.unwrap_or_else(jiff::Timestamp::now),
        })
    }
}

/// What an article gives the outputs, with what it was made from.
pub(super) struct Derived {
    /// The rendered body when it is in memory; `None` while it waits in the build cache.
    pub(super) body: Option<Rendered>,
    /// What of the body every run needs, in memory always.
    pub(super) meta: BodyMeta,
    pub(super) body_version: u64,
    /// The list view; `None` until a job needs it (and while a run holds it).
    pub(super) view: Option<Value>,
    pub(super) view_version: u64,
    /// The translations the view names, hashed.
    pub(super) translations: u64,
    /// The bundle's files: (output path, source file).
    pub(super) bundle: Vec<(String, PathBuf)>,
    /// Where the body is kept in the build cache, once it is.
    pub(super) blob: Option<BlobRef>,
}

/// What every run needs of a body without its HTML.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct BodyMeta {
    /// Whether it has highlighted code (the site then needs the highlight stylesheet).
    pub(super) has_code: bool,
    /// The local files it points at, for the check that they are published.
    pub(super) references: Vec<crate::markdown::Reference>,
    /// The `@/` targets it looked up, and the site path each resolved to.
    pub(super) links: Vec<(String, Option<String>)>,
}

/// One output file as last rendered: its key, and each read it made (by its number in the
/// [`ReadTable`]) with the version it had.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Recorded {
    pub(super) key: u64,
    pub(super) reads: Vec<(u32, u64)>,
}

/// One output rendered by a run: its path, key, and the reads it made with their versions.
type Rendering = (String, u64, Vec<(Read, u64)>);

/// Every read the recorded outputs made, numbered: outputs share most of their reads (a
/// tree's variables, an article's view), so each is kept, and its version found, once.
#[derive(Default)]
pub(super) struct ReadTable {
    pub(super) reads: Vec<Read>,
    numbers: HashMap<Read, u32>,
}

impl ReadTable {
    /// A table of these reads, numbered in order.
    pub(super) fn of(reads: Vec<Read>) -> ReadTable {
        let numbers = reads
            .iter()
            .enumerate()
            .map(|(i, read)| (read.clone(), i as u32))
            .collect();
        ReadTable { reads, numbers }
    }

    /// Keeps only the reads some output still refers to, numbering them again.
    fn compact(&mut self, outputs: &mut HashMap<String, Recorded>) {
        let mut renumbered: Vec<Option<u32>> = vec![None; self.reads.len()];
        let mut kept = ReadTable::default();
        for recorded in outputs.values_mut() {
            for (number, _) in &mut recorded.reads {
                let new = *renumbered[*number as usize]
                    .get_or_insert_with(|| kept.number(self.reads[*number as usize].clone()));
                *number = new;
            }
        }
        *self = kept;
    }

    /// The number of a read, given one now if it has none.
    fn number(&mut self, read: Read) -> u32 {
        if let Some(&n) = self.numbers.get(&read) {
            return n;
        }
        let n = self.reads.len() as u32;
        self.reads.push(read.clone());
        self.numbers.insert(read, n);
        n
    }
}

impl Pipeline {
    /// Loads and checks the whole site and renders every output into `sink`. With `record`,
    /// it keeps what [`Pipeline::update`] needs.
    pub fn start(options: &BuildOptions, sink: &dyn Sink, record: bool) -> Result<(Self, Run)> {
        let Prepared {
            site,
            bodies,
            page_bodies,
            theme,
            tera,
            results,
            now,
        } = prepare(options)?;
        let mut pipeline = Pipeline {
            options: options.clone(),
            record,
            frame: Frame {
                config: site.config.clone(),
                regions: site.regions.clone(),
                polls: site.polls.clone(),
                theme,
                tera,
                results,
                now,
            },
            articles: HashMap::new(),
            pages: HashMap::new(),
            derived: HashMap::new(),
            outputs: HashMap::new(),
            read_table: ReadTable::default(),
            left_out: site.left_out.clone(),
            next_version: 1,
            packs: None,
            bodiless: HashSet::new(),
        };
        for (article, body) in site.articles.iter().zip(bodies) {
            let derived = pipeline.derived_of(&site, article, body);
            pipeline.derived.insert(article.source.clone(), derived);
        }
        // prepare() checked the files bodies point at, with every other problem.
        let run = pipeline.finish(site, page_bodies, sink, false)?;
        Ok((pipeline, run))
    }

    /// Re-reads the changed files (content, or files of an article's bundle) at the present
    /// and renders into `sink` what they changed. After an error the pipeline is spent: start
    /// a new one.
    pub fn update(&mut self, sink: &dyn Sink, changed: &[PathBuf]) -> Result<Run> {
        self.frame.now = self.options.now.unwrap_or_else(jiff::Timestamp::now);
        self.reload(changed)?;
        let timer = Timer::start();
        let content = Content {
            regions: self.frame.regions.clone(),
            polls: self.frame.polls.clone(),
            articles: self.articles.drain().map(|(_, a)| a).collect(),
            pages: self.pages.drain().map(|(_, p)| p).collect(),
            left_out: self.left_out.clone(),
        };
        let site = Site::assemble(self.frame.config.clone(), content)?;
        timer.lap("assemble");
        let mut problems = Problems::default();
        self.derive_bodies(&site, &mut problems);
        timer.lap("markdown");
        let unloaded = content::unloaded_polls(&self.options.root, &self.frame.polls);
        let scope = MarkdownScope::new(&site).with_unloaded_polls(&unloaded);
        let page_bodies: Vec<Rendered> = site
            .pages
            .iter()
            .map(|page| {
                let (rendered, found) = scope.page(page);
                problems.extend(found);
                rendered
            })
            .collect();
        if !problems.is_empty() {
            return Err(problems.sorted().into());
        }
        self.finish(site, page_bodies, sink, true)
    }

    /// The pipeline the last `birge build` left in the build cache, for a build into `output`,
    /// with the files changed since; or why there is none.
    pub fn resume(options: &BuildOptions, output: &Path) -> Resumed {
        let root = &options.root;
        let dir = cache::dir(root);
        if !cache::has_state(&dir) {
            return Resumed::Nothing;
        }
        // Stamped before anything is read: a file saved during the build counts as changed
        // for the next one.
        let stamps = cache::stamps(root);
        let Some(frame) = Frame::load(options) else {
            return Resumed::Nothing;
        };
        let database = root.join(&frame.config.polls.database);
        let fingerprint = cache::fingerprint(options, output, &frame.theme, &database);
        let state = match cache::read_state(&dir, fingerprint) {
            Ok(state) => state,
            Err(error) => return Resumed::SetAside(format!("{error:#}")),
        };
        let output_is_the_same = std::path::absolute(output).is_ok_and(|o| o == state.output);
        let time_passed = state.next_change.is_some_and(|at| at <= frame.now);
        if !output_is_the_same || !output.is_dir() || time_passed {
            return Resumed::Nothing;
        }
        let changed = cache::changed_files(root, &state.files, &stamps);
        let mut pipeline = Pipeline {
            options: options.clone(),
            record: true,
            frame,
            articles: HashMap::new(),
            pages: HashMap::new(),
            derived: HashMap::new(),
            outputs: state.outputs.into_iter().collect(),
            read_table: ReadTable::of(state.reads),
            left_out: state.left_out,
            next_version: state.next_version,
            packs: Some(Arc::new(Packs::new(&dir))),
            bodiless: HashSet::new(),
        };
        for stored in state.articles {
            let source = stored.article.source.clone();
            pipeline.derived.insert(
                source.clone(),
                Derived {
                    body: None,
                    meta: stored.meta,
                    body_version: stored.body_version,
                    view: None,
                    view_version: stored.view_version,
                    translations: stored.translations,
                    bundle: stored.bundle,
                    blob: stored.blob,
                },
            );
            pipeline.articles.insert(source.clone(), stored.article);
            pipeline.bodiless.insert(source);
        }
        for page in state.pages {
            pipeline.pages.insert(page.source.clone(), page);
        }
        Resumed::Ready(Box::new(pipeline), changed, stamps)
    }

    /// Keeps the pipeline in the build cache for the next build into `output`: new bodies
    /// into a new pack, then the state, then packs no body needs any more are removed.
    /// `stamps` are those of the files this run read.
    pub fn save(&mut self, output: &Path, stamps: Stamps) -> Result<()> {
        let dir = cache::dir(&self.options.root);
        cache::create_dir(&dir)?;
        let packs = Arc::clone(self.packs.get_or_insert_with(|| Arc::new(Packs::new(&dir))));
        let unsaved: Vec<&String> = self
            .derived
            .iter()
            .filter(|(_, d)| d.blob.is_none() && d.body.is_some())
            .map(|(source, _)| source)
            .collect();
        let bodies: Vec<&Rendered> = unsaved
            .iter()
            .filter_map(|source| self.derived[*source].body.as_ref())
            .collect();
        let blobs = packs.write(&bodies)?;
        let unsaved: Vec<String> = unsaved.into_iter().cloned().collect();
        for (source, blob) in unsaved.iter().zip(blobs) {
            if let Some(d) = self.derived.get_mut(source) {
                d.blob = Some(blob);
            }
        }
        self.read_table.compact(&mut self.outputs);
        let database = self.options.root.join(&self.frame.config.polls.database);
        let fingerprint = cache::fingerprint(&self.options, output, &self.frame.theme, &database);
        let articles = self
            .articles
            .values()
            .filter_map(|article| {
                let d = self.derived.get(&article.source)?;
                Some(cache::StoredArticle {
                    article,
                    blob: d.blob,
                    meta: d.meta.clone(),
                    body_version: d.body_version,
                    view_version: d.view_version,
                    translations: d.translations,
                    bundle: d.bundle.clone(),
                })
            })
            .collect();
        let state = cache::WrittenState {
            output: std::path::absolute(output)?,
            files: stamps,
            articles,
            pages: self.pages.values().collect(),
            outputs: self.outputs.iter().collect(),
            reads: &self.read_table.reads,
            left_out: self.left_out.clone(),
            next_version: self.next_version,
            next_change: self.next_change().map(|due| due.at),
        };
        cache::write_state(&dir, &cache::Header::new(fingerprint), &state)?;
        let used = self
            .derived
            .values()
            .filter_map(|d| d.blob.map(|b| b.pack()))
            .collect();
        packs.remove_unused(&used)
    }

    /// The next time the site changes with no edit: the soonest of a future-dated article
    /// coming due, a pinned article's `pinned_until` passing, and a poll opening or
    /// closing. `None` when nothing is scheduled.
    pub fn next_change(&self) -> Option<Due> {
        let now = self.frame.now;
        let due = |at: jiff::Timestamp, what: String| Due { at, what };
        let future = self
            .left_out
            .future
            .iter()
            .map(|(source, at)| due(*at, format!("{source} comes due")));
        let pins = self.articles.values().filter(|a| a.pinned).filter_map(|a| {
            let until = a.pinned_until.as_ref()?.timestamp();
            Some(due(until, format!("the pin of {} ends", a.source)))
        });
        let polls = self.frame.polls.iter().filter_map(|p| {
            let change = p.next_change_after(now)?;
            let what = match change.to {
                crate::content::polls::PollState::Open => "opens",
                _ => "closes",
            };
            Some(due(change.at, format!("poll {} {what}", p.id)))
        });
        future.chain(pins).chain(polls).min_by_key(|d| d.at)
    }

    /// What the last run left out and why.
    pub fn left_out(&self) -> &LeftOut {
        &self.left_out
    }

    /// The site's settings as the last full run read them.
    pub fn config(&self) -> &Config {
        &self.frame.config
    }

    /// How many standalone pages the site has.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The folder the pipeline builds.
    pub fn root(&self) -> &Path {
        &self.options.root
    }

    /// Reads the changed files again into the pipeline's articles and pages.
    fn reload(&mut self, changed: &[PathBuf]) -> Result<()> {
        let root = self.options.root.clone();
        let load_options = LoadOptions {
            drafts: self.options.drafts,
            future: self.options.future,
            now: self.frame.now,
        };
        let lookup = Content {
            regions: self.frame.regions.clone(),
            polls: self.frame.polls.clone(),
            ..Content::default()
        };
        let mut problems = Problems::default();
        let mut loaded: Vec<(String, Option<Loaded>)> = Vec::new();
        for path in self.markdown_files_of(changed) {
            let source = content::relative(&root, &path);
            if !path.exists() {
                loaded.push((source, None));
                continue;
            }
            match content::load_file(&root, &path, &self.frame.config, &lookup, &load_options) {
                Ok(found) => loaded.push((source, found)),
                Err(found) => problems.extend(found),
            }
        }
        if !problems.is_empty() {
            return Err(problems.sorted().into());
        }
        for (source, found) in loaded {
            self.note_left_out(&source, found.as_ref());
            self.bodiless.remove(&source);
            self.articles.remove(&source);
            self.pages.remove(&source);
            self.derived.remove(&source);
            match found {
                Some(Loaded::Article(article)) => {
                    self.articles.insert(source, *article);
                }
                Some(Loaded::Page(page)) => {
                    self.pages.insert(source, *page);
                }
                Some(Loaded::Draft | Loaded::Scheduled(_)) | None => {}
            }
        }
        Ok(())
    }

    /// The Markdown files that changed paths stand for: a folder that appeared stands for
    /// every file in it (a watcher may report a new folder and miss the files written into it
    /// before it watched it, as `birge new` does in a new month's folder); a folder that went
    /// stands for the articles and pages that were in it; a file of an article's bundle
    /// stands for the article (its images' sizes and its copied files change with it).
    fn markdown_files_of(&self, changed: &[PathBuf]) -> Vec<PathBuf> {
        let root = &self.options.root;
        let mut files = Vec::new();
        for path in changed {
            if path.is_dir() {
                files.extend(
                    walkdir::WalkDir::new(path)
                        .follow_links(true)
                        .into_iter()
                        .filter_map(Result::ok)
                        .filter(|e| e.file_type().is_file())
                        .map(walkdir::DirEntry::into_path),
                );
                continue;
            }
            files.push(path.clone());
            if !path.exists() && path.extension().is_none_or(|e| e != "md") {
                let folder = format!("{}/", content::relative(root, path));
                let known = self.articles.keys().chain(self.pages.keys());
                let drafts = self.left_out.drafts.iter();
                let future = self.left_out.future.iter().map(|(source, _)| source);
                files.extend(
                    known
                        .chain(drafts)
                        .chain(future)
                        .filter(|source| source.starts_with(&folder))
                        .map(|source| root.join(source)),
                );
            }
        }
        let mut markdown: Vec<PathBuf> = Vec::new();
        for file in files {
            if file.extension().is_some_and(|e| e == "md") {
                markdown.push(file);
            } else if let Some(owner) = self.articles.values().find(|a| {
                a.bundle_dir
                    .as_deref()
                    .is_some_and(|dir| file.starts_with(dir))
            }) {
                markdown.push(root.join(&owner.source));
            }
        }
        markdown.sort();
        markdown.dedup();
        markdown
    }

    /// Records whether the file `source` is left out now, and why.
    fn note_left_out(&mut self, source: &str, found: Option<&Loaded>) {
        self.left_out.drafts.retain(|s| s != source);
        self.left_out.future.retain(|(s, _)| s != source);
        match found {
            Some(Loaded::Draft) => self.left_out.drafts.push(source.to_string()),
            Some(Loaded::Scheduled(at)) => self.left_out.future.push((source.to_string(), *at)),
            _ => {}
        }
        self.left_out.sort();
    }

    fn next_version(&mut self) -> u64 {
        self.next_version += 1;
        self.next_version
    }

    /// An article's derived values around a freshly rendered body.
    fn derived_of(&mut self, site: &Site, article: &Article, body: Rendered) -> Derived {
        let links = body
            .links
            .iter()
            .map(|target| (target.clone(), site.link_targets.get(target).cloned()))
            .collect();
        let bundle = article.bundle_dir.as_deref().map_or_else(Vec::new, |dir| {
            let page = render::output_path(&article.path);
            let base = page.trim_end_matches("index.html").to_string();
            content::references::bundle_files(dir)
                .into_iter()
                .map(|(rel, path)| (format!("{base}{rel}"), path))
                .collect()
        });
        Derived {
            meta: BodyMeta {
                has_code: body.has_code,
                references: body.references.clone(),
                links,
            },
            body: Some(body),
            blob: None,
            body_version: self.next_version(),
            view: None,
            view_version: 0,
            translations: 0,
            bundle,
        }
    }

    /// Renders the Markdown of every article that has none, or whose `@/` links resolve
    /// elsewhere now.
    fn derive_bodies(&mut self, site: &Site, problems: &mut Problems) {
        let targets = &site.link_targets;
        self.derived.retain(|_, d| {
            d.meta
                .links
                .iter()
                .all(|(target, was)| targets.get(target) == was.as_ref())
        });
        let unloaded = content::unloaded_polls(&self.options.root, &self.frame.polls);
        let scope = MarkdownScope::new(site).with_unloaded_polls(&unloaded);
        let missing: Vec<usize> = (0..site.articles.len())
            .filter(|&i| !self.derived.contains_key(&site.articles[i].source))
            .collect();
        let reread = self.reread_markdown(site, &missing, problems);
        let rendered = render_bodies(&scope, site, &missing, &reread);
        for (i, (body, found)) in missing.iter().copied().zip(rendered) {
            problems.extend(found);
            let article = &site.articles[i];
            let derived = self.derived_of(site, article, body);
            self.derived.insert(article.source.clone(), derived);
        }
    }

    /// The Markdown of the articles at `indexes` that were resumed from the build cache
    /// without it, read again from their (unchanged) files.
    fn reread_markdown(
        &self,
        site: &Site,
        indexes: &[usize],
        problems: &mut Problems,
    ) -> HashMap<usize, Article> {
        let root = &self.options.root;
        let options = LoadOptions {
            drafts: self.options.drafts,
            future: self.options.future,
            now: self.frame.now,
        };
        let lookup = Content {
            regions: self.frame.regions.clone(),
            polls: self.frame.polls.clone(),
            ..Content::default()
        };
        let mut reread = HashMap::new();
        for &i in indexes {
            let source = &site.articles[i].source;
            if !self.bodiless.contains(source) {
                continue;
            }
            let path = root.join(source);
            match content::load_file(root, &path, &self.frame.config, &lookup, &options) {
                Ok(Some(Loaded::Article(article))) => {
                    reread.insert(i, *article);
                }
                Ok(_) => problems.push(Problem::new(
                    source.clone(),
                    "changed while birge was reading it; build again".to_string(),
                )),
                Err(found) => problems.extend(found),
            }
        }
        reread
    }

    /// Checks the files articles and pages point at, decides which views must be made again,
    /// renders what changed into `sink` and removes what is gone.
    fn finish(
        &mut self,
        site: Site,
        page_bodies: Vec<Rendered>,
        sink: &dyn Sink,
        check: bool,
    ) -> Result<Run> {
        let mut problems = Problems::default();
        let timer = Timer::start();
        if check {
            let empty = BodyMeta::default();
            let references: Vec<&[crate::markdown::Reference]> = site
                .articles
                .iter()
                .map(|a| {
                    let meta = self.derived.get(&a.source).map_or(&empty, |d| &d.meta);
                    meta.references.as_slice()
                })
                .collect();
            check_references(
                &self.options.root,
                &site,
                &self.frame.theme,
                (&references, &page_bodies),
                &mut problems,
            );
            timer.lap("references");
        }
        let failure = Failure::default();
        let bodies = self.take_bodies(&site, &failure);
        let result = if problems.is_empty() {
            let versions = self.derive_views(&site);
            timer.lap("views");
            self.render(&site, &bodies, &page_bodies, versions, sink)
        } else {
            Err(problems.sorted().into())
        };
        for (article, body) in site.articles.iter().zip(bodies) {
            if let Some(derived) = self.derived.get_mut(&article.source) {
                derived.body = body.into_loaded();
            }
        }
        let Site {
            articles, pages, ..
        } = site;
        self.articles = articles
            .into_iter()
            .map(|a| (a.source.clone(), a))
            .collect();
        self.pages = pages.into_iter().map(|p| (p.source.clone(), p)).collect();
        if let Some(error) = failure.get() {
            anyhow::bail!(CacheDamaged(error.to_string()));
        }
        result
    }

    /// Every article's body in model order, moved out of the pipeline for the run: those in
    /// memory as they are, those kept in the build cache read when a job first needs them.
    fn take_bodies(&mut self, site: &Site, failure: &Failure) -> Vec<Body> {
        let packs = self.packs.clone();
        site.articles
            .iter()
            .map(|article| {
                let Some(derived) = self.derived.get_mut(&article.source) else {
                    return Body::ready(Rendered::default());
                };
                match (derived.body.take(), &packs, derived.blob) {
                    (Some(body), _, _) => Body::ready(body),
                    (None, Some(packs), Some(blob)) => {
                        let packs = packs.clone();
                        Body::later(Box::new(move || packs.read(blob)), failure.clone())
                    }
                    (None, _, _) => {
                        failure.set(format!("no body kept for {}", article.source));
                        Body::ready(Rendered::default())
                    }
                }
            })
            .collect()
    }

    /// Decides which articles' list views must be made again (a new body, other
    /// translations) and gives every article's view so far, in model order, with the versions.
    fn derive_views(&mut self, site: &Site) -> (Vec<Option<Value>>, Versions) {
        let translations: Vec<u64> = (0..site.articles.len())
            .into_par_iter()
            .map(|i| {
                let names: Vec<(&str, &str, &str, &str)> = site
                    .translations_of(i)
                    .into_iter()
                    .map(|t| {
                        let a = &site.articles[t];
                        (
                            a.source.as_str(),
                            a.lang.as_str(),
                            a.title.as_str(),
                            a.path.as_str(),
                        )
                    })
                    .collect();
                hash_of(&names)
            })
            .collect();
        let mut views = Vec::with_capacity(site.articles.len());
        let mut versions = Versions::default();
        for (i, article) in site.articles.iter().enumerate() {
            let Some(d) = self.derived.get_mut(&article.source) else {
                views.push(None);
                versions.views.push(0);
                versions.bodies.push(0);
                continue;
            };
            if d.view_version <= d.body_version || d.translations != translations[i] {
                // Made again when a job first needs it.
                d.view = None;
                self.next_version += 1;
                d.view_version = self.next_version;
                d.translations = translations[i];
            }
            views.push(d.view.take());
            versions.views.push(d.view_version);
            versions.bodies.push(d.body_version);
        }
        (views, versions)
    }

    /// Renders the outputs whose key or reads changed into `sink`; removes the files of
    /// outputs that are gone.
    fn render(
        &mut self,
        site: &Site,
        bodies: &[Body],
        page_bodies: &[Rendered],
        (views, versions): (Vec<Option<Value>>, Versions),
        sink: &dyn Sink,
    ) -> Result<Run> {
        let timer = Timer::start();
        let frame = &self.frame;
        let views = Views::with_articles(site, views, &frame.theme, &frame.results, frame.now);
        let renderer = Renderer::with_views(
            site,
            bodies,
            page_bodies,
            &frame.theme,
            &frame.tera,
            views,
            frame.now,
        )
        .with_versions(versions);
        let has_code = site
            .articles
            .iter()
            .any(|a| self.derived.get(&a.source).is_some_and(|d| d.meta.has_code));
        let planned = plan(&frame.theme, &self.derived, site, has_code);
        timer.lap("plan");
        // Each read's version now, found once however many outputs made it.
        let versions: Vec<u64> = self
            .read_table
            .reads
            .par_iter()
            .map(|read| renderer.version(read))
            .collect();
        let stored = &self.outputs;
        let is_current = |p: &Planned| {
            stored.get(&p.path).is_some_and(|old| {
                old.key == p.key && old.reads.iter().all(|&(n, v)| versions[n as usize] == v)
            })
        };
        let todo: Vec<&Planned> = planned.iter().filter(|p| !is_current(p)).collect();
        timer.lap("compare");
        let bar = progress_bar(self.options.progress, todo.len());
        let times = JobTimes::new();
        let record = self.record;
        let done: Vec<Result<Rendering, Problem>> = todo
            .par_iter()
            .map(|p| {
                let reads = produce(p, &renderer, sink, record, &times)?;
                bar.inc(1);
                Ok((p.path.clone(), p.key, reads))
            })
            .collect();
        bar.finish_and_clear();
        timer.lap("render");
        times.print();
        let mut problems = Problems::default();
        let rendered = done.len();
        for result in done {
            match result {
                Ok((path, key, reads)) => {
                    let table = &mut self.read_table;
                    let reads = reads
                        .into_iter()
                        .map(|(read, version)| (table.number(read), version))
                        .collect();
                    self.outputs.insert(path, Recorded { key, reads });
                }
                Err(problem) => problems.push(problem),
            }
        }
        if !problems.is_empty() {
            return Err(problems.sorted().into());
        }
        let live: HashSet<&str> = planned.iter().map(|p| p.path.as_str()).collect();
        let gone: Vec<String> = self
            .outputs
            .keys()
            .filter(|path| !live.contains(path.as_str()))
            .cloned()
            .collect();
        for path in gone {
            self.outputs.remove(&path);
            sink.remove(&path)?;
        }
        if !self.record {
            self.outputs.clear();
        }
        let pages = planned
            .iter()
            .filter(|p| matches!(&p.source, Source::Job(job) if job.is_page()))
            .count();
        let files = planned.len();
        drop(planned);
        for (article, view) in site.articles.iter().zip(renderer.into_article_views()) {
            if let Some(d) = self.derived.get_mut(&article.source) {
                d.view = view;
            }
        }
        Ok(Run {
            rendered,
            files,
            pages,
            articles: site.articles.len(),
        })
    }
}

/// A build cache that could not be read back; the build sets it aside and builds everything.
#[derive(Debug)]
pub struct CacheDamaged(pub String);

impl std::fmt::Display for CacheDamaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the build cache is damaged: {}", self.0)
    }
}

impl std::error::Error for CacheDamaged {}
