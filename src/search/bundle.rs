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

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::cbor;
use super::records::Record;

use super::cache::{Entry, NO_FORM, TokenCache, WordId};
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
    /// The gzip level (0 to 12) of the word chunks.
    pub gzip_level: u32,
    /// The gzip level of the fragments: most of a bundle's bytes, and a query downloads only
    /// the ten it shows.
    pub fragment_gzip_level: u32,
}

/// Level 1 for chunks and fragments: on the 10k corpus their files are 4% larger than at
/// level 6 (28.2 against 27.1 MB) for a third of the time. The metadata, which every query
/// loads and which is small, takes level 9.
impl Default for Layout {
    fn default() -> Layout {
        Layout {
            chunk_size: 20_000,
            gzip_level: 1,
            fragment_gzip_level: 1,
        }
    }
}

/// The gzip level of the metadata file.
const META_GZIP_LEVEL: u32 = 9;

/// The weight of a token of the text: Pagefind's 1.0.
const TOKEN_WEIGHT: u8 = 24;
/// The weight that a locations list starts from before its first marker.
const START_WEIGHT: u8 = 25;
/// Shards of the word map, merged in parallel.
const SHARDS: usize = 64;
/// The signature inside every gzipped file.
const SIGNATURE: &[u8] = b"pagefind_dcd";

/// The index files of `lang`'s bundle for `records` (sorted by URL, no URL twice).
pub fn bundle(lang: &str, records: &[Record], layout: Layout) -> Result<Vec<BundleFile>> {
    let tokens = TokenCache::new(lang);
    let fields = field_names(records.iter().map(|r| &r.meta));
    let pages: Vec<ReadPage> = records
        .par_iter()
        .map(|record| ReadPage::read(record, &tokens, &fields, layout))
        .collect::<Result<_>>()?;
    let pages: Vec<&ReadPage> = pages.iter().collect();
    Ok(assemble(lang, &pages, &tokens, &fields, layout)?
        .into_iter()
        .map(|file| (file.name, file.bytes.to_vec()))
        .collect())
}

