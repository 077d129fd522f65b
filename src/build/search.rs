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
//!
//! Within a tree, each document is read for the index once per version (its key: the hash of
//! its fields and body version): a rebuilt bundle reads only the documents that changed and
//! is assembled from all ([`search::TreePages`]). `serve` keeps the read pages in memory;
//! `birge build` keeps them under the build cache's `search/<lang>/` (a words file and
//! [`search::BUCKETS`] buckets by key; only changed buckets are written), loaded only for a
//! tree that is rebuilt. A damaged or foreign bucket only means its documents are read
//! again.

use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use rayon::prelude::*;

use super::cache;
use super::pipeline::Recorded;
use crate::markdown::Rendered;
use crate::render::reads::hash_of;
use crate::render::{self, Body};
use crate::search::bundle::Layout;
use crate::search::from_site::Source;
use crate::search::{self, TreePages, Wanted};
use crate::site::Site;

const SEARCH_FILE: &str = "search.bin";
/// The folder of the trees' read pages, one folder per language in it.
const PAGES_DIR: &str = "search";
const WORDS_FILE: &str = "words.bin";

fn pages_dir(dir: &Path, lang: &str) -> PathBuf {
    dir.join(PAGES_DIR).join(lang)
}

fn bucket_file(bucket: usize) -> String {
    format!("pages-{bucket:02}.bin")
}

/// Writes what changed of `pages` into `dir`: the words file first (buckets only ever name
/// ids it holds), then the buckets whose pages changed.
fn save_pages(dir: &Path, fingerprint: u64, pages: &mut TreePages) -> Result<()> {
    let dirty = pages.dirty_buckets();
    if !pages.words_changed() && dirty.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the cache folder {}", dir.display()))?;
    if pages.words_changed() {
        cache::write_checked(&dir.join(WORDS_FILE), fingerprint, &pages.encode_words())?;
    }
    let pages_ref = &*pages;
    dirty.into_par_iter().try_for_each(|b| {
        let body = pages_ref.encode_bucket(b);
        cache::write_checked(&dir.join(bucket_file(b)), fingerprint, &body)
    })?;
    pages.mark_saved();
    Ok(())
}

/// The search bundles of the site's trees, by language.
#[derive(Default)]
pub(super) struct SearchIndexes {
    trees: BTreeMap<String, TreeIndex>,
    /// Each tree's documents as read for its bundle, so a rebuild reads only what changed.
    pages: BTreeMap<String, TreePages>,
    /// The build cache's folder and fingerprint that kept pages are loaded from, when a tree
    /// is rebuilt whose pages are not in memory.
    kept: Option<(PathBuf, u64)>,
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
    /// Whether another build follows that may reuse the documents read for search (`serve`,
    /// or `birge build` with its cache); if not, they are freed as soon as merged.
    pub(super) keep_read_pages: bool,
}

