//! Index building: one Pagefind bundle per language tree, returned as files in memory.
//!
//! Takes the [`Document`]s of every tree, gives the files of each tree's bundle under its
//! search page, `<root>search/pagefind/` ([`bundle_dir`]): the entry file, the metadata, the
//! word chunks and one fragment per document, written by [`super::bundle`], and Pagefind's
//! script, its worker and the WebAssembly of the language ([`super::runtime`]; English and
//! Russian stem, Kazakh does not). Pagefind's UIs, highlighter and playground are left out:
//! birge's search page brings its own.
//!
//! Languages are built in parallel, and each one's pages, words and files in parallel
//! (rayon); no async runtime is needed, so `serve` may call this from inside one. The same
//! documents give the same bytes, in whatever order they come.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use super::bundle::{self, AssembledFile, Assembly, Layout, ReadPage};
use super::cache::TokenCache;
use super::records::{self, Document, Record, Wanted, record};
use super::runtime;
use crate::routes;

/// A file of the bundle: its path (a site path, or relative to the bundle's folder) and bytes.
pub type SearchFile = (String, Vec<u8>);

/// The folder of a tree's search bundle, under its search page: `/search/pagefind/` for the
/// default language, `/kk/search/pagefind/` for Kazakh. Each tree's page loads its own
/// language's bundle by a path relative to itself, and nothing else on the site points here.
pub fn bundle_dir(root: &str) -> String {
    format!("{root}search/pagefind/")
}

/// The search bundles of every language in `languages` (the site's, `default_lang` served at
/// the root), as site paths and bytes, sorted by path. A tree without documents still gets the
/// script and an entry file that lists no index, so its search page answers "no results".
pub fn build_indexes(
    docs: &[Document],
    languages: &[String],
    default_lang: &str,
) -> Result<Vec<SearchFile>> {
    build_indexes_with(docs, languages, default_lang, Layout::default())
}

