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

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use rayon::prelude::*;
use tera::Value;

use super::bodies::{MarkdownScope, check_references, render_bodies, render_pages};
mod changes;
mod persist;

use super::cache::{self, BlobRef, CacheDamaged, Packs};
use super::plan::{Planned, Source, alias_clashes, plan, produce, resized_outputs, static_photos};
use super::search::{SearchIndexes, SearchInputs};
use super::{BuildOptions, JobTimes, Prepared, Timer, prepare, progress_bar};

use crate::config::Config;
use crate::content::{self, Article, Content, LeftOut, Page, Poll, Region};
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
    pub(super) options: BuildOptions,
    /// Whether outputs' reads are kept, for updates (a one-off build keeps none).
    record: bool,
    frame: Frame,
    /// The loaded articles, in the order of the last run's model (an update's assembly then
    /// has little to sort, and nothing is moved article by article between runs).
    articles: Vec<Article>,
    pages: HashMap<String, Page>,
    derived: HashMap<String, Derived>,
    outputs: HashMap<String, Recorded>,
    read_table: ReadTable,
    /// The version of each read in the table at the end of the last run.
    last_versions: LastVersions,
    /// The output files of the last run, and the shape of the lists they were planned for.
    last_plan: Option<(u64, Arc<Vec<Planned>>)>,
    /// Whether an update read again an article with a bundle (its files may have changed).
    bundles_reloaded: bool,
    left_out: LeftOut,
    next_version: u64,
    /// The build cache's bodies, for a pipeline resumed from it.
    packs: Option<Arc<Packs>>,
    /// Whether the articles' Markdown may be missing (resumed from the build cache, or freed
    /// after rendering): it is read again when needed, but for those read from their files
    /// since (`reloaded`).
    resumed: bool,
    reloaded: HashSet<String>,
    /// The trees' search bundles.
    search: SearchIndexes,
    /// Whether an update leaves a stale search bundle for [`Pipeline::refresh_search`].
    defer_search: bool,
    /// What the build cache held when the pipeline was resumed from it, for saving only
    /// what changed since.
    cached: Option<persist::Cached>,
    /// Outputs rendered again or gone since the pipeline was resumed or last saved.
    rerecorded: HashSet<String>,
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

/// The versions of the read table's reads as the last run found them, with the version of
/// [`Read::Routing`] then.
#[derive(Default)]
pub(super) struct LastVersions {
    pub(super) routing: Option<u64>,
    pub(super) versions: Vec<u64>,
}

/// One output rendered by a run: its path, key, and the reads it made with their versions.
type Rendering = (String, u64, Vec<(Read, u64)>);

/// Every read the recorded outputs made, numbered: outputs share most of their reads (a
/// tree's variables, an article's view), so each is kept, and its version found, once.
#[derive(Default)]
pub(super) struct ReadTable {
    pub(super) reads: Vec<Read>,
    /// Each read's number by the read's hash: a table read back from the build cache is
    /// indexed without a copy of any read.
    numbers: HashMap<u64, u32>,
    /// The numbers of reads whose hash an earlier read of the table has already.
    collided: HashMap<Read, u32>,
}

fn read_hash(read: &Read) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(read)
}