impl SearchIndexes {
    /// Brings every tree's bundle up to date with its documents; with `defer`, a tree that
    /// has a bundle keeps it (stale) and only trees without one get theirs.
    pub(super) fn refresh(&mut self, inputs: &SearchInputs, defer: bool) -> Result<()> {
        let site = inputs.site;
        if !site.config.search {
            self.trees.clear();
            self.pages.clear();
            self.stale = false;
            return Ok(());
        }
        let listed = tree_documents(inputs);
        self.trees.retain(|lang, _| listed.contains_key(lang));
        self.pages.retain(|lang, _| listed.contains_key(lang));
        let mut todo = Vec::new();
        let mut stale = false;
        for (lang, docs) in &listed {
            let version = hash_of(&docs.iter().map(|d| d.key).collect::<Vec<_>>());
            let usable = self
                .trees
                .get(lang)
                .filter(|tree| tree.is_whole(inputs.outputs));
            match usable {
                Some(tree) if tree.version == version => {}
                Some(_) if defer => stale = true,
                _ => todo.push((lang.clone(), version, self.pages.remove(lang))),
            }
        }
        let built: Vec<Result<(String, TreeIndex, TreePages)>> = todo
            .into_par_iter()
            .map(|(lang, version, pages)| {
                let timer = super::Timer::start();
                let pages = pages.or_else(|| {
                    let kept = self.kept_pages(&lang)?;
                    timer.lap(&format!("search {lang}: kept pages loaded"));
                    Some(kept)
                });
                let mut pages = pages.unwrap_or_else(|| TreePages::new(&lang));
                if !inputs.keep_read_pages {
                    pages.forget_pages();
                }
                let files = build_tree(inputs, &lang, &listed[&lang], &mut pages)?;
                Ok((lang, TreeIndex { version, files }, pages))
            })
            .collect();
        for result in built {
            let (lang, tree, pages) = result?;
            self.trees.insert(lang.clone(), tree);
            self.pages.insert(lang, pages);
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

    /// The bundles' versions and files, and the read pages that changed, for the next build
    /// in the build cache's folder `dir` under `fingerprint`.
    pub(super) fn save(&mut self, dir: &Path, fingerprint: u64) -> Result<()> {
        let body = postcard::to_allocvec(&self.trees).context("cannot encode the search state")?;
        cache::write_checked(&dir.join(SEARCH_FILE), fingerprint, &body)?;
        for (lang, pages) in &mut self.pages {
            save_pages(&pages_dir(dir, lang), fingerprint, pages)?;
        }
        self.kept = Some((dir.to_path_buf(), fingerprint));
        Ok(())
    }

    /// The pages of `lang`'s tree kept in the build cache, if any.
    fn kept_pages(&self, lang: &str) -> Option<TreePages> {
        let (dir, fingerprint) = self.kept.as_ref()?;
        let dir = pages_dir(dir, lang);
        let words = cache::read_checked(&dir.join(WORDS_FILE), *fingerprint)?;
        let buckets = (0..search::BUCKETS)
            .into_par_iter()
            .map(|b| cache::read_checked(&dir.join(bucket_file(b)), *fingerprint))
            .collect();
        TreePages::decode(lang, &words, buckets)
    }

    /// What [`SearchIndexes::save`] kept in `dir` under `fingerprint`; empty when there is
    /// nothing usable (every bundle is then made again, which is always right).
    pub(super) fn load(dir: &Path, fingerprint: u64) -> SearchIndexes {
        let trees = cache::read_checked(&dir.join(SEARCH_FILE), fingerprint)
            .and_then(|body| postcard::from_bytes(&body).ok())
            .unwrap_or_default();
        SearchIndexes {
            trees,
            pages: BTreeMap::new(),
            kept: Some((dir.to_path_buf(), fingerprint)),
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

/// A published document of a tree: what it is made from, the key of its version (the hash
/// of everything its search document is made from) and its URL.
struct Listed<'a> {
    source: Source,
    key: u64,
    url: &'a str,
}

/// Every tree's published documents, by language.
fn tree_documents<'a>(inputs: &SearchInputs<'a>) -> BTreeMap<String, Vec<Listed<'a>>> {
    let site = inputs.site;
    let mut trees: BTreeMap<String, Vec<Listed>> = site
        .trees
        .iter()
        .map(|tree| (tree.lang.clone(), Vec::new()))
        .collect();
    let articles: Vec<(&str, Listed)> = site
        .articles
        .par_iter()
        .enumerate()
        .filter(|(_, a)| !a.draft)
        .map(|(i, a)| {
            let day = a.date.date();
            let day = (day.year(), day.month(), day.day());
            let regions = search::from_site::region_names(site, &a.regions, &a.lang);
            let fields = (&a.path, &a.title, day, regions, &a.tags, &a.summary);
            let listed = Listed {
                source: Source::Article(i),
                key: hash_of(&(fields, inputs.body_versions[i])),
                url: a.path.as_str(),
            };
            (a.lang.as_str(), listed)
        })
        .collect();
    let pages = site.pages.iter().zip(inputs.page_bodies).enumerate();
    let pages = pages.filter(|(_, (p, _))| !p.draft).map(|(i, (p, body))| {
        let date = p
            .date
            .as_ref()
            .map(|d| d.date())
            .map(|d| (d.year(), d.month(), d.day()));
        let fields = (&p.path, &p.title, date, &p.summary);
        let listed = Listed {
            source: Source::Page(i),
            key: hash_of(&(fields, &body.html)),
            url: p.path.as_str(),
        };
        (p.lang.as_str(), listed)
    });
    for (lang, listed) in articles.into_iter().chain(pages) {
        if let Some(list) = trees.get_mut(lang) {
            list.push(listed);
        }
    }
    trees
}

/// The bundle of one tree, made from its documents `listed` now; `pages` holds what was read
/// of them before, and what is read now.
fn build_tree(
    inputs: &SearchInputs,
    lang: &str,
    listed: &[Listed],
    pages: &mut TreePages,
) -> Result<Vec<BundleFile>> {
    let site = inputs.site;
    let timer = super::Timer::start();
    let html = |i: usize| inputs.bodies[i].get().html.as_str();
    let docs: Vec<(u64, &str)> = listed.iter().map(|l| (l.key, l.url)).collect();
    let make = |places: &[usize], wanted: Wanted| {
        let sources: Vec<Source> = places.iter().map(|&i| listed[i].source).collect();
        search::from_site::documents_from(site, &sources, &html, inputs.page_bodies, wanted)
    };
    let bundle = pages
        .bundle(&docs, &make, Layout::default())
        .with_context(|| format!("building the search index of `{lang}`"))?;
    timer.lap(&format!(
        "search {lang}: index ({} of {} documents read, {} files)",
        bundle.read,
        docs.len(),
        bundle.files.len()
    ));
    let root = crate::routes::tree_root(lang, &site.config.language);
    let dir = search::bundle_dir(&root);
    Ok(bundle
        .files
        .into_iter()
        .map(|file| BundleFile {
            path: render::output_path(&format!("{dir}{}", file.name)),
            key: file.key,
            bytes: Some(file.bytes),
        })
        .collect())
}
