//! Keeping the pipeline between `birge build`s: [`Pipeline::resume`] takes up what the
//! last build left in the build cache, [`Pipeline::save`] leaves this one's.
//!
//! Takes the build options and the output folder, gives a [`Resumed`] pipeline with the
//! files changed since; takes a pipeline after a run, gives the cache's files.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;

use super::{Derived, Frame, LastVersions, Pipeline, ReadTable, Resumed, Stamps};
use crate::build::cache::{self, Chain, Packs};
use crate::build::search::SearchIndexes;
use crate::build::{BuildOptions, Timer, read_poll_results};
use crate::config::Config;
use crate::content::{self, Article};
use crate::diagnostics::Problems;
use crate::markdown::Rendered;
use crate::render;
use crate::theme::Theme;

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
        let results = read_poll_results(root, &config, &mut problems);
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

/// What the build cache held when a pipeline was resumed from it (or last saved into it):
/// a build then writes only a delta of what it changed.
pub(super) struct Cached {
    chain: Chain,
    /// The fingerprint of the settings, theme and options the pipeline was loaded with.
    fingerprint: u64,
    /// The stamps of `content/`'s files as the cache has them.
    files: Stamps,
    /// How many reads the cache numbers, and their versions.
    reads: usize,
    versions: Vec<u64>,
    /// Versions above this one were given after the cache was written.
    next_version: u64,
}

impl Pipeline {
    /// The pipeline the last `birge build` left in the build cache, for a build into `output`,
    /// with the files changed since; or why there is none.
    pub fn resume(options: &BuildOptions, output: &Path) -> Resumed {
        let root = &options.root;
        let dir = cache::dir(root);
        if !cache::has_state(&dir) {
            return Resumed::Nothing;
        }
        // Stamped before any article or page is read (a file saved during the build counts as
        // changed for the next one), while the settings and the state are read: the walk
        // waits on the file system more than it computes. The state is decoded while the
        // settings its fingerprint covers are read, and checked against them after.
        let (stamps, (frame, state)) = rayon::join(
            || {
                let timer = Timer::start();
                let stamps = cache::stamps(root);
                timer.lap("stamps");
                stamps
            },
            || {
                rayon::join(
                    || {
                        let timer = Timer::start();
                        let frame = Frame::load(options)?;
                        let database = root.join(&frame.config.polls.database);
                        let fingerprint =
                            cache::fingerprint(options, output, &frame.theme, &database);
                        timer.lap("settings");
                        Some((frame, fingerprint))
                    },
                    || cache::read_state(&dir),
                )
            },
        );
        let timer = Timer::start();
        let Some((frame, fingerprint)) = frame else {
            return Resumed::Nothing;
        };
        let (state, mut chain) = match state.check(fingerprint) {
            Ok(state) => state,
            Err(error) => return Resumed::SetAside(format!("{error:#}")),
        };
        let output_is_the_same = std::path::absolute(output).is_ok_and(|o| o == state.output);
        if !output_is_the_same || !output.is_dir() {
            return Resumed::Nothing;
        }
        let mut pipeline = Pipeline {
            options: options.clone(),
            record: true,
            frame,
            articles: Vec::new(),
            pages: HashMap::default(),
            derived: HashMap::default(),
            outputs: state.outputs.into_iter().collect(),
            read_table: ReadTable::default(),
            last_versions: LastVersions {
                routing: state.routing,
                versions: state.versions,
            },
            last_plan: None,
            bundles_reloaded: false,
            left_out: state.left_out,
            next_version: state.next_version,
            packs: Some(Arc::new(Packs::new(&dir))),
            resumed: true,
            reloaded: HashSet::default(),
            search: SearchIndexes::load(&dir, fingerprint),
            defer_search: false,
            cached: None,
            rerecorded: HashSet::default(),
        };
        let mut reads = state.reads;
        let mut files = state.files;
        let mut next_change = state.next_change;
        let count = state.articles.iter().map(Vec::len).sum();
        pipeline.articles.reserve(count);
        pipeline.derived.reserve(count);
        for stored in state.articles.into_iter().flatten() {
            let article = pipeline.insert_stored(stored);
            pipeline.articles.push(article);
        }
        pipeline.pages = state
            .pages
            .into_iter()
            .map(|p| (p.source.clone(), p))
            .collect();
        timer.lap("resume");
        // The deltas of later builds, in order.
        let mut replaced: HashSet<String> = HashSet::default();
        let mut added: HashMap<String, Article> = HashMap::default();
        loop {
            let delta = match cache::read_delta(&dir, fingerprint, &mut chain) {
                Ok(Some(delta)) => delta,
                Ok(None) => break,
                Err(error) => return Resumed::SetAside(format!("{error:#}")),
            };
            for (path, stamp) in delta.files {
                files.insert(path, stamp);
            }
            for path in &delta.files_gone {
                files.remove(path);
            }
            for source in delta.articles_gone {
                pipeline.derived.remove(&source);
                added.remove(&source);
                replaced.insert(source);
            }
            for stored in delta.articles {
                let article = pipeline.insert_stored(stored);
                replaced.insert(article.source.clone());
                added.insert(article.source.clone(), article);
            }
            pipeline.pages = delta
                .pages
                .into_iter()
                .map(|p| (p.source.clone(), p))
                .collect();
            for path in &delta.outputs_gone {
                pipeline.outputs.remove(path);
            }
            pipeline.outputs.extend(delta.outputs);
            reads.extend(delta.reads);
            let versions = &mut pipeline.last_versions.versions;
            versions.resize(delta.read_count as usize, 0);
            for (number, version) in delta.versions {
                if let Some(slot) = versions.get_mut(number as usize) {
                    *slot = version;
                }
            }
            pipeline.last_versions.routing = delta.routing;
            pipeline.left_out = delta.left_out;
            pipeline.next_version = delta.next_version;
            next_change = delta.next_change;
        }
        if reads.len() != pipeline.last_versions.versions.len() {
            return Resumed::SetAside("its reads and versions do not match".to_string());
        }
        pipeline.articles.retain(|a| !replaced.contains(&a.source));
        pipeline.articles.extend(added.into_values());
        timer.lap("deltas");
        if next_change.is_some_and(|at| at <= pipeline.frame.now) {
            return Resumed::Nothing;
        }
        pipeline.read_table = ReadTable::of(reads);
        timer.lap("read table");
        let changed = cache::changed_files(root, &files, &stamps);
        timer.lap("changed");
        pipeline.cached = Some(Cached {
            chain,
            fingerprint,
            reads: pipeline.read_table.reads.len(),
            versions: pipeline.last_versions.versions.clone(),
            next_version: pipeline.next_version,
            files,
        });
        Resumed::Ready(Box::new(pipeline), changed, stamps)
    }