/// The sorted names of the meta fields of all `metas`: what a page's meta positions number.
pub fn field_names<'a>(metas: impl Iterator<Item = &'a BTreeMap<String, String>>) -> Vec<String> {
    metas
        .flat_map(|meta| meta.keys().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// A file of an assembled bundle: its path relative to the bundle's folder, a key that
/// changes when its bytes do, and the bytes (shared: a fragment's stay with its read page).
pub struct AssembledFile {
    pub name: String,
    pub key: u64,
    pub bytes: Arc<Vec<u8>>,
}

impl AssembledFile {
    /// A file of `bytes`, keyed by their hash.
    pub fn new(name: String, bytes: Vec<u8>) -> AssembledFile {
        AssembledFile {
            key: crate::render::reads::hash_of(&bytes),
            name,
            bytes: Arc::new(bytes),
        }
    }
}

/// The index files of `lang`'s bundle whose pages, in page order (by URL), were read into
/// `pages` with `tokens` and `fields`.
pub fn assemble(
    lang: &str,
    pages: &[&ReadPage],
    tokens: &TokenCache,
    fields: &[String],
    layout: Layout,
) -> Result<Vec<AssembledFile>> {
    let mut assembly = Assembly::new();
    assembly.add(pages);
    assembly.finish(lang, tokens, fields, layout)
}

/// A bundle being assembled: its pages are added in page order, a batch at a time (a batch
/// may be dropped once added: the word map holds what it needs of it).
pub struct Assembly {
    shards: Vec<WordMap>,
    fragments: Vec<Fragment>,
}

impl Default for Assembly {
    fn default() -> Assembly {
        Assembly::new()
    }
}

impl Assembly {
    /// No pages yet.
    pub fn new() -> Assembly {
        Assembly {
            shards: (0..SHARDS).map(|_| WordMap::new()).collect(),
            fragments: Vec::new(),
        }
    }

    /// Adds the next `pages`, read with the tokens and fields that [`Assembly::finish`] gets.
    pub fn add(&mut self, pages: &[&ReadPage]) {
        let first = self.fragments.len();
        self.shards
            .par_iter_mut()
            .enumerate()
            .for_each(|(shard, map)| merge(map, pages, shard, first));
        self.fragments
            .extend(pages.iter().map(|page| page.fragment.clone()));
    }

    /// The bundle's files.
    pub fn finish(
        self,
        lang: &str,
        tokens: &TokenCache,
        fields: &[String],
        layout: Layout,
    ) -> Result<Vec<AssembledFile>> {
        let strings = tokens.strings();
        let count = self.shards.iter().flatten().filter(|p| p.is_some()).count();
        let mut words: Vec<(Arc<str>, Postings)> = Vec::with_capacity(count);
        for (shard, map) in self.shards.into_iter().enumerate() {
            words.extend(map.into_iter().enumerate().filter_map(|(slot, postings)| {
                Some((Arc::clone(strings.get(slot * SHARDS + shard)?), postings?))
            }));
        }
        words.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        encode_bundle(lang, words, &strings, self.fragments, fields, layout)
    }
}

/// The files of a bundle whose merged `words` (sorted), `fragments` (in page order) and
/// `fields` are known. Each chunk's postings are freed once the chunk is encoded.
fn encode_bundle(
    lang: &str,
    mut words: Vec<(Arc<str>, Postings)>,
    strings: &[Arc<str>],
    fragments: Vec<Fragment>,
    fields: &[String],
    layout: Layout,
) -> Result<Vec<AssembledFile>> {
    let mut files = Vec::new();
    let chunks = chunk(&words, layout.chunk_size);
    let encoded: Vec<(String, Vec<u8>)> = split_mut(&mut words, &chunks)
        .into_par_iter()
        .map(|words| {
            let raw = encode_chunk(words, strings);
            for (_, postings) in words.iter_mut() {
                *postings = Postings::default();
            }
            let gz = gzip(&raw, layout.gzip_level)?;
            Ok((hex_digest(&raw), gz))
        })
        .collect::<Result<_>>()?;
    let mut chunk_names = Names::default();
    let mut index_chunks = Vec::with_capacity(chunks.len());
    for ((digest, gz), range) in encoded.into_iter().zip(&chunks) {
        let name = chunk_names.name(lang, &digest);
        index_chunks.push((
            words[range.start].0.to_string(),
            words[range.end - 1].0.to_string(),
            name.clone(),
        ));
        files.push(AssembledFile::new(format!("index/{name}.pf_index"), gz));
    }
    trim_bounds(&mut index_chunks);

    let mut fragment_names = Names::default();
    let mut page_names = Vec::with_capacity(fragments.len());
    let page_count = fragments.len();
    for fragment in fragments {
        let name = fragment_names.name(lang, &fragment.digest);
        files.push(AssembledFile {
            name: format!("fragment/{name}.pf_fragment"),
            key: fragment.key,
            bytes: fragment.gzipped,
        });
        page_names.push((name, fragment.word_count));
    }

    let meta = encode_meta(&page_names, &index_chunks, fields);
    let meta_name = Names::default().name(lang, &hex_digest(&meta));
    files.push(AssembledFile::new(
        format!("pagefind.{meta_name}.pf_meta"),
        gzip(&meta, META_GZIP_LEVEL)?,
    ));
    files.push(AssembledFile::new(
        "pagefind-entry.json".to_string(),
        entry(Some((lang, &meta_name, page_count))),
    ));
    files.sort_by(|a, b| a.name.cmp(&b.name));
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

/// A record read for the index, apart from its place among the bundle's pages: what the
/// next bundle reuses when the record has not changed (kept with the same [`TokenCache`] and
/// field names).
pub struct ReadPage {
    /// The encoded `[locs, meta_locs]` items of the page's words' forms.
    bytes: Vec<u8>,
    /// The page's words, grouped by shard of the word map, as LEB128 numbers: per word its
    /// id, its size (for chunking) and its form count, then per form its id ([`NO_FORM`] for
    /// the word as it is), where its item starts in `bytes` and how long it is.
    words: Vec<u8>,
    /// Where each shard's words start in `words`, and where the last one's end.
    shard_starts: Box<[u32]>,
    /// The meta fields the page has, as bits over the field names it was read with.
    fields: u64,
    fragment: Fragment,
}

/// A page's fragment, gzipped, with the digest that names it, a key for the output stage
/// and the page's word count.
#[derive(Clone)]
struct Fragment {
    gzipped: Arc<Vec<u8>>,
    digest: String,
    key: u64,
    word_count: usize,
}

/// A word of a page, decoded from [`ReadPage::words`].
struct PageWord {
    key: WordId,
    size: usize,
    forms: usize,
}

impl ReadPage {
    /// Reads `record` with `tokens`, its meta fields numbered by their place in `fields`
    /// (which must hold every field of the record).
    pub fn read(
        record: &Record,
        tokens: &TokenCache,
        fields: &[String],
        layout: Layout,
    ) -> Result<ReadPage> {
        let mut local = tokens.local();
        let mut hits: Vec<Hit> = Vec::with_capacity(record.content.len() / 4);
        let mut token_count = 0;
        for (position, token) in record
            .content
            .split(' ')
            .filter(|t| !t.is_empty())
            .enumerate()
        {
            token_count += 1;
            let words = local.text_words(token);
            let parts = words.iter().filter(|w| w.part).count();
            let part_weight =
                u8::try_from(parts).map_or(1, |parts| (TOKEN_WEIGHT / parts.max(1)).max(1));
            for word in words {
                let weight = if word.part { part_weight } else { TOKEN_WEIGHT };
                hits.push(hit(*word, false, weight.into(), position as u32));
            }
        }
        let mut field_bits = 0u64;
        for (name, value) in &record.meta {
            let field = fields.iter().position(|f| f == name).unwrap_or(0);
            field_bits |= 1 << field.min(63);
            for (position, token) in value.split_whitespace().enumerate() {
                for word in local.meta_words(token) {
                    hits.push(hit(*word, true, field as u16, position as u32));
                }
            }
        }
        drop(local);
        hits.sort_unstable();
        let (bytes, words, shard_starts) = encode_words(&hits);

        let word_count = token_count.max(1);
        let shown = record
            .fragment_tokens
            .unwrap_or(token_count)
            .min(token_count);
        // The content is its tokens joined by single spaces already (see `Record::content`).
        let content = if shown == token_count {
            Cow::Borrowed(record.content.as_str())
        } else {
            let mut tokens = record.content.split(' ').filter(|t| !t.is_empty());
            Cow::Owned(tokens.by_ref().take(shown).collect::<Vec<_>>().join(" "))
        };
        let json = fragment_json(record, &content, word_count)
            .with_context(|| format!("encoding the search fragment of {}", record.url))?;
        let digest = hex_digest(&json);
        let fragment = Fragment {
            gzipped: Arc::new(gzip(&json, layout.fragment_gzip_level)?),
            key: u64::from_str_radix(&digest[..16], 16).unwrap_or(0),
            digest,
            word_count,
        };
        Ok(ReadPage {
            bytes,
            words,
            shard_starts,
            fields: field_bits,
            fragment,
        })
    }

    /// The names of the meta fields this page has, of the `fields` it was read with.
    pub fn field_names<'a>(&self, fields: &'a [String]) -> impl Iterator<Item = &'a String> {
        let bits = self.fields;
        fields
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i < 64 && bits & (1 << i) != 0)
            .map(|(_, name)| name)
    }

    /// Calls `each` with every word that shard `shard` of the word map files, and each of its
    /// forms' ids and items.
    fn shard_words<'p>(
        &'p self,
        shard: usize,
        mut each: impl FnMut(PageWord, &mut dyn FnMut() -> (WordId, &'p [u8])),
    ) {
        let words = &self.words;
        let to = self.shard_starts[shard + 1] as usize;
        let mut at = self.shard_starts[shard] as usize;
        while at < to {
            let word = PageWord {
                key: leb::read(words, &mut at) as WordId,
                size: leb::read(words, &mut at) as usize,
                forms: leb::read(words, &mut at) as usize,
            };
            let mut next_form = || {
                let form = leb::read(words, &mut at) as WordId;
                let start = leb::read(words, &mut at) as usize;
                let len = leb::read(words, &mut at) as usize;
                (form, self.bytes.get(start..start + len).unwrap_or_default())
            };
            each(word, &mut next_form);
        }
    }
}

/// How a [`ReadPage`] is kept between builds: its parts one after the other, each number as
/// LEB128 and each run of bytes after its length.
impl ReadPage {
    /// Appends the page to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let number = |out: &mut Vec<u8>, n: u64| leb::write(out, n);
        let run = |out: &mut Vec<u8>, bytes: &[u8]| {
            leb::write(out, bytes.len() as u64);
            out.extend_from_slice(bytes);
        };
        run(out, &self.bytes);
        run(out, &self.words);
        for &start in &self.shard_starts[..] {
            number(out, u64::from(start));
        }
        number(out, self.fields);
        run(out, &self.fragment.gzipped);
        run(out, self.fragment.digest.as_bytes());
        number(out, self.fragment.word_count as u64);
    }

    /// The page that [`ReadPage::encode`] wrote at `at` in `bytes`, moving `at` past it; `None`
    /// when it is cut short or does not hold together, or names an id of `ids` or more.
    pub fn decode(bytes: &[u8], at: &mut usize, ids: usize) -> Option<ReadPage> {
        fn run<'b>(bytes: &'b [u8], at: &mut usize) -> Option<&'b [u8]> {
            let len = usize::try_from(leb::checked(bytes, at)?).ok()?;
            let run = bytes.get(*at..at.checked_add(len)?)?;
            *at += len;
            Some(run)
        }
        let page_bytes = run(bytes, at)?.to_vec();
        let words = run(bytes, at)?.to_vec();
        let shard_starts: Box<[u32]> = (0..=SHARDS)
            .map(|_| u32::try_from(leb::checked(bytes, at)?).ok())
            .collect::<Option<_>>()?;
        let fields = leb::checked(bytes, at)?;
        let gzipped = run(bytes, at)?.to_vec();
        let digest = String::from_utf8(run(bytes, at)?.to_vec()).ok()?;
        let word_count = usize::try_from(leb::checked(bytes, at)?).ok()?;
        if digest.len() < 16 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let page = ReadPage {
            bytes: page_bytes,
            words,
            shard_starts,
            fields,
            fragment: Fragment {
                gzipped: Arc::new(gzipped),
                key: u64::from_str_radix(&digest[..16], 16).ok()?,
                digest,
                word_count,
            },
        };
        page.holds_together(ids).then_some(page)
    }

    /// Whether the shards' words lie within `words` in order, their items within `bytes`,
    /// and their ids below `ids`.
    fn holds_together(&self, ids: usize) -> bool {
        let starts = &self.shard_starts;
        if starts.windows(2).any(|w| w[0] > w[1]) || starts[SHARDS] as usize != self.words.len() {
            return false;
        }
        let (words, ids, items) = (&self.words, ids as u64, self.bytes.len() as u64);
        let word = |at: &mut usize| -> Option<()> {
            let key = leb::checked(words, at)?;
            let _size = leb::checked(words, at)?;
            let forms = leb::checked(words, at)?;
            (key < ids).then_some(())?;
            for _ in 0..forms {
                let form = leb::checked(words, at)?;
                let start = leb::checked(words, at)?;
                let len = leb::checked(words, at)?;
                (form < ids && start.checked_add(len)? <= items).then_some(())?;
            }
            Some(())
        };
        let mut at = 0;
        while at < words.len() {
            if word(&mut at).is_none() {
                return false;
            }
        }
        true
    }
}