impl ReadTable {
    /// A table of these reads, numbered in order.
    pub(super) fn of(reads: Vec<Read>) -> ReadTable {
        let hashes: Vec<u64> = reads.par_iter().map(read_hash).collect();
        let mut table = ReadTable {
            numbers: HashMap::with_capacity_and_hasher(reads.len(), Default::default()),
            collided: HashMap::default(),
            reads: Vec::new(),
        };
        for (n, (read, hash)) in reads.iter().zip(hashes).enumerate() {
            match table.numbers.entry(hash) {
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(n as u32);
                }
                std::collections::hash_map::Entry::Occupied(_) => {
                    table.collided.insert(read.clone(), n as u32);
                }
            }
        }
        table.reads = reads;
        table
    }

    /// Keeps only the reads some output still refers to, numbering them again; gives their
    /// versions in the new order.
    fn compact(&mut self, outputs: &mut HashMap<String, Recorded>, versions: &[u64]) -> Vec<u64> {
        let mut renumbered: Vec<Option<u32>> = vec![None; self.reads.len()];
        let mut kept = ReadTable::default();
        let mut kept_versions = Vec::new();
        for recorded in outputs.values_mut() {
            for (number, version) in &mut recorded.reads {
                let old = *number as usize;
                let new = *renumbered[old].get_or_insert_with(|| {
                    kept_versions.push(versions.get(old).copied().unwrap_or(*version));
                    kept.number(self.reads[old].clone())
                });
                *number = new;
            }
        }
        *self = kept;
        kept_versions
    }

    /// The number of a read, given one now if it has none.
    fn number(&mut self, read: Read) -> u32 {
        let hash = read_hash(&read);
        let next = self.reads.len() as u32;
        match self.numbers.get(&hash) {
            Some(&n) if self.reads[n as usize] == read => return n,
            Some(_) => {
                if let Some(&n) = self.collided.get(&read) {
                    return n;
                }
                self.collided.insert(read.clone(), next);
            }
            None => {
                self.numbers.insert(hash, next);
            }
        }
        self.reads.push(read);
        next
    }
}