    /// Takes up what the cache keeps of one article; gives the article, its Markdown to be
    /// read again when needed.
    fn insert_stored(&mut self, stored: cache::StoredArticle<Article>) -> Article {
        self.derived.insert(
            stored.article.source.clone(),
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
        stored.article
    }

    /// Keeps the pipeline in the build cache for the next build into `output`: new bodies
    /// into a new pack, then what changed since the cache was read as a delta (or, the
    /// first time and when the deltas grow long, a whole new state), then packs no body
    /// needs any more are removed. `stamps` are those of the files this run read.
    pub fn save(&mut self, output: &Path, stamps: Stamps) -> Result<()> {
        let timer = Timer::start();
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
        timer.lap("bodies");
        let fingerprint = match &self.cached {
            Some(cached) => cached.fingerprint,
            None => {
                let database = self.options.root.join(&self.frame.config.polls.database);
                cache::fingerprint(&self.options, output, &self.frame.theme, &database)
            }
        };
        match self.cached.take() {
            Some(mut cached) if !cached.chain.is_long() => {
                self.save_delta(&dir, fingerprint, &mut cached, &stamps)?;
                cached.files = stamps;
                cached.reads = self.read_table.reads.len();
                cached.versions.clone_from(&self.last_versions.versions);
                cached.next_version = self.next_version;
                self.cached = Some(cached);
            }
            _ => {
                let chain = self.save_state(&dir, fingerprint, output, &stamps)?;
                self.cached = Some(Cached {
                    chain,
                    fingerprint,
                    files: stamps,
                    reads: self.read_table.reads.len(),
                    versions: self.last_versions.versions.clone(),
                    next_version: self.next_version,
                });
            }
        }
        self.rerecorded.clear();
        self.search.save(&dir, fingerprint)?;
        timer.lap("save");
        let used = self
            .derived
            .values()
            .filter_map(|d| d.blob.map(|b| b.pack()))
            .collect();
        packs.remove_unused(&used)
    }

    /// Writes the whole state, its reads numbered again without those no output makes.
    fn save_state(
        &mut self,
        dir: &Path,
        fingerprint: u64,
        output: &Path,
        stamps: &Stamps,
    ) -> Result<Chain> {
        let versions = self
            .read_table
            .compact(&mut self.outputs, &self.last_versions.versions);
        self.last_versions.versions = versions;
        let articles = self
            .articles
            .iter()
            .filter_map(|article| Some(self.stored(article, self.derived.get(&article.source)?)))
            .collect();
        let state = cache::WrittenState {
            output: std::path::absolute(output)?,
            files: stamps,
            articles,
            pages: self.pages.values().collect(),
            outputs: self.outputs.iter().collect(),
            reads: &self.read_table.reads,
            versions: &self.last_versions.versions,
            routing: self.last_versions.routing,
            left_out: self.left_out.clone(),
            next_version: self.next_version,
            next_change: self.next_change().map(|due| due.at),
        };
        cache::write_state(dir, fingerprint, &state)
    }

    /// Writes what changed since `cached` as the next delta of its chain.
    fn save_delta(
        &self,
        dir: &Path,
        fingerprint: u64,
        cached: &mut Cached,
        stamps: &Stamps,
    ) -> Result<()> {
        let diff = cache::stamp_diff(&cached.files, stamps);
        let files: Vec<(&String, &cache::Stamp)> = diff
            .changed
            .iter()
            .map(|&(path, stamp, _)| (path, stamp))
            .collect();
        let files_gone = diff.gone;
        let since = cached.next_version;
        let articles = self
            .articles
            .iter()
            .filter_map(|article| {
                let d = self.derived.get(&article.source)?;
                (d.body_version > since || d.view_version > since).then(|| self.stored(article, d))
            })
            .collect();
        // Articles leave only when their file changed or went.
        let articles_gone = files
            .iter()
            .map(|&(path, _)| path)
            .chain(files_gone.iter().copied())
            .filter(|path| !self.derived.contains_key(path.as_str()))
            .cloned()
            .collect();
        let (outputs, outputs_gone): (Vec<&String>, Vec<&String>) = self
            .rerecorded
            .iter()
            .partition(|path| self.outputs.contains_key(*path));
        let now = &self.last_versions.versions;
        let versions = now
            .iter()
            .enumerate()
            .filter(|&(n, v)| cached.versions.get(n) != Some(v))
            .map(|(n, &v)| (n as u32, v))
            .collect();
        let delta = cache::WrittenDelta {
            files: files.into_iter().map(|(p, s)| (p.clone(), *s)).collect(),
            files_gone: files_gone.into_iter().cloned().collect(),
            articles,
            articles_gone,
            pages: self.pages.values().collect(),
            outputs: outputs
                .into_iter()
                .filter_map(|path| self.outputs.get_key_value(path))
                .collect(),
            outputs_gone: outputs_gone.into_iter().cloned().collect(),
            reads: &self.read_table.reads[cached.reads.min(self.read_table.reads.len())..],
            versions,
            read_count: u32::try_from(now.len())?,
            routing: self.last_versions.routing,
            left_out: self.left_out.clone(),
            next_version: self.next_version,
            next_change: self.next_change().map(|due| due.at),
        };
        cache::write_delta(dir, fingerprint, &mut cached.chain, &delta)
    }

    fn stored<'a>(&self, article: &'a Article, d: &Derived) -> cache::StoredArticle<&'a Article> {
        cache::StoredArticle {
            article,
            blob: d.blob,
            meta: d.meta.clone(),
            body_version: d.body_version,
            view_version: d.view_version,
            translations: d.translations,
            bundle: d.bundle.clone(),
        }
    }
}