/// [`build_indexes`] with the chunk size and gzip level of `layout` (for benchmarks).
pub fn build_indexes_with(
    docs: &[Document],
    languages: &[String],
    default_lang: &str,
    layout: Layout,
) -> Result<Vec<SearchFile>> {
    let mut by_lang: BTreeMap<&str, Vec<&Document>> = languages
        .iter()
        .map(|lang| (lang.as_str(), Vec::new()))
        .collect();
    for doc in docs {
        by_lang
            .get_mut(doc.lang.as_str())
            .ok_or_else(|| {
                anyhow!(
                    "{} is in language `{}`, which the site does not have",
                    doc.url,
                    doc.lang
                )
            })?
            .push(doc);
    }
    let bundles: Vec<Result<Vec<SearchFile>>> = by_lang
        .par_iter()
        .map(|(lang, docs)| {
            build_index_with(lang, docs, layout)
                .with_context(|| format!("building the search index of `{lang}`"))
        })
        .collect();
    let mut files = Vec::new();
    for (lang, bundle) in by_lang.keys().zip(bundles) {
        let dir = bundle_dir(&routes::tree_root(lang, default_lang));
        files.extend(
            bundle?
                .into_iter()
                .map(|(name, bytes)| (format!("{dir}{name}"), bytes)),
        );
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// The search bundle of one language's documents, as paths relative to its [`bundle_dir`]
/// and bytes, sorted by path: what an edit to that language rebuilds.
pub fn build_index(lang: &str, docs: &[&Document]) -> Result<Vec<SearchFile>> {
    build_index_with(lang, docs, Layout::default())
}

fn build_index_with(lang: &str, docs: &[&Document], layout: Layout) -> Result<Vec<SearchFile>> {
    let records = sorted_records(docs)?;
    let mut files = runtime::files(lang, !records.is_empty());
    if records.is_empty() {
        files.push(("pagefind-entry.json".to_string(), bundle::entry(None)));
    } else {
        files.extend(bundle::bundle(lang, &records, layout)?);
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// One language's documents read for its bundle, kept from one bundle to the next: an edit
/// reads again only the documents whose key changed, and the bundle is assembled from all.
///
/// Between builds the pages are kept in files ([`TreePages::encode_words`],
/// [`TreePages::encode_bucket`], [`TreePages::decode`]): one with the word ids' strings and
/// the field names, and [`BUCKETS`] with the pages by key, so that an edit rewrites a bucket
/// or two. A bucket names the generation of the words file it was written with (a new one
/// whenever ids start afresh) and how many ids it knew; ids are only ever added, so a bucket
/// stays good while the words file it was written with grows.
pub struct TreePages {
    lang: String,
    tokens: TokenCache,
    /// The meta field names the pages were read with.
    fields: Vec<String>,
    /// Read pages by their document's key.
    pages: HashMap<u64, Arc<ReadPage>>,
    /// Names this tree's ids: a bucket of another generation is not read.
    generation: u64,
    /// Buckets whose pages changed since they were last kept.
    dirty: Vec<bool>,
    /// How many ids the kept words file holds (0: it must be written).
    saved_ids: usize,
    /// Whether read pages are kept for the next bundle ([`TreePages::forget_pages`]).
    keep: bool,
}

/// How many pages are read before their words are merged, when they are not kept: bounds
/// the memory of pages read.
const PAGES_PER_BATCH: usize = 2048;

/// How many buckets a tree's read pages are kept in.
pub const BUCKETS: usize = 64;

fn bucket(key: u64) -> usize {
    (key % BUCKETS as u64) as usize
}

/// What [`TreePages::bundle`] gives: the bundle's files, and how many documents it read.
pub struct TreeBundle {
    pub files: Vec<AssembledFile>,
    pub read: usize,
}

impl TreePages {
    /// Nothing read yet, for `lang`.
    pub fn new(lang: &str) -> TreePages {
        TreePages {
            lang: lang.to_string(),
            tokens: TokenCache::new(lang),
            fields: Vec::new(),
            pages: HashMap::default(),
            generation: new_generation(),
            dirty: vec![true; BUCKETS],
            saved_ids: 0,
            keep: true,
        }
    }

    /// Stops keeping read pages: each bundle reads every document, a batch at a time, and
    /// frees each batch once merged (for a build that nothing follows).
    pub fn forget_pages(&mut self) {
        self.keep = false;
        self.pages.clear();
    }

    /// The bundle of the documents listed in `docs`, each as the key of its version (equal
    /// keys, equal documents) and its URL; `make` gives the documents of the listed places
    /// asked for, in that order, for those that must be read again (first without their
    /// text, for their field names, then whole a batch at a time, so that the text of only
    /// one batch is held at once). Pages of documents no longer listed are forgotten.
    pub fn bundle(
        &mut self,
        docs: &[(u64, &str)],
        make: &(dyn Fn(&[usize], Wanted) -> Vec<Document> + Sync),
        layout: Layout,
    ) -> Result<TreeBundle> {
        let mut todo: Vec<usize> = (0..docs.len())
            .filter(|&i| !self.pages.contains_key(&docs[i].0))
            .collect();
        let mut fields = self.fields_with(docs, &field_names_of(&make(&todo, Wanted::Fields)));
        if fields != self.fields {
            if todo.len() < docs.len() {
                // Kept pages number their fields by the old list: read everything again.
                todo = (0..docs.len()).collect();
                fields = field_names_of(&make(&todo, Wanted::Fields));
            }
            self.pages.clear();
            self.fields = fields;
            self.dirty = vec![true; BUCKETS];
            self.saved_ids = 0;
        }
        let mut order: Vec<usize> = (0..docs.len()).collect();
        order.par_sort_unstable_by(|&a, &b| docs[a].1.cmp(docs[b].1));
        if let Some(twice) = order.windows(2).find(|w| docs[w[0]].1 == docs[w[1]].1) {
            bail!("two search documents have the URL {}", docs[twice[0]].1);
        }
        let mut to_read = vec![false; docs.len()];
        for &i in &todo {
            to_read[i] = true;
        }
        let mut files: Vec<AssembledFile> = runtime::files(&self.lang, !docs.is_empty())
            .into_iter()
            .map(|(name, bytes)| AssembledFile::new(name, bytes))
            .collect();
        let mut kept: HashMap<u64, Arc<ReadPage>> = HashMap::default();
        if docs.is_empty() {
            let entry = bundle::entry(None);
            files.push(AssembledFile::new("pagefind-entry.json".to_string(), entry));
        } else {
            let (tokens, fields) = (&self.tokens, &self.fields);
            let mut assembly = Assembly::new();
            for batch in order.chunks(PAGES_PER_BATCH) {
                let places: Vec<usize> = batch.iter().copied().filter(|&i| to_read[i]).collect();
                let records = records_of(&make(&places, Wanted::Whole));
                if records.len() != places.len() {
                    bail!(
                        "{} search documents asked for, {} made",
                        places.len(),
                        records.len()
                    );
                }
                let record_of: HashMap<usize, &Record> = places.into_iter().zip(&records).collect();
                let pages: Vec<Arc<ReadPage>> = batch
                    .par_iter()
                    .map(|&i| match record_of.get(&i) {
                        Some(record) => {
                            ReadPage::read(record, tokens, fields, layout).map(Arc::new)
                        }
                        None => (self.pages.get(&docs[i].0).cloned()).ok_or_else(|| {
                            anyhow!("the search document {} was not read", docs[i].1)
                        }),
                    })
                    .collect::<Result<_>>()?;
                assembly.add(&pages.iter().map(|page| &**page).collect::<Vec<_>>());
                if self.keep {
                    kept.extend(batch.iter().map(|&i| docs[i].0).zip(pages));
                }
            }
            files.extend(assembly.finish(&self.lang, tokens, fields, layout)?);
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        for &i in &todo {
            self.dirty[bucket(docs[i].0)] = true;
        }
        for key in self.pages.keys().filter(|key| !kept.contains_key(key)) {
            self.dirty[bucket(*key)] = true;
        }
        self.pages = kept;
        Ok(TreeBundle {
            files,
            read: todo.len(),
        })
    }

    /// The field names of the pages kept for `docs` and `new` ones, sorted.
    fn fields_with(&self, docs: &[(u64, &str)], new: &[String]) -> Vec<String> {
        let mut names: BTreeSet<&String> = new.iter().collect();
        for (key, _) in docs {
            if let Some(page) = self.pages.get(key) {
                names.extend(page.field_names(&self.fields));
            }
        }
        names.into_iter().cloned().collect()
    }
}

/// What the words file and the buckets start with, to tell them from other files.
const WORDS_MAGIC: &[u8] = b"birge search words 1\n";
const BUCKET_MAGIC: &[u8] = b"birge search pages 1\n";

impl TreePages {
    /// The words file: the generation, the field names and every id's string.
    pub fn encode_words(&self) -> Vec<u8> {
        let strings = self.tokens.strings();
        let mut out = WORDS_MAGIC.to_vec();
        out.extend_from_slice(&self.generation.to_le_bytes());
        write_strings(&mut out, self.fields.iter().map(String::as_str));
        write_strings(&mut out, strings.iter().map(|s| &**s));
        out
    }

    /// Whether the words file must be written again: there are new ids, or it never was.
    pub fn words_changed(&self) -> bool {
        self.saved_ids != self.tokens.id_count()
    }

    /// The buckets whose pages changed since they were kept.
    pub fn dirty_buckets(&self) -> Vec<usize> {
        (0..BUCKETS).filter(|&b| self.dirty[b]).collect()
    }

    /// Bucket `bucket_no`: the generation, how many ids there are, a hash of the field names,
    /// and each of its pages after its key, by key.
    pub fn encode_bucket(&self, bucket_no: usize) -> Vec<u8> {
        let mut keys: Vec<u64> = self
            .pages
            .keys()
            .copied()
            .filter(|&key| bucket(key) == bucket_no)
            .collect();
        keys.sort_unstable();
        let mut out = BUCKET_MAGIC.to_vec();
        out.extend_from_slice(&self.generation.to_le_bytes());
        out.extend_from_slice(&(self.tokens.id_count() as u64).to_le_bytes());
        out.extend_from_slice(&fields_hash(&self.fields).to_le_bytes());
        out.extend_from_slice(&(keys.len() as u64).to_le_bytes());
        for key in keys {
            out.extend_from_slice(&key.to_le_bytes());
            self.pages[&key].encode(&mut out);
        }
        out
    }

    /// Records that the words file and every bucket are kept as they are now.
    pub fn mark_saved(&mut self) {
        self.saved_ids = self.tokens.id_count();
        self.dirty = vec![false; BUCKETS];
    }

    /// The pages of `lang` kept in `words` and `buckets` (by number, `None` where there is no
    /// bucket file); `None` when the words file cannot be read. A bucket that cannot be read
    /// or is of another generation is left out (its documents are read again) and marked to
    /// be written.
    pub fn decode(lang: &str, words: &[u8], buckets: Vec<Option<Vec<u8>>>) -> Option<TreePages> {
        let mut at = 0;
        take(words, &mut at, WORDS_MAGIC.len()).filter(|m| *m == WORDS_MAGIC)?;
        let generation = read_u64(words, &mut at)?;
        let fields = read_strings(words, &mut at)?;
        let strings: Vec<Arc<str>> = read_strings(words, &mut at)?
            .into_iter()
            .map(Arc::from)
            .collect();
        if at != words.len() || strings.first().is_none_or(|s| !s.is_empty()) {
            return None;
        }
        let ids = strings.len();
        let fields_hash = fields_hash(&fields);
        let mut buckets = buckets;
        buckets.resize(BUCKETS, None);
        let decoded: Vec<Option<Vec<(u64, ReadPage)>>> = buckets
            .into_par_iter()
            .enumerate()
            .map(|(number, bytes)| {
                decode_bucket(&bytes?, generation, ids, fields_hash)
                    .filter(|pages| pages.iter().all(|(key, _)| bucket(*key) == number))
            })
            .collect();
        let dirty = decoded.iter().map(Option::is_none).collect();
        let pages = decoded
            .into_iter()
            .flatten()
            .flatten()
            .map(|(key, page)| (key, Arc::new(page)))
            .collect();
        Some(TreePages {
            lang: lang.to_string(),
            tokens: TokenCache::with_strings(lang, strings),
            fields,
            pages,
            generation,
            dirty,
            saved_ids: ids,
            keep: true,
        })
    }
}

fn decode_bucket(
    bytes: &[u8],
    generation: u64,
    ids: usize,
    fields_hash: u64,
) -> Option<Vec<(u64, ReadPage)>> {
    let mut at = 0;
    take(bytes, &mut at, BUCKET_MAGIC.len()).filter(|m| *m == BUCKET_MAGIC)?;
    let header = [(); 4].map(|_| read_u64(bytes, &mut at));
    let [
        Some(written_generation),
        Some(written_ids),
        Some(written_fields),
        Some(count),
    ] = header
    else {
        return None;
    };
    if written_generation != generation || written_ids > ids as u64 || written_fields != fields_hash
    {
        return None;
    }
    let mut pages = Vec::new();
    for _ in 0..count {
        let key = read_u64(bytes, &mut at)?;
        pages.push((key, ReadPage::decode(bytes, &mut at, ids)?));
    }
    (at == bytes.len()).then_some(pages)
}

/// A number that a new tree's ids are known by: the time and the process.
fn new_generation() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    crate::render::reads::hash_of(&(nanos, std::process::id()))
}

fn fields_hash(fields: &[String]) -> u64 {
    crate::render::reads::hash_of(fields)
}

fn write_strings<'a>(out: &mut Vec<u8>, strings: impl ExactSizeIterator<Item = &'a str>) {
    out.extend_from_slice(&(strings.len() as u64).to_le_bytes());
    for s in strings {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
}

fn read_strings(bytes: &[u8], at: &mut usize) -> Option<Vec<String>> {
    let count = read_u64(bytes, at)?;
    let mut strings = Vec::with_capacity(count.min(1 << 20) as usize);
    for _ in 0..count {
        let len = u32::from_le_bytes(take(bytes, at, 4)?.try_into().ok()?) as usize;
        strings.push(String::from_utf8(take(bytes, at, len)?.to_vec()).ok()?);
    }
    Some(strings)
}

fn read_u64(bytes: &[u8], at: &mut usize) -> Option<u64> {
    Some(u64::from_le_bytes(take(bytes, at, 8)?.try_into().ok()?))
}

fn take<'b>(bytes: &'b [u8], at: &mut usize, len: usize) -> Option<&'b [u8]> {
    let run = bytes.get(*at..at.checked_add(len)?)?;
    *at += len;
    Some(run)
}

/// The sorted names of the meta fields that the records of `docs` have.
fn field_names_of(docs: &[Document]) -> Vec<String> {
    let metas: Vec<_> = docs.par_iter().map(records::meta).collect();
    bundle::field_names(metas.iter())
}

/// The records of `docs`, in their order.
fn records_of(docs: &[Document]) -> Vec<Record> {
    docs.par_iter().map(record).collect()
}

/// The records of `docs`, sorted by URL: a record's place is its page number, so sorting
/// makes the bytes independent of the caller's order.
pub(super) fn sorted_records(docs: &[&Document]) -> Result<Vec<Record>> {
    let mut records: Vec<Record> = docs.par_iter().map(|doc| record(doc)).collect();
    records.sort_by(|a, b| a.url.cmp(&b.url));
    if let Some(twice) = records.windows(2).find(|pair| pair[0].url == pair[1].url) {
        bail!("two search documents have the URL {}", twice[0].url);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::{Document, Layout, SearchFile, TreePages, Wanted, build_index, build_indexes};

    fn doc(lang: &str, slug: &str, title: &str, body: &str) -> Document {
        let root = if lang == "en" {
            "/".to_string()
        } else {
            format!("/{lang}/")
        };
        Document {
            url: format!("{root}news/2020/03/{slug}/"),
            lang: lang.to_string(),
            title: title.to_string(),
            date: Some("26.03.2020".to_string()),
            regions: vec![],
            tags: vec![],
            summary: String::new(),
            body_text: body.to_string(),
        }
    }

    fn corpus() -> Vec<Document> {
        vec![
            doc(
                "en",
                "masks",
                "Capital and regional APK distribute masks",
                "Volunteers of the Assembly sewed masks and gave them away in Atyrau.",
            ),
            doc(
                "ru",
                "maski",
                "Волонтёры раздали маски",
                "Ёлка, маски и волонтёры Атырау.",
            ),
            doc(
                "kk",
                "maska",
                "Қарағанды еріктілері",
                "Қарағанды облысының еріктілері маскалар таратты.",
            ),
            doc(
                "kk",
                "jastar",
                "Жастар",
                "Шымкент жастары «Жаңғыру жолы» жобасына қатысты.",
            ),
        ]
    }

    fn languages() -> Vec<String> {
        ["en", "kk", "ru"].map(String::from).to_vec()
    }

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    /// The words of a bundle's index chunks, as raw bytes to search in.
    fn index_bytes(files: &[(String, Vec<u8>)], dir: &str) -> Vec<u8> {
        files
            .iter()
            .filter(|(path, _)| path.starts_with(&format!("{dir}index/")))
            .flat_map(|(_, bytes)| gunzip(bytes))
            .collect()
    }

    fn contains(haystack: &[u8], needle: &str) -> bool {
        haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    }

    #[test]
    fn one_bundle_per_tree_under_its_search_page() {
        let files = build_indexes(&corpus(), &languages(), "en").unwrap();
        let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        for dir in [
            "/search/pagefind/",
            "/kk/search/pagefind/",
            "/ru/search/pagefind/",
        ] {
            for name in ["pagefind.js", "pagefind-worker.js", "pagefind-entry.json"] {
                let path = format!("{dir}{name}");
                assert!(paths.contains(&path.as_str()), "{path} in {paths:?}");
            }
            assert!(
                paths
                    .iter()
                    .any(|p| p.starts_with(dir) && p.ends_with(".pf_meta"))
            );
        }
        // English and Russian load their stemmers, Kazakh the plain WebAssembly.
        assert!(paths.contains(&"/search/pagefind/wasm.en.pagefind"));
        assert!(paths.contains(&"/ru/search/pagefind/wasm.ru.pagefind"));
        assert!(paths.contains(&"/kk/search/pagefind/wasm.unknown.pagefind"));
        assert!(
            !paths
                .iter()
                .any(|p| p.contains("-ui") || p.contains("playground"))
        );
        assert!(!paths.contains(&"/search/pagefind/wasm.unknown.pagefind"));
        // One fragment per document, in its own tree.
        let fragments = |dir: &str| {
            paths
                .iter()
                .filter(|p| p.starts_with(&format!("{dir}fragment/")))
                .count()
        };
        assert_eq!(fragments("/search/pagefind/"), 1);
        assert_eq!(fragments("/kk/search/pagefind/"), 2);
        assert_eq!(fragments("/ru/search/pagefind/"), 1);
        assert!(paths.windows(2).all(|pair| pair[0] < pair[1]));
    }

    /// Each tree's index holds its own language's words only; Kazakh words sit beside their
    /// keys, title keys included.
    #[test]
    fn each_index_holds_its_language_and_kazakh_its_keys() {
        let files = build_indexes(&corpus(), &languages(), "en").unwrap();
        let kk = index_bytes(&files, "/kk/search/pagefind/");
        for word in [
            "karagandy",
            "maskalar",
            "jastary",
            "symkent",
            "jangyru",
            "қарағанды",
        ] {
            assert!(contains(&kk, word), "kk index lacks {word}");
        }
        assert!(!contains(&kk, "volunteers"));
        let en = index_bytes(&files, "/search/pagefind/");
        assert!(contains(&en, "volunt"), "English is stemmed");
        assert!(!contains(&en, "karagandy"));
        let ru = index_bytes(&files, "/ru/search/pagefind/");
        assert!(contains(&ru, "елк"), "ё is е, and Russian is stemmed");
        assert!(contains(&ru, "волонтер"));
    }

    /// Snippets come from the fragment's content: the Kazakh one holds the original words
    /// only, though the index counts their keys too.
    #[test]
    fn kazakh_fragment_keeps_the_original_text_for_snippets() {
        let files = build_indexes(&corpus(), &languages(), "en").unwrap();
        let fragment = files
            .iter()
            .filter(|(p, _)| p.starts_with("/kk/search/pagefind/fragment/"))
            .map(|(_, bytes)| String::from_utf8(gunzip(bytes)).unwrap())
            .find(|f| f.contains("maska"))
            .unwrap();
        let json: serde_json::Value =
            serde_json::from_str(fragment.trim_start_matches("pagefind_dcd")).unwrap();
        assert_eq!(json["url"], "/kk/news/2020/03/maska/");
        // The keys are indexed (10 words) but not shipped with the result.
        assert_eq!(
            json["content"],
            "Қарағанды облысының еріктілері маскалар таратты."
        );
        assert_eq!(json["word_count"], 10);
        assert_eq!(json["meta"]["title"], "Қарағанды еріктілері");
        assert_eq!(json["meta"]["title_key"], "karagandy eriktileri");
    }

    #[test]
    fn same_documents_same_bytes_in_any_order() {
        let docs = corpus();
        let first = build_indexes(&docs, &languages(), "en").unwrap();
        let mut reversed = docs.clone();
        reversed.reverse();
        let second = build_indexes(&reversed, &languages(), "en").unwrap();
        assert_eq!(first, second);
    }

    /// `docs` through `pages`, keyed by their contents: the files, and how many were read.
    fn kept_bundle(pages: &mut TreePages, docs: &[Document]) -> (Vec<SearchFile>, usize) {
        let keys: Vec<(u64, &str)> = docs
            .iter()
            .map(|d| {
                (
                    crate::render::reads::hash_of(&format!("{d:?}")),
                    d.url.as_str(),
                )
            })
            .collect();
        let make = |places: &[usize], _: Wanted| places.iter().map(|&i| docs[i].clone()).collect();
        let bundle = pages.bundle(&keys, &make, Layout::default()).unwrap();
        let files = bundle
            .files
            .into_iter()
            .map(|f| (f.name, f.bytes.to_vec()))
            .collect();
        (files, bundle.read)
    }

    #[test]
    fn a_bundle_kept_between_edits_is_the_bundle_made_afresh() {
        let kk = |slug: &str, title: &str, body: &str| doc("kk", slug, title, body);
        let mut docs = vec![
            kk(
                "maska",
                "Қарағанды еріктілері",
                "Еріктілер маскалар таратты.",
            ),
            kk("jastar", "Жастар", "Шымкент жастары жобаға қатысты."),
            kk("ana", "Аналар кеңесі", "Аналар кеңесі азық-түлік таратты."),
        ];
        let fresh = |docs: &[Document]| build_index("kk", &docs.iter().collect::<Vec<_>>());
        let mut pages = TreePages::new("kk");
        let (files, read) = kept_bundle(&mut pages, &docs);
        assert_eq!((files, read), (fresh(&docs).unwrap(), 3));

        // One edited, one gone, one new: only the edited and the new one are read.
        docs[1].body_text = "Шымкент жастары маскалар тікті.".to_string();
        docs.remove(2);
        docs.push(kk("dala", "Дала", "Қостанай еріктілері дәрі жеткізді."));
        let (files, read) = kept_bundle(&mut pages, &docs);
        assert_eq!((files, read), (fresh(&docs).unwrap(), 2));

        // A meta field no page had before renumbers the fields: everything is read again.
        docs[0].tags = vec!["Еріктілер".to_string()];
        let (files, read) = kept_bundle(&mut pages, &docs);
        assert_eq!((files, read), (fresh(&docs).unwrap(), 3));

        // Nothing changed: nothing is read, the bytes are the same.
        let (files, read) = kept_bundle(&mut pages, &docs);
        assert_eq!((files, read), (fresh(&docs).unwrap(), 0));

        // Two documents at one URL are refused, as in a fresh bundle.
        docs.push(docs[0].clone());
        docs.last_mut().unwrap().title = "Басқа".to_string();
        let keys: Vec<(u64, &str)> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (i as u64, d.url.as_str()))
            .collect();
        let make = |places: &[usize], _: Wanted| places.iter().map(|&i| docs[i].clone()).collect();
        let err = TreePages::new("kk")
            .bundle(&keys, &make, Layout::default())
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "two search documents have the URL /kk/news/2020/03/maska/"
        );
    }

    /// `pages` written out and read back, with bucket `damaged` cut short.
    fn kept(pages: &TreePages, damaged: Option<usize>) -> TreePages {
        let buckets = (0..super::BUCKETS)
            .map(|b| {
                let bytes = pages.encode_bucket(b);
                Some(match damaged {
                    Some(d) if d == b => bytes[..bytes.len() - 1].to_vec(),
                    _ => bytes,
                })
            })
            .collect();
        TreePages::decode("kk", &pages.encode_words(), buckets).unwrap()
    }

    #[test]
    fn kept_pages_read_back_serve_the_next_bundle() {
        let mut docs: Vec<Document> = (0..40)
            .map(|i| {
                doc(
                    "kk",
                    &format!("n{i}"),
                    "Жастар",
                    &format!("Шымкент жастары {i} маска"),
                )
            })
            .collect();
        let fresh = |docs: &[Document]| build_index("kk", &docs.iter().collect::<Vec<_>>());
        let mut pages = TreePages::new("kk");
        kept_bundle(&mut pages, &docs);
        pages.mark_saved();
        assert!(!pages.words_changed() && pages.dirty_buckets().is_empty());

        let mut back = kept(&pages, None);
        docs[7].body_text = "Қостанай еріктілері дәрі жеткізді.".to_string();
        let (files, read) = kept_bundle(&mut back, &docs);
        assert_eq!((files, read), (fresh(&docs).unwrap(), 1));
        assert!(back.words_changed(), "new words were met");
        assert!(!back.dirty_buckets().is_empty() && back.dirty_buckets().len() <= 2);

        // A damaged bucket's documents are read again, and it is marked to be written.
        let mut back = kept(&back, Some(3));
        assert_eq!(back.dirty_buckets(), [3]);
        let (files, read) = kept_bundle(&mut back, &docs);
        assert_eq!(files, fresh(&docs).unwrap());
        assert!(read >= 1, "the damaged bucket's documents are read again");

        // A words file that does not hold together keeps nothing.
        assert!(TreePages::decode("kk", b"birge search words 1\n", Vec::new()).is_none());
        assert!(TreePages::decode("kk", b"", Vec::new()).is_none());
    }

    #[test]
    fn a_tree_without_documents_gets_an_empty_entry() {
        let docs: Vec<Document> = corpus().into_iter().filter(|d| d.lang != "ru").collect();
        let files = build_indexes(&docs, &languages(), "en").unwrap();
        let ru: Vec<&str> = files
            .iter()
            .map(|(p, _)| p.as_str())
            .filter(|p| p.starts_with("/ru/"))
            .collect();
        assert_eq!(
            ru,
            [
                "/ru/search/pagefind/pagefind-entry.json",
                "/ru/search/pagefind/pagefind-worker.js",
                "/ru/search/pagefind/pagefind.js",
            ]
        );
    }

    #[test]
    fn the_default_language_lives_at_the_root() {
        let docs: Vec<Document> = corpus().into_iter().filter(|d| d.lang == "kk").collect();
        let files = build_indexes(&docs, &["kk".to_string()], "kk").unwrap();
        assert!(
            files
                .iter()
                .all(|(p, _)| p.starts_with("/search/pagefind/"))
        );
        let one = build_index("kk", &docs.iter().collect::<Vec<_>>()).unwrap();
        assert_eq!(one.len(), files.len());
    }

    #[test]
    fn refusals() {
        let err = build_indexes(&corpus(), &["en".to_string()], "en").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/ru/news/2020/03/maski/ is in language `ru`, which the site does not have"
        );
        let twice = [doc("en", "a", "A", "a"), doc("en", "a", "B", "b")];
        let err = build_index("en", &twice.iter().collect::<Vec<_>>()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "two search documents have the URL /news/2020/03/a/"
        );
    }
}