impl Pipeline {
    /// Loads and checks the whole site and renders every output into `sink`. With `record`,
    /// it keeps what [`Pipeline::update`] needs.
    pub fn start(options: &BuildOptions, sink: &dyn Sink, record: bool) -> Result<(Self, Run)> {
        let Prepared {
            mut site,
            bodies,
            page_bodies,
            theme,
            tera,
            results,
            now,
        } = prepare(options)?;
        // A one-off build (`--no-cache`, `check`) or one that keeps the build cache, whose
        // next run reads the Markdown again from the files when needed: the rendered bodies
        // are all the rest of this run needs of it, and its memory (~0.4 GB at 100k articles)
        // goes to the outputs and the search index instead. `serve` keeps it for updates.
        let markdown_freed = !record || options.cache;
        if markdown_freed {
            for article in &mut site.articles {
                article.body = String::new();
            }
        }
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
            articles: Vec::new(),
            pages: HashMap::default(),
            derived: HashMap::default(),
            outputs: HashMap::default(),
            read_table: ReadTable::default(),
            last_versions: LastVersions::default(),
            last_plan: None,
            bundles_reloaded: false,
            left_out: site.left_out.clone(),
            next_version: 1,
            packs: None,
            resumed: markdown_freed,
            reloaded: HashSet::default(),
            search: SearchIndexes::default(),
            defer_search: false,
            cached: None,
            rerecorded: HashSet::default(),
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
            articles: std::mem::take(&mut self.articles),
            pages: self.pages.drain().map(|(_, p)| p).collect(),
            left_out: self.left_out.clone(),
        };
        let (site, clashes) = Site::assemble_with_clashes(self.frame.config.clone(), content);
        timer.lap("assemble");
        let mut problems = clashes;
        let unloaded = content::unloaded_polls(&self.options.root, &self.frame.polls);
        let scope = MarkdownScope::new(&site)
            .with_unloaded_polls(&unloaded)
            .with_images(&self.frame.theme);
        self.derive_bodies(&site, &scope, &mut problems);
        let page_bodies = render_pages(&scope, &site, &mut problems);
        timer.lap("markdown");
        if !problems.is_empty() {
            return Err(problems.sorted().into());
        }
        self.finish(site, page_bodies, sink, true)
    }

    /// Lets an update keep a tree's search bundle when its documents changed (the bundle is
    /// then stale until [`Pipeline::refresh_search`]): `serve` reloads pages first.
    pub fn defer_search(&mut self, defer: bool) {
        self.defer_search = defer;
    }

    /// Whether a search bundle is older than its documents.
    pub fn search_is_stale(&self) -> bool {
        self.search.is_stale()
    }

    /// Brings the stale search bundles up to date in `sink`.
    pub fn refresh_search(&mut self, sink: &dyn Sink) -> Result<Run> {
        let defer = std::mem::replace(&mut self.defer_search, false);
        let run = self.update(sink, &[]);
        self.defer_search = defer;
        run
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
    fn derive_bodies(&mut self, site: &Site, scope: &MarkdownScope, problems: &mut Problems) {
        let targets = &site.link_targets;
        self.derived.retain(|_, d| {
            d.meta
                .links
                .iter()
                .all(|(target, was)| targets.get(target) == was.as_ref())
        });
        let missing: Vec<usize> = (0..site.articles.len())
            .into_par_iter()
            .filter(|&i| !self.derived.contains_key(&site.articles[i].source))
            .collect();
        let reread = self.reread_markdown(site, &missing, problems);
        let rendered = render_bodies(scope, site, &missing, &reread);
        for (i, (body, found)) in missing.iter().copied().zip(rendered) {
            problems.extend(found);
            let article = &site.articles[i];
            let derived = self.derived_of(site, article, body);
            self.derived.insert(article.source.clone(), derived);
        }
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
                .par_iter()
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
        self.articles = articles;
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
        let untranslated = hash_of(&Vec::<(&str, &str, &str, &str)>::new());
        let translations: Vec<u64> = (0..site.articles.len())
            .into_par_iter()
            .map(|i| {
                if site.articles[i].translation.is_none() {
                    return untranslated;
                }
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
    /// outputs that are gone. The search bundles are made while the pages render (writing
    /// pages waits on the disk, making bundles on the processor), then their changed files
    /// are written.
    fn render(
        &mut self,
        site: &Site,
        bodies: &[Body],
        page_bodies: &[Rendered],
        (views, versions): (Vec<Option<Value>>, Versions),
        sink: &dyn Sink,
    ) -> Result<Run> {
        let timer = Timer::start();
        let body_versions = versions.bodies.clone();
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
            .par_iter()
            .any(|a| self.derived.get(&a.source).is_some_and(|d| d.meta.has_code));
        // Each read's version now, found once however many outputs made it; while the lists
        // keep their shape (`Routing`), what is made from them alone keeps its version, and
        // the output files are those of the last run (unless a bundle's files may differ).
        // Two walks through every article, each on one thread, beside the parallel search
        // for photos: the lists' hash, and the index of sources the comparison looks up.
        let derived = &self.derived;
        let ((routing, _), photos) = rayon::join(
            || {
                rayon::join(
                    || renderer.version(&Read::Routing),
                    || renderer.article_index(""),
                )
            },
            || static_photos(&frame.theme, derived, site, page_bodies),
        );
        let shape = hash_of(&(routing, has_code, &photos));
        let planned = match self.last_plan.take() {
            Some((last, planned)) if last == shape && !self.bundles_reloaded => planned,
            _ => {
                let inputs = (self.options.root.as_path(), &photos);
                let planned = plan(&frame.theme, &self.derived, site, has_code, inputs);
                let clashes = alias_clashes(&planned, site);
                if !clashes.is_empty() {
                    return Err(Problems(clashes).sorted().into());
                }
                Arc::new(planned)
            }
        };
        self.bundles_reloaded = false;
        timer.lap("plan");
        let same_lists = self.last_versions.routing == Some(routing);
        let last = &self.last_versions.versions;
        let mut versions: Vec<u64> = self
            .read_table
            .reads
            .par_iter()
            .enumerate()
            .map(|(n, read)| match last.get(n) {
                Some(&version) if same_lists && read.is_structural() => version,
                _ => renderer.version(read),
            })
            .collect();
        let stored = &self.outputs;
        let is_current = |p: &Planned| {
            stored.get(&p.path).is_some_and(|old| {
                old.key == p.key && old.reads.iter().all(|&(n, v)| versions[n as usize] == v)
            })
        };
        let todo: Vec<&Planned> = planned.par_iter().filter(|p| !is_current(p)).collect();
        timer.lap(&format!("compare ({} reads)", versions.len()));
        let bar = progress_bar(self.options.progress, todo.len());
        let times = JobTimes::new();
        let record = self.record;
        // Templates that call `resize` may ask for variants once rendered.
        let resizes = frame
            .theme
            .templates
            .values()
            .any(|t| t.text.contains("resize("));
        let has_images = resizes || todo.iter().any(|p| matches!(p.source, Source::Image(_)));
        let image_cache = self.options.image_cache && has_images;
        let cache_dir = cache::dir(&self.options.root);
        // The folder ignores itself, whichever command made it first.
        let image_cache = image_cache && cache::create_dir(&cache_dir).is_ok();
        let encoder = crate::images::Encoder::new(image_cache.then(|| cache_dir.join("images")));
        let make = |p: &&Planned| -> Result<Rendering, Problem> {
            let reads = produce(p, &renderer, sink, record, (&times, &encoder))?;
            bar.inc(1);
            Ok((p.path.clone(), p.key, reads))
        };
        let search = &mut self.search;
        let (searched, mut done) = rayon::join(
            || {
                if sink.discards() {
                    return Ok(());
                }
                let inputs = SearchInputs {
                    site,
                    bodies,
                    page_bodies,
                    body_versions: &body_versions,
                    outputs: stored,
                    keep_read_pages: self.options.cache || self.options.image_cache,
                };
                search.refresh(&inputs, self.defer_search)
            },
            || todo.par_iter().map(make).collect::<Vec<_>>(),
        );
        searched?;
        let search_planned: Vec<Planned> = self.search.files().map(Planned::search_file).collect();
        let search_todo: Vec<&Planned> = search_planned.iter().filter(|p| !is_current(p)).collect();
        bar.inc_length(search_todo.len() as u64);
        done.par_extend(search_todo.par_iter().map(make));
        bar.finish_and_clear();
        timer.lap("render and search");
        times.print();
        let mut problems = Problems::default();
        let mut rendered = done.len();
        for result in done {
            match result {
                Ok((path, key, reads)) => {
                    let table = &mut self.read_table;
                    let reads = reads
                        .into_iter()
                        .map(|(read, version)| {
                            let number = table.number(read);
                            if number as usize == versions.len() {
                                versions.push(version);
                            }
                            (number, version)
                        })
                        .collect();
                    self.rerecorded.insert(path.clone());
                    self.outputs.insert(path, Recorded { key, reads });
                }
                Err(problem) => problems.push(problem),
            }
        }
        if !problems.is_empty() {
            return Err(problems.sorted().into());
        }
        // The variants templates asked for with `resize`, by every output's reads.
        let asked = self
            .outputs
            .values()
            .flat_map(|r| &r.reads)
            .filter_map(|&(n, _)| match &self.read_table.reads[n as usize] {
                Read::Resize(resized) => Some(resized),
                _ => None,
            });
        let sources = (&frame.theme, &self.derived);
        let resized = resized_outputs(sources, &self.options.root, asked, &planned);
        let stored = &self.outputs;
        let done: Vec<Result<(String, u64), Problem>> = resized
            .par_iter()
            .filter(|p| stored.get(&p.path).is_none_or(|old| old.key != p.key))
            .map(|p| {
                produce(p, &renderer, sink, false, (&times, &encoder))?;
                Ok((p.path.clone(), p.key))
            })
            .collect();
        if std::env::var_os("BIRGE_TIMINGS").is_some() {
            let (encoded, reused) = (encoder.encoded(), encoder.reused());
            eprintln!("timing: images     {encoded} encoded, {reused} from the cache");
        }
        rendered += done.len();
        for result in done {
            match result {
                Ok((path, key)) => {
                    self.rerecorded.insert(path.clone());
                    let reads = Vec::new();
                    self.outputs.insert(path, Recorded { key, reads });
                }
                Err(problem) => problems.push(problem),
            }
        }
        if !problems.is_empty() {
            return Err(problems.sorted().into());
        }
        self.last_versions = LastVersions {
            routing: Some(routing),
            versions,
        };
        let live: HashSet<&str> = planned
            .iter()
            .chain(&search_planned)
            .chain(&resized)
            .map(|p| p.path.as_str())
            .collect();
        let gone: Vec<String> = self
            .outputs
            .keys()
            .filter(|path| !live.contains(path.as_str()))
            .cloned()
            .collect();
        for path in gone {
            self.outputs.remove(&path);
            sink.remove(&path)?;
            self.rerecorded.insert(path);
        }
        if !self.record {
            self.outputs.clear();
        }
        let pages = planned
            .iter()
            .filter(|p| matches!(&p.source, Source::Job(job) if job.is_page()))
            .count();
        let files = planned.len() + search_planned.len() + resized.len();
        self.last_plan = Some((shape, planned));
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
