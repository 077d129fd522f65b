//! Pagefind's bundle format, written by birge: one language's records into the files that
//! Pagefind's browser runtime (1.6) loads.
//!
//! Takes the [`Record`]s of one language, sorted by URL (a record's page number is its place),
//! gives the bundle's index files, paths relative to the bundle's folder:
//! - `pagefind-entry.json`: the version, and per language the metadata file's name, the
//!   WebAssembly to load (`wasm`: `en`, `ru`, or null for the core without a stemmer) and the
//!   page count; plus the characters that count as letters;
//! - `pagefind.<hash>.pf_meta`: per page its fragment's name and word count; the word chunks,
//!   each with the first and last words it may hold (cut to the shortest prefixes that still
//!   tell neighbours apart); the meta field names;
//! - `index/<hash>.pf_index`: the words in byte order, each with its pages (page numbers as
//!   differences from the previous one) and per page the word's positions in the text and in
//!   the meta fields, plus the same for each form it had with diacritics;
//! - `fragment/<hash>.pf_fragment`: per page the JSON a result shows (URL, text, meta); the
//!   text is the record's first [`Record::fragment_tokens`] tokens, the word count all of them.
//!
//! The `.pf_*` files are CBOR (`search::cbor`) or JSON after the 12 bytes `pagefind_dcd`,
//! gzipped. Names are hashes of the content (SHA-256, hex, as short as stays unique), so an
//! unchanged file keeps its name and a browser's cache stays right. Pages are read in
//! parallel, words are merged in shards in parallel and chunks and fragments are encoded and
//! gzipped in parallel; the same records give the same bytes.
//!
//! Positions: a page's locations list starts with `-(weight + 1)` and an absolute position,
//! then differences; a weight change repeats that. A token weighs 24 (Pagefind's 1.0), a
//! compound's part 24 divided by the number of parts. Meta locations are
//! `-(field + 1)` followed by positions as differences, per field in order.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::cbor;
use super::records::Record;
use rustc_hash::FxBuildHasher;

use super::cache::{Shared, TokenCache};
use super::words::{INCLUDE_CHARACTERS, Stemmer};

/// The runtime version the files are written for; the entry file names it and the runtime
/// warns when its own differs.
pub const VERSION: &str = "1.6.0";

/// A file of a bundle: its path relative to the bundle's folder, and its bytes.
pub type BundleFile = (String, Vec<u8>);

/// How the bundle is cut and compressed.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// A word chunk closes once its words hold this many positions and pages; a query loads
    /// the chunks its words fall in, so smaller chunks mean less to download per query and a
    /// longer list of chunks in the metadata.
    pub chunk_size: usize,
    /// The gzip level (0 to 9) of the metadata and the word chunks.
    pub gzip_level: u32,
    /// The gzip level of the fragments: most of a bundle's bytes, and a query downloads only
    /// the ten it shows.
    pub fragment_gzip_level: u32,
}

impl Default for Layout {
    fn default() -> Layout {
        Layout {
            chunk_size: 20_000,
            gzip_level: 6,
            fragment_gzip_level: 6,
        }
    }
}

/// The weight of a token of the text: Pagefind's 1.0.
const TOKEN_WEIGHT: u8 = 24;
/// The weight that a locations list starts from before its first marker.
const START_WEIGHT: u8 = 25;
/// How many pages are read before their words are merged: bounds the memory of the pages'
/// word lists.
const PAGES_PER_BATCH: usize = 2048;
/// Shards of the word map, merged in parallel.
const SHARDS: usize = 64;
/// The signature inside every gzipped file.
const SIGNATURE: &[u8] = b"pagefind_dcd";

