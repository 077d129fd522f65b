//! The search stage of the pipeline: every language tree's search bundle, made again only
//! when a document of that tree changed.
//!
//! Takes the site model, its articles' bodies and body versions and the standalone pages'
//! bodies; gives the bundle files ([`crate::search::build_index`]) as planned outputs under
//! each tree's [`crate::search::bundle_dir`]. A tree's bundle is known by a version: the hash
//! of what its documents are made from (each published article's fields and body version,
//! each page's fields and body). While the version holds, the bundle's files are those of the
//! last run, so an edit rebuilds the bundle of its own language alone. `birge serve` may
//! defer the rebuild ([`SearchIndexes::refresh`] with `defer`): the pages reload first and
//! the stale bundle answers until the next quiet moment. Between `birge build`s the versions
//! and file keys are kept in the build cache's `search.bin` ([`SearchIndexes::load`],
//! [`SearchIndexes::save`]); a missing or unreadable one only means the bundles are made
//! again.

use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use rayon::prelude::*;

use super::cache;
use super::pipeline::Recorded;
use crate::markdown::Rendered;
use crate::render::reads::hash_of;
use crate::render::{self, Body};
use crate::search;
use crate::site::Site;

const SEARCH_FILE: &str = "search.bin";

/// The search bundles of the site's trees, by language.
#[derive(Default)]
pub(super) struct SearchIndexes {
    trees: BTreeMap<String, TreeIndex>,
    /// Whether some tree's bundle is older than its documents (a deferred rebuild).
    stale: bool,
}

/// One tree's bundle: the version of the documents it was made from, and its files.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct TreeIndex {
    version: u64,
    files: Vec<BundleFile>,
}

/// A file of a bundle: its output path, the hash of its bytes, and the bytes while in memory
/// (a bundle resumed from the build cache has none: its files are on disk already).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct BundleFile {
    pub(super) path: String,
    pub(super) key: u64,
    #[serde(skip)]
    pub(super) bytes: Option<Arc<Vec<u8>>>,
}

/// What the search stage needs of a run.
pub(super) struct SearchInputs<'a> {
    pub(super) site: &'a Site,
    pub(super) bodies: &'a [Body],
    pub(super) page_bodies: &'a [Rendered],
    /// Each article's body version, in model order.
    pub(super) body_versions: &'a [u64],
    /// The outputs as last written, to tell whether a resumed bundle is on disk.
    pub(super) outputs: &'a HashMap<String, Recorded>,
}

impl SearchIndexes {
    /// Brings every tree's bundle up to date with its documents; with `defer`, a tree that
    /// has a bundle keeps it (stale) and only trees without one get theirs.
    pub(super) fn refresh(&mut self, inputs: &SearchInputs, defer: bool) -> Result<()> {
        let site = inputs.site;
        if !site.config.search {
            self.trees.clear();
            self.stale = false;
            return Ok(());
        }
        let versions = tree_versions(inputs);
        self.trees.retain(|lang, _| versions.contains_key(lang));
        let mut todo = Vec::new();
        let mut stale = false;
        for (lang, version) in &versions {
            let usable = self
                .trees
                .get(lang)
                .filter(|tree| tree.is_whole(inputs.outputs));
            match usable {
                Some(tree) if tree.version == *version => {}
                Some(_) if defer => stale = true,
                _ => todo.push((lang.clone(), *version)),
            }
        }
        let built: Vec<Result<(String, TreeIndex)>> = todo
            .into_par_iter()
            .map(|(lang, version)| {
                let files = build_tree(inputs, &lang)?;
                Ok((lang, TreeIndex { version, files }))
            })
            .collect();
        for result in built {
            let (lang, tree) = result?;
            self.trees.insert(lang, tree);
        }
        self.stale = stale;
        Ok(())
    }

    /// Whether a deferred rebuild is waiting.
    pub(super) fn is_stale(&self) -> bool {
        self.stale
    }

