//! A build kept in memory between edits, so that saving one article re-reads one file,
//! re-renders its Markdown and re-renders only the pages whose inputs changed.
//!
//! Takes the changed paths of a batch of edits, gives an updated [`MemorySite`]. Each output
//! file remembers a fingerprint of what it was rendered from ([`render::fingerprint`]);
//! a file is rendered again only when its fingerprint changes. Settings, regions, polls,
//! templates and static files start a new session (a full rebuild). Edits are read at the
//! present; [`Session::next_change`] says when the site next changes with no edit (a
//! future-dated article comes due, a pin or a poll ends), for a new session to start then.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::Result;
use rayon::prelude::*;
use tera::Value;

use crate::build::{
    BuildOptions, MarkdownScope, Prepared, copy_bundle, copy_bundles, copy_static, prepare,
};
use crate::content::{self, Article, Content, LeftOut, LoadOptions, Loaded, Page};
use crate::diagnostics::{Problem, Problems};
use crate::markdown::Rendered;
use crate::output::Sink;
use crate::render::views::{Views, article_view};
use crate::render::{self, Renderer};
use crate::site::Site;

use super::files::MemorySite;

/// An article's view, serialised once and numbered so fingerprints can refer to it.
struct View {
    value: Value,
    version: u64,
}

/// The in-memory build between edits.
pub struct Session {
    options: BuildOptions,
    /// Everything of the last good build except articles, pages and their bodies.
    frame: Frame,
    articles: HashMap<String, Article>,
    pages: HashMap<String, Page>,
    bodies: HashMap<String, Rendered>,
    page_bodies: HashMap<String, Rendered>,
    views: HashMap<String, View>,
    /// Output identity -> (fingerprint, output path).
    outputs: HashMap<u64, (u64, String)>,
    next_version: u64,
    /// The drafts and future articles left out, kept up to date by edits.
    left_out: LeftOut,
}

/// A time at which the site changes with no edit, and what changes then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// When.
    pub at: jiff::Timestamp,
    /// What, for the log (`content/news/x.md comes due`).
    pub what: String,
}

/// The parts of a prepared build that an article edit does not change.
struct Frame {
    config: crate::config::Config,
    regions: Vec<crate::content::Region>,
    polls: Vec<crate::content::Poll>,
    theme: crate::theme::Theme,
    tera: tera::Tera,
    results: crate::render::views::Results,
    /// The present of the last rendering.
    now: jiff::Timestamp,
}

/// What an update did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Update {
    /// Output files rendered again.
    pub rendered: usize,
    /// Output files in the site.
    pub files: usize,
}

fn version_of_page(page: &Page, body: &Rendered) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        &page.title,
        &page.path,
        &page.summary,
        &body.html,
        &body.summary,
        page.updated.as_ref().map(crate::dates::rfc3339),
    )
        .hash(&mut h);
    h.finish()
}

impl Session {
    /// Builds the whole site into `site` and keeps what later edits need.
    pub fn start(options: &BuildOptions, site: &MemorySite) -> Result<Session> {
        let prepared = prepare(options)?;
        copy_static(&prepared, site)?;
        copy_bundles(&prepared, site)?;
        let Prepared {
            site: model,
            bodies,
            page_bodies,
            theme,
            tera,
            results,
            now,
        } = prepared;
        let Site {
            config,
            regions,
            polls,
            articles,
            pages,
            left_out,
            ..
        } = model;
        let mut session = Session {
            options: options.clone(),
            frame: Frame {
                config,
                regions,
                polls,
                theme,
                tera,
                results,
                now,
            },
            articles: HashMap::new(),
            pages: HashMap::new(),
            bodies: HashMap::new(),
            page_bodies: HashMap::new(),
            views: HashMap::new(),
            outputs: HashMap::new(),
            next_version: 1,
            left_out,
        };
        for (article, body) in articles.into_iter().zip(bodies) {
            session.bodies.insert(article.source.clone(), body);
            session.articles.insert(article.source.clone(), article);
        }
        for (page, body) in pages.into_iter().zip(page_bodies) {
            session.page_bodies.insert(page.source.clone(), body);
            session.pages.insert(page.source.clone(), page);
        }
        session.render(site, &HashSet::new())?;
        Ok(session)
    }