/// The index files of `lang`'s bundle for `records` (sorted by URL, no URL twice).
pub fn bundle(lang: &str, records: &[Record], layout: Layout) -> Result<Vec<BundleFile>> {
    let cache = TokenCache::new(lang);
    let fields: Vec<String> = records
        .iter()
        .flat_map(|r| r.meta.keys().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut shards: Vec<WordMap> = (0..SHARDS).map(|_| WordMap::default()).collect();
    let mut fragments = Vec::with_capacity(records.len());
    for (batch_no, batch) in records.chunks(PAGES_PER_BATCH).enumerate() {
        let first = batch_no * PAGES_PER_BATCH;
        let pages: Vec<Page> = batch
            .par_iter()
            .enumerate()
            .map(|(i, record)| read_page(first + i, record, &cache, &fields))
            .collect::<Result<_>>()?;
        let mut by_shard: Vec<Vec<ShardPage>> = (0..SHARDS).map(|_| Vec::new()).collect();
        for page in pages {
            fragments.push((page.fragment, page.word_count));
            for (shard, words) in page.words.into_iter().enumerate() {
                by_shard[shard].push((page.number, words));
            }
        }
        shards
            .par_iter_mut()
            .zip(by_shard)
            .for_each(|(map, pages)| merge(map, pages));
    }
    let mut words: Vec<(Arc<str>, Postings)> =
        shards.into_iter().flat_map(HashMap::into_values).collect();
    words.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));

    let mut files = Vec::new();
    let chunks = chunk(&words, layout.chunk_size);
    let encoded: Vec<(Vec<u8>, Vec<u8>)> = chunks
        .par_iter()
        .map(|range| {
            let raw = encode_chunk(&words[range.clone()]);
            let gz = gzip(&raw, layout.gzip_level)?;
            Ok((raw, gz))
        })
        .collect::<Result<_>>()?;
    let mut chunk_names = Names::default();
    let mut index_chunks = Vec::with_capacity(chunks.len());
    for ((raw, gz), range) in encoded.into_iter().zip(&chunks) {
        let name = chunk_names.name(lang, &raw);
        index_chunks.push((
            words[range.start].0.to_string(),
            words[range.end - 1].0.to_string(),
            name.clone(),
        ));
        files.push((format!("index/{name}.pf_index"), gz));
    }
    trim_bounds(&mut index_chunks);

    let gzipped: Vec<Vec<u8>> = fragments
        .par_iter()
        .map(|(json, _)| gzip(json, layout.fragment_gzip_level))
        .collect::<Result<_>>()?;
    let mut fragment_names = Names::default();
    let mut pages = Vec::with_capacity(fragments.len());
    for (gz, (json, word_count)) in gzipped.into_iter().zip(&fragments) {
        let name = fragment_names.name(lang, json);
        files.push((format!("fragment/{name}.pf_fragment"), gz));
        pages.push((name, *word_count));
    }

    let meta = encode_meta(&pages, &index_chunks, &fields);
    let meta_name = Names::default().name(lang, &meta);
    files.push((
        format!("pagefind.{meta_name}.pf_meta"),
        gzip(&meta, layout.gzip_level)?,
    ));
    files.push((
        "pagefind-entry.json".to_string(),
        entry(Some((lang, &meta_name, records.len()))),
    ));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// The entry file of a bundle: its one language (`lang`, the metadata file's name, the page
/// count), or no language at all for a tree without pages.
pub fn entry(language: Option<(&str, &str, usize)>) -> Vec<u8> {
    #[derive(Serialize)]
    struct Language<'a> {
        hash: &'a str,
        wasm: Option<&'a str>,
        page_count: usize,
    }
    #[derive(Serialize)]
    struct Entry<'a> {
        version: &'a str,
        languages: BTreeMap<&'a str, Language<'a>>,
        include_characters: &'a [char],
    }
    let languages = language
        .into_iter()
        .map(|(lang, hash, page_count)| {
            let wasm = Stemmer::wasm(lang);
            (
                lang,
                Language {
                    hash,
                    wasm,
                    page_count,
                },
            )
        })
        .collect();
    let entry = Entry {
        version: VERSION,
        languages,
        include_characters: &INCLUDE_CHARACTERS,
    };
    serde_json::to_vec(&entry).unwrap_or_default()
}