    /// Every bundle file, in the order of the trees' languages and their paths.
    pub(super) fn files(&self) -> impl Iterator<Item = &BundleFile> {
        self.trees.values().flat_map(|tree| &tree.files)
    }

    /// The bundles' versions and files, for the next build in the build cache's folder `dir`
    /// under `fingerprint`.
    pub(super) fn save(&self, dir: &Path, fingerprint: u64) -> Result<()> {
        let body = postcard::to_allocvec(&self.trees).context("cannot encode the search state")?;
        cache::write_checked(&dir.join(SEARCH_FILE), fingerprint, &body)
    }

    /// What [`SearchIndexes::save`] kept in `dir` under `fingerprint`; empty when there is
    /// nothing usable (every bundle is then made again, which is always right).
    pub(super) fn load(dir: &Path, fingerprint: u64) -> SearchIndexes {
        let trees = cache::read_checked(&dir.join(SEARCH_FILE), fingerprint)
            .and_then(|body| postcard::from_bytes(&body).ok())
            .unwrap_or_default();
        SearchIndexes {
            trees,
            stale: false,
        }
    }
}

impl TreeIndex {
    /// Whether every file is at hand: in memory, or written by an earlier run as it is now.
    fn is_whole(&self, outputs: &HashMap<String, Recorded>) -> bool {
        self.files.iter().all(|file| {
            file.bytes.is_some() || outputs.get(&file.path).is_some_and(|o| o.key == file.key)
        })
    }
}

/// The version of every tree's documents, by language.
fn tree_versions(inputs: &SearchInputs) -> BTreeMap<String, u64> {
    let site = inputs.site;
    let mut hashers: BTreeMap<&str, Vec<u64>> = site
        .trees
        .iter()
        .map(|tree| (tree.lang.as_str(), Vec::new()))
        .collect();
    for (i, a) in site.articles.iter().enumerate() {
        if a.draft {
            continue;
        }
        if let Some(list) = hashers.get_mut(a.lang.as_str()) {
            let day = a.date.date();
            let day = (day.year(), day.month(), day.day());
            let fields = (&a.path, &a.title, day, &a.regions, &a.tags, &a.summary);
            list.push(hash_of(&(fields, inputs.body_versions[i])));
        }
    }
    for (p, body) in site.pages.iter().zip(inputs.page_bodies) {
        if p.draft {
            continue;
        }
        if let Some(list) = hashers.get_mut(p.lang.as_str()) {
            let date = p
                .date
                .as_ref()
                .map(|d| d.date())
                .map(|d| (d.year(), d.month(), d.day()));
            let fields = (&p.path, &p.title, date, &p.summary);
            list.push(hash_of(&(fields, &body.html)));
        }
    }
    hashers
        .into_iter()
        .map(|(lang, list)| (lang.to_string(), hash_of(&list)))
        .collect()
}

/// The bundle of one tree, made from its documents now.
fn build_tree(inputs: &SearchInputs, lang: &str) -> Result<Vec<BundleFile>> {
    let site = inputs.site;
    let timer = super::Timer::start();
    let html = |i: usize| inputs.bodies[i].get().html.as_str();
    let docs = search::documents_of(site, Some(lang), &html, inputs.page_bodies);
    let docs: Vec<&search::Document> = docs.iter().collect();
    timer.lap(&format!("search {lang}: documents ({})", docs.len()));
    let root = crate::routes::tree_root(lang, &site.config.language);
    let dir = search::bundle_dir(&root);
    let files = search::build_index(lang, &docs)
        .with_context(|| format!("building the search index of `{lang}`"))?;
    timer.lap(&format!("search {lang}: index ({} files)", files.len()));
    Ok(files
        .into_iter()
        .map(|(name, bytes)| BundleFile {
            path: render::output_path(&format!("{dir}{name}")),
            key: hash_of(&bytes),
            bytes: Some(Arc::new(bytes)),
        })
        .collect())
}
