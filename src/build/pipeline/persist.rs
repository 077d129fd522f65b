//! Keeping the pipeline between `birge build`s: [`Pipeline::resume`] takes up what the
//! last build left in the build cache, [`Pipeline::save`] leaves this one's.
//!
//! Takes the build options and the output folder, gives a [`Resumed`] pipeline with the
//! files changed since; takes a pipeline after a run, gives the cache's files.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;

use super::{Derived, Frame, Pipeline, ReadTable, Resumed, Stamps};
use crate::build::cache::{self, Packs};
use crate::build::search::SearchIndexes;
use crate::build::{BuildOptions, read_poll_results};
use crate::config::Config;
use crate::content;
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

impl Pipeline {
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
            articles: Vec::new(),
            pages: HashMap::default(),
            derived: HashMap::default(),
            outputs: state.outputs.into_iter().collect(),
            read_table: ReadTable::of(state.reads),
            last_versions: Default::default(),
            last_plan: None,
            bundles_reloaded: false,
            left_out: state.left_out,
            next_version: state.next_version,
            packs: Some(Arc::new(Packs::new(&dir))),
            bodiless: HashSet::default(),
            search: SearchIndexes::load(&dir, fingerprint),
            defer_search: false,
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
            pipeline.articles.push(stored.article);
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
        // Numbered again: the versions by number no longer fit.
        self.last_versions = Default::default();
        let database = self.options.root.join(&self.frame.config.polls.database);
        let fingerprint = cache::fingerprint(&self.options, output, &self.frame.theme, &database);
        let articles = self
            .articles
            .iter()
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
        self.search.save(&dir, fingerprint)?;
        let used = self
            .derived
            .values()
            .filter_map(|d| d.blob.map(|b| b.pack()))
            .collect();
        packs.remove_unused(&used)
    }
}