    /// Re-reads the changed content files at the present and re-renders what depends on
    /// them. (Other articles whose time came since the session started wait for a new
    /// session: see [`Session::next_change`].)
    pub fn update(&mut self, site: &MemorySite, changed: &[PathBuf]) -> Result<Update> {
        let root = &self.options.root;
        self.frame.now = self.options.now.unwrap_or_else(jiff::Timestamp::now);
        let load_options = LoadOptions {
            drafts: self.options.drafts,
            future: self.options.future,
            now: self.frame.now,
        };
        let lookup_content = Content {
            regions: self.frame.regions.clone(),
            polls: self.frame.polls.clone(),
            ..Content::default()
        };
        let mut problems = Problems::default();
        let mut touched: HashSet<String> = HashSet::new();
        let mut moved_paths: Vec<String> = Vec::new();
        let mut loaded: Vec<(String, Option<Loaded>)> = Vec::new();
        for path in &self.files_of(changed) {
            let source = content::relative(root, path);
            let is_markdown = path.extension().is_some_and(|e| e == "md");
            if !is_markdown {
                // A file of an article bundle: copy it again with its article, whose image
                // sizes may have changed with it.
                let owner = self
                    .articles
                    .values_mut()
                    .find(|a| a.bundle_dir.as_deref().is_some_and(|d| path.starts_with(d)));
                if let Some(owner) = owner {
                    owner.read_image_sizes();
                    touched.insert(owner.source.clone());
                }
                continue;
            }
            if !path.exists() {
                loaded.push((source, None));
                continue;
            }
            match content::load_file(
                root,
                path,
                &self.frame.config,
                &lookup_content,
                &load_options,
            ) {
                Ok(found) => loaded.push((source, found)),
                Err(found) => problems.extend(found),
            }
        }
        if !problems.is_empty() {
            return Err(problems.sorted().into());
        }
        for (source, found) in loaded {
            self.note_left_out(&source, found.as_ref());
            let old_article = self.articles.remove(&source);
            let old_page = self.pages.remove(&source);
            if let Some(old) = &old_article {
                touched.extend(self.translation_group(old));
            }
            let old_path = old_article
                .as_ref()
                .map(|a| a.path.clone())
                .or(old_page.as_ref().map(|p| p.path.clone()));
            let new_path = match found {
                Some(Loaded::Article(article)) => {
                    let article = *article;
                    let path = article.path.clone();
                    self.articles.insert(source.clone(), article);
                    Some(path)
                }
                Some(Loaded::Page(page)) => {
                    let page = *page;
                    let path = page.path.clone();
                    self.pages.insert(source.clone(), page);
                    Some(path)
                }
                Some(Loaded::Draft | Loaded::Scheduled(_)) | None => None,
            };
            if let Some(article) = self.articles.get(&source) {
                touched.extend(self.translation_group(article));
            }
            if old_path != new_path {
                moved_paths.push(
                    source
                        .strip_prefix("content/")
                        .unwrap_or(&source)
                        .to_string(),
                );
            }
            touched.insert(source);
        }
        // Bodies that link to a file whose URL changed render differently now.
        if !moved_paths.is_empty() {
            for (source, article) in &self.articles {
                if moved_paths
                    .iter()
                    .any(|p| article.body.contains(&format!("@/{p}")))
                {
                    touched.insert(source.clone());
                }
            }
            for (source, page) in &self.pages {
                if moved_paths
                    .iter()
                    .any(|p| page.body.contains(&format!("@/{p}")))
                {
                    touched.insert(source.clone());
                }
            }
        }
        for source in &touched {
            self.bodies.remove(source);
            self.page_bodies.remove(source);
            self.views.remove(source);
        }
        let update = self.render(site, &touched)?;
        self.copy_touched_bundles(site, &touched)?;
        Ok(update)
    }