/// One page, read: its words by shard, its fragment's JSON and its word count.
struct Page {
    number: usize,
    words: Vec<Vec<(Arc<str>, PageWord)>>,
    fragment: Vec<u8>,
    word_count: usize,
}

/// Where a word occurs on one page: the positions of its plain form and of each form it had
/// with diacritics, in the text (weight, position) and in the meta fields (field, position).
#[derive(Default)]
struct Occurrences {
    text: Vec<(u8, u32)>,
    meta: Vec<(u16, u32)>,
}

/// A word's entry for one page, encoded but for the page number: the plain form's
/// `[locs, meta_locs]` and each variant's, and their count of positions.
struct PageWord {
    size: usize,
    plain: Option<Vec<u8>>,
    variants: Vec<(Arc<str>, Vec<u8>)>,
}

/// A page's words of one shard, with the page's number.
type ShardPage = (usize, Vec<(Arc<str>, PageWord)>);

/// A word's pages so far: CBOR items appended as pages arrive, counted, and the last page
/// number (pages are stored as differences).
#[derive(Default)]
struct Postings {
    size: usize,
    plain: List,
    variants: Vec<(Arc<str>, List)>,
}

#[derive(Default)]
struct List {
    count: usize,
    last_page: usize,
    bytes: Vec<u8>,
}

impl List {
    fn push(&mut self, page: usize, item: &[u8]) {
        cbor::array(&mut self.bytes, 3);
        cbor::uint(&mut self.bytes, (page - self.last_page) as u64);
        self.bytes.extend_from_slice(item);
        self.last_page = page;
        self.count += 1;
    }

    fn write(&self, out: &mut Vec<u8>) {
        cbor::array(out, self.count);
        out.extend_from_slice(&self.bytes);
    }
}

/// Reads record `record`, page `number`: its words and positions, and its fragment.
fn read_page(
    number: usize,
    record: &Record,
    cache: &TokenCache,
    fields: &[String],
) -> Result<Page> {
    type Found = HashMap<(usize, usize), (Shared, Occurrences), FxBuildHasher>;
    fn at<'a>(found: &'a mut Found, word: &Shared) -> &'a mut Occurrences {
        &mut found
            .entry(word.id())
            .or_insert_with(|| (word.clone(), Occurrences::default()))
            .1
    }
    let mut found = Found::default();
    let mut tokens = Vec::new();
    for (position, token) in record.content.split_whitespace().enumerate() {
        tokens.push(token);
        let words = cache.text_words(token);
        let parts = words.iter().filter(|w| w.part).count();
        let part_weight =
            u8::try_from(parts).map_or(1, |parts| (TOKEN_WEIGHT / parts.max(1)).max(1));
        for word in words.iter() {
            let weight = if word.part { part_weight } else { TOKEN_WEIGHT };
            at(&mut found, word).text.push((weight, position as u32));
        }
    }
    for (name, value) in &record.meta {
        let field = fields.iter().position(|f| f == name).unwrap_or(0) as u16;
        for (position, token) in value.split_whitespace().enumerate() {
            for word in cache.meta_words(token).iter() {
                at(&mut found, word).meta.push((field, position as u32));
            }
        }
    }

    // Grouped by word (in any order: the merge files them by address), the plain form first,
    // then the forms with diacritics in order.
    let mut found: Vec<(Shared, Occurrences)> = found.into_values().collect();
    found.sort_unstable_by(|a, b| {
        (address(&a.0.key), &a.0.original).cmp(&(address(&b.0.key), &b.0.original))
    });
    let mut words: Vec<Vec<(Arc<str>, PageWord)>> = (0..SHARDS).map(|_| Vec::new()).collect();
    let mut current: Option<(Arc<str>, PageWord)> = None;
    for (Shared { key, original, .. }, occurrences) in found {
        if current.as_ref().is_none_or(|(k, _)| *k != key) {
            if let Some((k, word)) = current.take() {
                words[shard(&k)].push((k, word));
            }
            let word = PageWord {
                size: 0,
                plain: None,
                variants: Vec::new(),
            };
            current = Some((key, word));
        }
        let Some((_, word)) = current.as_mut() else {
            continue;
        };
        let (item, size) = encode_occurrences(occurrences);
        word.size += size;
        match original {
            None => word.plain = Some(item),
            Some(form) => {
                word.size += 1;
                word.variants.push((form, item));
            }
        }
    }
    if let Some((k, word)) = current {
        words[shard(&k)].push((k, word));
    }

    let word_count = tokens.len().max(1);
    let shown = record
        .fragment_tokens
        .unwrap_or(tokens.len())
        .min(tokens.len());
    let content = tokens[..shown].join(" ");
    let fragment = fragment_json(record, &content, word_count)
        .with_context(|| format!("encoding the search fragment of {}", record.url))?;
    Ok(Page {
        number,
        words,
        fragment,
        word_count,
    })
}

