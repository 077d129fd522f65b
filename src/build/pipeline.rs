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

use anyhow::Result;
use rayon::prelude::*;
use tera::Value;

use super::bodies::{MarkdownScope, check_references, render_bodies};
use super::plan::{Planned, Source, plan, produce};
use super::{BuildOptions, JobTimes, Prepared, Timer, prepare, progress_bar};

use crate::config::Config;
use crate::content::{self, Article, Content, LeftOut, LoadOptions, Loaded, Page, Poll, Region};
use crate::diagnostics::{Problem, Problems};
use crate::markdown::Rendered;
use crate::output::Sink;
use crate::render::reads::hash_of;
use crate::render::views::{Results, Views, article_view};
use crate::render::{self, Read, Renderer, Versions};
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
    left_out: LeftOut,
    next_version: u64,
}

/// What only a full run reads.
struct Frame {
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
    body: Rendered,
    /// The `@/` targets the body looked up, and the site path each resolved to.
    links: Vec<(String, Option<String>)>,
    body_version: u64,
    /// The list view; `None` until made (and while a run holds it).
    view: Option<Value>,
    view_version: u64,
    /// The translations the view names, hashed.
    translations: u64,
    /// The bundle's files: (output path, source file).
    pub(super) bundle: Vec<(String, PathBuf)>,
}

/// One output file as last rendered.
struct Recorded {
    key: u64,
    reads: Vec<(Read, u64)>,
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
            left_out: site.left_out.clone(),
            next_version: 1,
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
            body,
            links,
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
            d.links
                .iter()
                .all(|(target, was)| targets.get(target) == was.as_ref())
        });
        let unloaded = content::unloaded_polls(&self.options.root, &self.frame.polls);
        let scope = MarkdownScope::new(site).with_unloaded_polls(&unloaded);
        let missing: Vec<usize> = (0..site.articles.len())
            .filter(|&i| !self.derived.contains_key(&site.articles[i].source))
            .collect();
        for (i, (body, found)) in missing
            .iter()
            .copied()
            .zip(render_bodies(&scope, site, &missing))
        {
            problems.extend(found);
            let article = &site.articles[i];
            let derived = self.derived_of(site, article, body);
            self.derived.insert(article.source.clone(), derived);
        }
    }

    /// Makes the views that are missing or name other translations now, checks the files
    /// articles and pages point at, renders what changed into `sink` and removes what is gone.
    fn finish(
        &mut self,
        site: Site,
        page_bodies: Vec<Rendered>,
        sink: &dyn Sink,
        check: bool,
    ) -> Result<Run> {
        let mut problems = Problems::default();
        let timer = Timer::start();
        let mut bodies: Vec<Rendered> = Vec::with_capacity(site.articles.len());
        for article in &site.articles {
            let derived = self.derived.get_mut(&article.source);
            bodies.push(
                derived
                    .map(|d| std::mem::take(&mut d.body))
                    .unwrap_or_default(),
            );
        }
        if check {
            check_references(
                &self.options.root,
                &site,
                &self.frame.theme,
                (&bodies, &page_bodies),
                &mut problems,
            );
            timer.lap("references");
        }
        let result = if problems.is_empty() {
            let views = self.derive_views(&site, &bodies);
            timer.lap("views");
            self.render(&site, &bodies, &page_bodies, views, sink)
        } else {
            Err(problems.sorted().into())
        };
        for (article, body) in site.articles.iter().zip(bodies) {
            if let Some(derived) = self.derived.get_mut(&article.source) {
                derived.body = body;
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
        result
    }

    /// Every article's list view in model order (moved out of the pipeline for the run), made
    /// again where its body is new or its translations changed, with the versions.
    fn derive_views(&mut self, site: &Site, bodies: &[Rendered]) -> (Vec<Value>, Versions) {
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
        let stale: Vec<usize> = (0..site.articles.len())
            .filter(|&i| {
                self.derived
                    .get(&site.articles[i].source)
                    .is_none_or(|d| d.view.is_none() || d.translations != translations[i])
            })
            .collect();
        let fresh: Vec<(usize, Value)> = stale
            .par_iter()
            .map(|&i| {
                (
                    i,
                    Value::from_serializable(&article_view(site, i, &bodies[i])),
                )
            })
            .collect();
        for (i, view) in fresh {
            let version = self.next_version();
            if let Some(d) = self.derived.get_mut(&site.articles[i].source) {
                d.view = Some(view);
                d.view_version = version;
                d.translations = translations[i];
            }
        }
        let mut views = Vec::with_capacity(site.articles.len());
        let mut versions = Versions::default();
        for article in &site.articles {
            let d = self.derived.get_mut(&article.source);
            let (view, view_version, body_version) = d.map_or((Value::none(), 0, 0), |d| {
                (
                    d.view.take().unwrap_or(Value::none()),
                    d.view_version,
                    d.body_version,
                )
            });
            views.push(view);
            versions.views.push(view_version);
            versions.bodies.push(body_version);
        }
        (views, versions)
    }

    /// Renders the outputs whose key or reads changed into `sink`; removes the files of
    /// outputs that are gone.
    fn render(
        &mut self,
        site: &Site,
        bodies: &[Rendered],
        page_bodies: &[Rendered],
        (views, versions): (Vec<Value>, Versions),
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
        let planned = plan(&frame.theme, &self.derived, site, bodies);
        timer.lap("plan");
        let stored = &self.outputs;
        let is_current = |p: &Planned| {
            stored.get(&p.path).is_some_and(|old| {
                old.key == p.key && old.reads.iter().all(|(r, v)| renderer.version(r) == *v)
            })
        };
        let todo: Vec<&Planned> = planned.iter().filter(|p| !is_current(p)).collect();
        timer.lap("compare");
        let bar = progress_bar(self.options.progress, todo.len());
        let times = JobTimes::new();
        let record = self.record;
        let done: Vec<Result<(String, Recorded), Problem>> = todo
            .par_iter()
            .map(|p| {
                let reads = produce(p, &renderer, sink, record, &times)?;
                bar.inc(1);
                Ok((p.path.clone(), Recorded { key: p.key, reads }))
            })
            .collect();
        bar.finish_and_clear();
        timer.lap("render");
        times.print();
        let mut problems = Problems::default();
        let rendered = done.len();
        for result in done {
            match result {
                Ok((path, recorded)) => {
                    self.outputs.insert(path, recorded);
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
        Ok(Run {
            rendered,
            files: planned.len(),
            pages,
            articles: site.articles.len(),
        })
    }
}