    /// The files that changed paths stand for: a folder that appeared stands for every
    /// file in it (a watcher may report a new folder and miss the files written into it
    /// before it watched it, as `birge new` does in a new month's folder); a folder that
    /// went stands for the articles and pages that were in it.
    fn files_of(&self, changed: &[PathBuf]) -> Vec<PathBuf> {
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
                let left_out = self.left_out.drafts.iter();
                let future = self.left_out.future.iter().map(|(source, _)| source);
                files.extend(
                    known
                        .chain(left_out)
                        .chain(future)
                        .filter(|source| source.starts_with(&folder))
                        .map(|source| root.join(source)),
                );
            }
        }
        files.sort();
        files.dedup();
        files
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

    fn translation_group(&self, article: &Article) -> Vec<String> {
        let Some(key) = &article.translation else {
            return Vec::new();
        };
        self.articles
            .values()
            .filter(|a| a.translation.as_ref() == Some(key))
            .map(|a| a.source.clone())
            .collect()
    }

    fn copy_touched_bundles(&self, site: &MemorySite, touched: &HashSet<String>) -> Result<()> {
        for article in touched
            .iter()
            .filter_map(|source| self.articles.get(source))
        {
            copy_bundle(article, site)?;
        }
        Ok(())
    }

    /// Assembles the model from the cached files, renders what changed, and puts the
    /// articles, pages and bodies back into the caches.
    fn render(&mut self, site: &MemorySite, touched: &HashSet<String>) -> Result<Update> {
        let content = Content {
            regions: self.frame.regions.clone(),
            polls: self.frame.polls.clone(),
            articles: self.articles.drain().map(|(_, a)| a).collect(),
            pages: self.pages.drain().map(|(_, p)| p).collect(),
            left_out: LeftOut::default(),
        };
        let timer = crate::build::Timer::start();
        let model = Site::assemble(self.frame.config.clone(), content)?;
        timer.lap("assemble");
        let result = self.render_model(site, &model, touched);
        timer.lap("render");
        let Site {
            articles, pages, ..
        } = model;
        self.articles = articles
            .into_iter()
            .map(|a| (a.source.clone(), a))
            .collect();
        self.pages = pages.into_iter().map(|p| (p.source.clone(), p)).collect();
        result
    }

    fn render_model(
        &mut self,
        site: &MemorySite,
        model: &Site,
        touched: &HashSet<String>,
    ) -> Result<Update> {
        let bodies = self.ensure_bodies(model, touched)?;
        // The files articles and pages point at are checked as a build checks them (the
        // whole site: an edit can remove a file that another article shows).
        let page_bodies: Vec<Rendered> = model
            .pages
            .iter()
            .map(|p| self.page_bodies[&p.source].clone())
            .collect();
        let mut problems = Problems::default();
        crate::build::check_references(
            &self.options.root,
            model,
            &self.frame.theme,
            (&bodies, &page_bodies),
            &mut problems,
        );
        if !problems.is_empty() {
            return Err(problems.sorted().into());
        }
        let result = self.render_pages(site, model, &bodies);
        for (article, body) in model.articles.iter().zip(bodies) {
            self.bodies.insert(article.source.clone(), body);
        }
        result
    }

    /// Renders the Markdown that is not cached yet; gives every article's body in model order.
    fn ensure_bodies(&mut self, model: &Site, touched: &HashSet<String>) -> Result<Vec<Rendered>> {
        let unloaded = content::unloaded_polls(&self.options.root, &self.frame.polls);
        let scope = MarkdownScope::new(model).with_unloaded_polls(&unloaded);
        let missing: Vec<usize> = (0..model.articles.len())
            .filter(|&i| !self.bodies.contains_key(&model.articles[i].source))
            .collect();
        let fresh: Vec<(usize, (Rendered, Vec<Problem>))> = missing
            .par_iter()
            .map(|&i| (i, scope.article(&model.articles[i])))
            .collect();
        let mut problems = Problems::default();
        for (i, (rendered, found)) in fresh {
            problems.extend(found);
            self.bodies
                .insert(model.articles[i].source.clone(), rendered);
        }
        for page in &model.pages {
            if !self.page_bodies.contains_key(&page.source) {
                let (rendered, found) = scope.page(page);
                problems.extend(found);
                self.page_bodies.insert(page.source.clone(), rendered);
            }
        }
        if !problems.is_empty() {
            for source in touched {
                self.bodies.remove(source);
                self.page_bodies.remove(source);
            }
            return Err(problems.sorted().into());
        }
        let timer = crate::build::Timer::start();
        // Moved out of the cache and back after rendering: no copies of 10k bodies per edit.
        let bodies: Vec<Rendered> = model
            .articles
            .iter()
            .map(|a| self.bodies.remove(&a.source).unwrap_or_default())
            .collect();
        timer.lap("bodies");
        Ok(bodies)
    }

    fn render_pages(
        &mut self,
        site: &MemorySite,
        model: &Site,
        bodies: &[Rendered],
    ) -> Result<Update> {
        let timer = crate::build::Timer::start();
        let page_bodies: Vec<Rendered> = model
            .pages
            .iter()
            .map(|p| self.page_bodies[&p.source].clone())
            .collect();

        let stale: Vec<usize> = (0..model.articles.len())
            .filter(|&i| !self.views.contains_key(&model.articles[i].source))
            .collect();
        let values: Vec<(usize, Value)> = stale
            .par_iter()
            .map(|&i| {
                (
                    i,
                    Value::from_serializable(&article_view(model, i, &bodies[i])),
                )
            })
            .collect();
        for (i, value) in values {
            let version = self.next_version;
            self.next_version += 1;
            self.views
                .insert(model.articles[i].source.clone(), View { value, version });
        }
        let known: HashSet<&str> = model.articles.iter().map(|a| a.source.as_str()).collect();
        self.views
            .retain(|source, _| known.contains(source.as_str()));
        let article_values: Vec<Value> = model
            .articles
            .iter()
            .map(|a| self.views[&a.source].value.clone())
            .collect();
        let versions: Vec<u64> = model
            .articles
            .iter()
            .map(|a| self.views[&a.source].version)
            .collect();
        let page_versions: Vec<u64> = model
            .pages
            .iter()
            .zip(&page_bodies)
            .map(|(p, b)| version_of_page(p, b))
            .collect();
        let global = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            for tree in &model.trees {
                tree.regions
                    .iter()
                    .map(Vec::len)
                    .collect::<Vec<_>>()
                    .hash(&mut h);
            }
            h.finish()
        };

        timer.lap("views");
        let views = Views::with_articles(
            model,
            article_values,
            &self.frame.theme,
            &self.frame.results,
            self.frame.now,
        );
        let renderer = Renderer::with_views(
            model,
            bodies,
            &page_bodies,
            &self.frame.theme,
            &self.frame.tera,
            views,
            self.frame.now,
        );
        let jobs = render::jobs(model);
        let planned: Vec<(u64, u64, &render::Job)> = jobs
            .iter()
            .map(|job| {
                (
                    render::identity_of(model, job),
                    render::fingerprint(model, job, &versions, &page_versions, global),
                    job,
                )
            })
            .collect();
        timer.lap("plan");
        let todo: Vec<&(u64, u64, &render::Job)> = planned
            .iter()
            .filter(|(id, fp, _)| self.outputs.get(id).is_none_or(|(old, _)| old != fp))
            .collect();
        let rendered: Vec<Result<(u64, u64, String), Problem>> = todo
            .par_iter()
            .map(|(id, fp, job)| {
                let file = renderer.render(job)?;
                site.write(&file.path, &file.bytes)
                    .map_err(|e| Problem::new(file.path.clone(), e.to_string()))?;
                Ok((*id, *fp, file.path))
            })
            .collect();
        timer.lap("pages");
        let mut problems = Problems::default();
        for result in rendered {
            match result {
                Ok((id, fp, path)) => {
                    if let Some((_, old_path)) = self.outputs.insert(id, (fp, path.clone()))
                        && old_path != path
                    {
                        site.remove(&old_path);
                    }
                }
                Err(problem) => problems.push(problem),
            }
        }
        let live: HashSet<u64> = planned.iter().map(|(id, _, _)| *id).collect();
        let gone: Vec<u64> = self
            .outputs
            .keys()
            .filter(|id| !live.contains(id))
            .copied()
            .collect();
        for id in gone {
            if let Some((_, path)) = self.outputs.remove(&id) {
                site.remove(&path);
            }
        }
        if bodies.iter().any(|b| b.has_code) && site.get("highlight.css").is_none() {
            site.write("highlight.css", crate::markdown::highlight_css().as_bytes())?;
        }
        if !problems.is_empty() {
            // Outputs that failed keep no fingerprint, so the next edit renders them again.
            return Err(problems.sorted().into());
        }
        Ok(Update {
            rendered: todo.len(),
            files: site.len(),
        })
    }

    /// The folder the session builds.
    pub fn root(&self) -> &Path {
        &self.options.root
    }
}