/// The shard of the word map that holds interned word `key`.
fn shard(key: &Arc<str>) -> usize {
    address(key) % SHARDS
}

/// The address of an interned string: its identity within one [`TokenCache`].
fn address(key: &Arc<str>) -> usize {
    Arc::as_ptr(key).cast::<u8>() as usize
}

/// One shard of the word map: interned words by address, with their pages so far.
type WordMap = HashMap<usize, (Arc<str>, Postings), FxBuildHasher>;

/// The `[locs, meta_locs]` of one page's occurrences of one form, and its size for chunking.
fn encode_occurrences(mut o: Occurrences) -> (Vec<u8>, usize) {
    // Common weights first, then by position, so that most lists are one marker and small
    // differences.
    o.text
        .sort_by_key(|&(w, p)| (if w == START_WEIGHT { 0 } else { w }, p));
    let mut locs = Vec::with_capacity(o.text.len() + 2);
    let (mut weight, mut last) = (START_WEIGHT, 0);
    for (w, p) in o.text {
        if w == weight {
            locs.push((p - last) as i32);
        } else {
            locs.push(-i32::from(w) - 1);
            locs.push(p as i32);
            weight = w;
        }
        last = p;
    }
    o.meta.sort_unstable();
    let mut meta = Vec::with_capacity(o.meta.len() + 2);
    let (mut field, mut last) = (None, 0);
    for (f, p) in o.meta {
        if field != Some(f) {
            meta.push(-i32::from(f) - 1);
            field = Some(f);
            last = 0;
        }
        meta.push((p - last) as i32);
        last = p;
    }
    let mut out = Vec::with_capacity(locs.len() + meta.len() + 4);
    cbor::ints(&mut out, &locs);
    cbor::ints(&mut out, &meta);
    (out, locs.len() + meta.len() + 1)
}

/// Merges the words of pages (in page order) into a shard of the word map.
fn merge(map: &mut WordMap, pages: Vec<ShardPage>) {
    for (number, words) in pages {
        for (key, word) in words {
            let (_, postings) = map
                .entry(address(&key))
                .or_insert_with(|| (key, Postings::default()));
            postings.size += word.size;
            if let Some(item) = &word.plain {
                postings.plain.push(number, item);
            }
            for (form, item) in word.variants {
                match postings
                    .variants
                    .iter_mut()
                    .find(|(f, _)| Arc::ptr_eq(f, &form))
                {
                    Some((_, list)) => list.push(number, &item),
                    None => {
                        let mut list = List::default();
                        list.push(number, &item);
                        postings.variants.push((form, list));
                    }
                }
            }
        }
    }
}

/// The word chunks: ranges of `words` that close once they reach `size`.
fn chunk(words: &[(Arc<str>, Postings)], size: usize) -> Vec<std::ops::Range<usize>> {
    let mut chunks = Vec::new();
    let (mut start, mut filled) = (0, 0);
    for (i, (_, postings)) in words.iter().enumerate() {
        filled += postings.size;
        if filled >= size {
            chunks.push(start..i + 1);
            start = i + 1;
            filled = 0;
        }
    }
    if start < words.len() {
        chunks.push(start..words.len());
    }
    chunks
}