/// LEB128: unsigned numbers in 7-bit groups, low first, the high bit set on all but the last.
mod leb {
    pub fn write(out: &mut Vec<u8>, mut value: u64) {
        while value >= 0x80 {
            out.push(value as u8 | 0x80);
            value >>= 7;
        }
        out.push(value as u8);
    }

    /// The number at `at` in `bytes`, moving `at` past it; `None` when it is cut short or too
    /// long for 64 bits.
    pub fn checked(bytes: &[u8], at: &mut usize) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *bytes.get(*at)?;
            *at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// The number at `at` in `bytes`, moving `at` past it; 0 past the end.
    pub fn read(bytes: &[u8], at: &mut usize) -> u64 {
        let mut value = 0u64;
        let mut shift = 0;
        while let Some(&byte) = bytes.get(*at) {
            *at += 1;
            if shift < 64 {
                value |= u64::from(byte & 0x7f) << shift;
            }
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        value
    }
}

/// A word's pages so far: CBOR items appended as pages arrive, counted, and the last page
/// number (pages are stored as differences).
#[derive(Default)]
struct Postings {
    size: usize,
    plain: List,
    variants: Vec<(WordId, List)>,
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

/// One occurrence of a word on a page, packed so that sorting the integers groups a page's
/// occurrences by word and form, then text before meta, then by weight (text) or field
/// (meta), then by position: the order the locations lists are written in.
///
/// Bits, high to low: word 32, form 32, meta 1, weight or field 16, position 32.
type Hit = u128;

fn hit(entry: Entry, meta: bool, weight_or_field: u16, position: u32) -> Hit {
    (u128::from(entry.key) << 81)
        | (u128::from(entry.form) << 49)
        | (u128::from(meta) << 48)
        | (u128::from(weight_or_field) << 32)
        | u128::from(position)
}

/// The parts of a packed [`Hit`]: word, form, meta, weight or field, position.
fn unpack(hit: Hit) -> (WordId, WordId, bool, u16, u32) {
    (
        (hit >> 81) as WordId,
        (hit >> 49) as WordId,
        (hit >> 48) & 1 == 1,
        (hit >> 32) as u16,
        hit as u32,
    )
}

/// A page's sorted hits as its words: each form's `[locs, meta_locs]` encoded into one buffer,
/// the words (see [`ReadPage::words`]) ordered by shard, and where each shard starts.
fn encode_words(hits: &[Hit]) -> (Vec<u8>, Vec<u8>, Box<[u32]>) {
    struct Word {
        key: WordId,
        size: usize,
        forms: Vec<(WordId, u32, u32)>,
    }
    let mut bytes = Vec::with_capacity(hits.len() * 2);
    let mut words: Vec<Word> = Vec::new();
    for form in hits.chunk_by(|a, b| (a >> 49) == (b >> 49)) {
        let (key, form_id, ..) = unpack(form[0]);
        let start = bytes.len() as u32;
        let size = encode_occurrences(form, &mut bytes);
        let len = bytes.len() as u32 - start;
        if words.last().is_none_or(|w| w.key != key) {
            words.push(Word {
                key,
                size: 0,
                forms: Vec::new(),
            });
        }
        let Some(word) = words.last_mut() else {
            continue;
        };
        word.size += size + usize::from(form_id != NO_FORM);
        word.forms.push((form_id, start, len));
    }
    let mut by_shard: Vec<Vec<&Word>> = (0..SHARDS).map(|_| Vec::new()).collect();
    for word in &words {
        by_shard[shard(word.key)].push(word);
    }
    let mut encoded = Vec::with_capacity(words.len() * 6);
    let mut shard_starts = Vec::with_capacity(SHARDS + 1);
    for shard_words in by_shard {
        shard_starts.push(encoded.len() as u32);
        for word in shard_words {
            leb::write(&mut encoded, u64::from(word.key));
            leb::write(&mut encoded, word.size as u64);
            leb::write(&mut encoded, word.forms.len() as u64);
            for &(form, start, len) in &word.forms {
                leb::write(&mut encoded, u64::from(form));
                leb::write(&mut encoded, u64::from(start));
                leb::write(&mut encoded, u64::from(len));
            }
        }
    }
    shard_starts.push(encoded.len() as u32);
    (bytes, encoded, shard_starts.into_boxed_slice())
}

/// The shard of the word map that holds word `key`.
fn shard(key: WordId) -> usize {
    key as usize % SHARDS
}

/// One shard of the word map: its words' pages so far, by word id divided by [`SHARDS`]
/// (ids are dense, so a vector does).
type WordMap = Vec<Option<Postings>>;

/// Appends the `[locs, meta_locs]` of one form's hits on a page (sorted: text by weight and
/// position, then meta by field and position); gives its size for chunking.
fn encode_occurrences(hits: &[Hit], out: &mut Vec<u8>) -> usize {
    let split = hits.partition_point(|&h| !unpack(h).2);
    let (text, meta) = hits.split_at(split);
    let mut locs = Vec::with_capacity(text.len() + 2);
    let (mut weight, mut last) = (START_WEIGHT, 0);
    for &h in text {
        let (_, _, _, w, p) = unpack(h);
        let w = w as u8;
        if w == weight {
            locs.push((p - last) as i32);
        } else {
            locs.push(-i32::from(w) - 1);
            locs.push(p as i32);
            weight = w;
        }
        last = p;
    }
    let mut meta_locs = Vec::with_capacity(meta.len() + 2);
    let (mut field, mut last) = (None, 0);
    for &h in meta {
        let (_, _, _, f, p) = unpack(h);
        if field != Some(f) {
            meta_locs.push(-i32::from(f) - 1);
            field = Some(f);
            last = 0;
        }
        meta_locs.push((p - last) as i32);
        last = p;
    }
    cbor::ints(out, &locs);
    cbor::ints(out, &meta_locs);
    locs.len() + meta_locs.len() + 1
}

/// Merges shard `shard`'s words of `pages` (in page order, numbered from `first`) into that
/// shard of the word map.
fn merge(map: &mut WordMap, pages: &[&ReadPage], shard: usize, first: usize) {
    for (number, page) in (first..).zip(pages) {
        page.shard_words(shard, |word, next_form| {
            let slot = word.key as usize / SHARDS;
            if slot >= map.len() {
                map.resize_with(slot + 1, || None);
            }
            let postings = map[slot].get_or_insert_with(Postings::default);
            postings.size += word.size;
            for _ in 0..word.forms {
                let (form, item) = next_form();
                if form == NO_FORM {
                    postings.plain.push(number, item);
                    continue;
                }
                match postings.variants.iter_mut().find(|(f, _)| *f == form) {
                    Some((_, list)) => list.push(number, item),
                    None => {
                        let mut list = List::default();
                        list.push(number, item);
                        postings.variants.push((form, list));
                    }
                }
            }
        });
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

/// `items` cut at the consecutive `ranges` that cover it.
fn split_mut<'a, T>(mut items: &'a mut [T], ranges: &[std::ops::Range<usize>]) -> Vec<&'a mut [T]> {
    let mut parts = Vec::with_capacity(ranges.len());
    for range in ranges {
        let (part, rest) = std::mem::take(&mut items).split_at_mut(range.len());
        parts.push(part);
        items = rest;
    }
    parts
}

/// One `.pf_index` chunk: `[[word, [pages], [variants]], ...]` in a one-field record; a
/// word's variants (its forms with diacritics) in the order of their text.
fn encode_chunk(words: &[(Arc<str>, Postings)], strings: &[Arc<str>]) -> Vec<u8> {
    let mut out = Vec::new();
    cbor::array(&mut out, 1);
    cbor::array(&mut out, words.len());
    for (key, postings) in words {
        cbor::array(&mut out, 3);
        cbor::text(&mut out, key);
        postings.plain.write(&mut out);
        let mut variants: Vec<(&str, &List)> = postings
            .variants
            .iter()
            .map(|(form, list)| (&*strings[*form as usize], list))
            .collect();
        variants.sort_unstable_by(|a, b| a.0.cmp(b.0));
        cbor::array(&mut out, variants.len());
        for (form, list) in variants {
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

/// The SHA-256 of `bytes` in lowercase hex: what names a file of the bundle.
fn hex_digest(bytes: &[u8]) -> String {
    use std::fmt::Write;
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// Hash names, each the shortest that is unique among the names given so far.
#[derive(Default)]
struct Names(BTreeSet<String>);

impl Names {
    /// `<lang>_<hex>`: the first 7 or more digits of `hex`, a [`hex_digest`].
    fn name(&mut self, lang: &str, hex: &str) -> String {
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