/// One `.pf_index` chunk: `[[word, [pages], [variants]], ...]` in a one-field record.
fn encode_chunk(words: &[(Arc<str>, Postings)]) -> Vec<u8> {
    let mut out = Vec::new();
    cbor::array(&mut out, 1);
    cbor::array(&mut out, words.len());
    for (key, postings) in words {
        cbor::array(&mut out, 3);
        cbor::text(&mut out, key);
        postings.plain.write(&mut out);
        cbor::array(&mut out, postings.variants.len());
        for (form, list) in &postings.variants {
            cbor::array(&mut out, 2);
            cbor::text(&mut out, form);
            list.write(&mut out);
        }
    }
    out
}

/// Cuts each chunk's bounds to the shortest prefixes that still tell it from its neighbour:
/// the runtime loads a chunk when a query word sorts between (or starts) its bounds.
fn trim_bounds(chunks: &mut [(String, String, String)]) {
    for i in 1..chunks.len() {
        let (before, after) = chunks.split_at_mut(i);
        let (previous, next) = (&mut before[i - 1], &mut after[0]);
        let common = previous
            .1
            .chars()
            .zip(next.0.chars())
            .take_while(|(a, b)| a == b)
            .count();
        let to: String = previous.1.chars().take(common + 1).collect();
        if to >= previous.0 {
            previous.1 = to;
        }
        next.0 = next.0.chars().take(common + 1).collect();
    }
}

/// The `.pf_meta` record: version, pages, chunks, filters (none), sorts (none), meta fields.
fn encode_meta(
    pages: &[(String, usize)],
    chunks: &[(String, String, String)],
    fields: &[String],
) -> Vec<u8> {
    let mut out = Vec::new();
    cbor::array(&mut out, 6);
    cbor::text(&mut out, VERSION);
    cbor::array(&mut out, pages.len());
    for (name, word_count) in pages {
        cbor::array(&mut out, 3);
        cbor::text(&mut out, name);
        cbor::uint(&mut out, *word_count as u64);
        cbor::text(&mut out, "");
    }
    cbor::array(&mut out, chunks.len());
    for (from, to, name) in chunks {
        cbor::array(&mut out, 3);
        cbor::text(&mut out, from);
        cbor::text(&mut out, to);
        cbor::text(&mut out, name);
    }
    cbor::array(&mut out, 0);
    cbor::array(&mut out, 0);
    cbor::array(&mut out, fields.len());
    for field in fields {
        cbor::text(&mut out, field);
    }
    out
}

/// A page's fragment: what a result shows.
fn fragment_json(record: &Record, content: &str, word_count: usize) -> Result<Vec<u8>> {
    #[derive(Serialize)]
    struct Fragment<'a> {
        url: &'a str,
        content: &'a str,
        word_count: usize,
        filters: BTreeMap<(), ()>,
        meta: &'a BTreeMap<String, String>,
        anchors: [(); 0],
    }
    Ok(serde_json::to_vec(&Fragment {
        url: &record.url,
        content,
        word_count,
        filters: BTreeMap::new(),
        meta: &record.meta,
        anchors: [],
    })?)
}

/// `bytes` after the signature, gzipped.
fn gzip(bytes: &[u8], level: u32) -> Result<Vec<u8>> {
    super::gzip::gzip(&[SIGNATURE, bytes], level)
}

/// Hash names, each the shortest that is unique among the names given so far.
#[derive(Default)]
struct Names(BTreeSet<String>);

impl Names {
    /// `<lang>_<hex>`: the first 7 or more hex digits of `bytes`'s SHA-256.
    fn name(&mut self, lang: &str, bytes: &[u8]) -> String {
        let hex: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut len = 7;
        loop {
            let name = format!("{lang}_{}", &hex[..len]);
            if len == hex.len() || !self.0.contains(&name) {
                self.0.insert(name.clone());
                return name;
            }
            len += 1;
        }
    }
}
