//! The build cache, `.birge-cache/` at the site root: what the pipeline's update run needs
//! from one `birge build` to the next.
//!
//! Takes a [`Pipeline`](super::Pipeline)'s state, gives the files of the cache; and back. The
//! state (`state.bin`) holds a header naming the birge version and a fingerprint of
//! everything a full run reads besides content (settings, regions, polls, theme, poll
//! results, build options), the stamp of every file under `content/`, the loaded articles
//! (without their Markdown, which is read again from its unchanged file when needed) and
//! pages, what each article's body gave, and for every output file its key and the reads
//! its rendering made. Rendered bodies live in pack files (`pack-N.bin`), each body read
//! only when a job needs it. A state from another version or fingerprint, or one that
//! cannot be read, is set aside by the caller: a cache is never trusted blindly.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::BuildOptions;
use super::pipeline::{BodyMeta, Recorded};
use crate::content::{Article, LeftOut, Page};
use crate::markdown::Rendered;
use crate::render::Read;

/// The cache's folder under the site root.
pub const CACHE_DIR: &str = ".birge-cache";
const STATE_FILE: &str = "state.bin";
/// Bumped whenever what the state holds changes shape.
const FORMAT: u32 = 4;

/// Which birge wrote a cache: its version and a hash of the sources it was built from (see
/// `build.rs`), so that a cache is only ever decoded by the build of birge that wrote it.
const BIRGE_BUILD: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("BIRGE_SOURCE_ID"));

/// Where one body is kept: a pack file and a byte range of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    pack: u32,
    offset: u64,
    len: u32,
}

/// A file's size and modification time: changed when either is. A file modified too close to
/// its stamping to trust its time (saved again within the clock's granularity, it could keep
/// both) is stamped by a hash of its bytes instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    len: u64,
    modified: i128,
    hash: Option<u64>,
}

impl Stamp {
    /// Whether the file at `path`, stamped `now`, is the file this stamp was taken of.
    fn still_fits(&self, now: &Stamp, path: &Path) -> bool {
        match self.hash {
            Some(hash) => self.len == now.len && hash_file(path) == Some(hash),
            None => self == now,
        }
    }
}

fn hash_file(path: &Path) -> Option<u64> {
    std::fs::read(path).ok().map(|bytes| {
        let mut h = DefaultHasher::new();
        bytes.hash(&mut h);
        h.finish()
    })
}

/// What the cache says about the site's files and the build that used them; it leads the
/// state file and every delta file.
#[derive(Serialize, Deserialize)]
pub(super) struct Header {
    format: u32,
    version: String,
    pub(super) fingerprint: u64,
    /// Which state this is, or which state a delta applies to: a delta of another state (one
    /// left by a run that stopped before removing it) ends the chain.
    pub(super) generation: u64,
    /// A CRC-32 of the bytes that follow the header, so that damage is found, not decoded.
    checksum: u32,
}

/// One article as the cache keeps it (`A` is an [`Article`] or a reference to one).
#[derive(Serialize, Deserialize)]
pub(super) struct StoredArticle<A> {
    /// Loaded, its Markdown left out.
    pub(super) article: A,
    pub(super) blob: Option<BlobRef>,
    pub(super) meta: BodyMeta,
    pub(super) body_version: u64,
    pub(super) view_version: u64,
    pub(super) translations: u64,
    pub(super) bundle: Vec<(String, PathBuf)>,
}

/// Everything the cache holds but the bodies: owned when read, borrowed when written. Its
/// large parts are encoded in chunks, decoded in parallel (the articles, the largest, are
/// left in their chunks when read, never copied into one vector).
pub(super) struct State<F, A, P, O, R, V> {
    /// The absolute output folder the outputs were written into.
    pub(super) output: PathBuf,
    /// Every file under `content/` when the build started, by path relative to the root.
    pub(super) files: F,
    pub(super) articles: A,
    pub(super) pages: Vec<P>,
    pub(super) outputs: Vec<O>,
    /// The reads the outputs made, by number.
    pub(super) reads: R,
    /// The version each read had at the end of the build, by number, and the version of
    /// [`Read::Routing`] then: while the lists keep their shape, the next build takes the
    /// versions of reads made from them alone from here.
    pub(super) versions: V,
    pub(super) routing: Option<u64>,
    pub(super) left_out: LeftOut,
    pub(super) next_version: u64,
    /// When the site next changes with no edit: a build from then on starts afresh.
    pub(super) next_change: Option<jiff::Timestamp>,
}

/// What one incremental build changed in the state: kept beside the state in a delta file
/// (`delta-N.bin`), so that a build which changed little writes little. The deltas are
/// applied in order on top of the state; a build that has written many folds them all into
/// a new state.
#[derive(Serialize, Deserialize)]
pub(super) struct Delta<A, P, O, R> {
    /// Files of `content/` with a new stamp, and files gone.
    pub(super) files: Vec<(String, Stamp)>,
    pub(super) files_gone: Vec<String>,
    /// Articles made again (loaded, or with a new body or view), and sources that are no
    /// longer articles.
    pub(super) articles: Vec<StoredArticle<A>>,
    pub(super) articles_gone: Vec<String>,
    /// Every page (there are few).
    pub(super) pages: Vec<P>,
    /// Outputs rendered again, and outputs gone.
    pub(super) outputs: Vec<O>,
    pub(super) outputs_gone: Vec<String>,
    /// Reads numbered by this build, after those the state and earlier deltas numbered.
    pub(super) reads: R,
    /// Versions that changed, by read number, and the number of reads after this delta.
    pub(super) versions: Vec<(u32, u64)>,
    pub(super) read_count: u32,
    pub(super) routing: Option<u64>,
    pub(super) left_out: LeftOut,
    pub(super) next_version: u64,
    pub(super) next_change: Option<jiff::Timestamp>,
}

impl Header {
    fn new(fingerprint: u64, generation: u64, body: &[u8]) -> Header {
        Header {
            format: FORMAT,
            version: BIRGE_BUILD.to_string(),
            fingerprint,
            generation,
            checksum: crc32fast::hash(body),
        }
    }

    /// Whether another birge, or another format of this one, wrote the file.
    fn is_foreign(&self) -> bool {
        self.format != FORMAT || self.version != BIRGE_BUILD
    }

    /// Why a cache with this header cannot be used for a build with `fingerprint`, if it
    /// cannot.
    pub(super) fn mismatch(&self, fingerprint: u64) -> Option<&'static str> {
        if self.is_foreign() {
            Some("it was written by another version of birge")
        } else if self.fingerprint != fingerprint {
            Some(
                "the settings, regions, polls, theme, build options, output folder or site folder changed",
            )
        } else {
            None
        }
    }
}

/// Writes `body` to `path` behind a header for `fingerprint`, replacing the old file only
/// once the new one is whole: for files kept beside the state (the search stage's).
pub(super) fn write_checked(path: &Path, fingerprint: u64, body: &[u8]) -> Result<()> {
    let header = encode_header(Header::new(fingerprint, 0, body))?;
    write_parts(path, &[&header, body])
}

/// The body [`write_checked`] wrote to `path`, when its header fits `fingerprint` and the
/// body is whole; `None` otherwise.
pub(super) fn read_checked(path: &Path, fingerprint: u64) -> Option<Vec<u8>> {
    let mut bytes = std::fs::read(path).ok()?;
    let (header, rest) = postcard::take_from_bytes::<Header>(&bytes).ok()?;
    let good = header.mismatch(fingerprint).is_none() && crc32fast::hash(rest) == header.checksum;
    let header_len = bytes.len() - rest.len();
    good.then(|| {
        bytes.drain(..header_len);
        bytes
    })
}

/// The cache folder of a site.
pub fn dir(root: &Path) -> PathBuf {
    root.join(CACHE_DIR)
}

/// The state as read.
pub(super) type ReadState = State<
    BTreeMap<String, Stamp>,
    Vec<Vec<StoredArticle<Article>>>,
    Page,
    (String, Recorded),
    Vec<Read>,
    Vec<u64>,
>;
/// The state as written, borrowing from the pipeline.
pub(super) type WrittenState<'a> = State<
    &'a BTreeMap<String, Stamp>,
    Vec<StoredArticle<&'a Article>>,
    &'a Page,
    (&'a String, &'a Recorded),
    &'a [Read],
    &'a [u64],
>;
/// A delta as read.
pub(super) type ReadDelta = Delta<Article, Page, (String, Recorded), Vec<Read>>;
/// A delta as written, borrowing from the pipeline.
pub(super) type WrittenDelta<'a> =
    Delta<&'a Article, &'a Page, (&'a String, &'a Recorded), &'a [Read]>;

/// Where a state read from the cache stands: which state, and the deltas on top of it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Chain {
    pub(super) generation: u64,
    /// Bytes of the state file.
    pub(super) state_bytes: u64,
    /// Delta files read, and their bytes together.
    pub(super) deltas: u32,
    pub(super) delta_bytes: u64,
}

impl Chain {
    /// Whether the next build should fold the deltas into a new state rather than add one:
    /// when they are many, or together a good part of the state's size (each costs the
    /// next builds a read, and the reads they number stay in the table until then).
    pub(super) fn is_long(&self) -> bool {
        self.deltas >= MAX_DELTAS || self.delta_bytes > (self.state_bytes / 8).max(FREE_DELTA_BYTES)
    }
}

/// Bytes of deltas kept whatever the state's size: below this, reading them costs nothing
/// worth a new state.
const FREE_DELTA_BYTES: u64 = 1 << 20;

/// The most deltas kept before they are folded into a new state.
const MAX_DELTAS: u32 = 64;

/// Removes the state of the cache at `dir` (and its deltas) when it describes the output
/// folder `output`, or cannot say which folder it describes: a build without the cache is
/// about to replace that folder, and a state left beside it would describe output it did
/// not write (the next build would trust it). A state of another folder stays.
pub(super) fn forget_state_of(dir: &Path, output: &Path) -> Result<()> {
    let path = dir.join(STATE_FILE);
    let Ok(bytes) = super::mapped::Mapped::open(&path) else {
        return Ok(());
    };
    let describes_another = postcard::take_from_bytes::<Header>(&bytes)
        .ok()
        .filter(|(header, _)| !header.is_foreign())
        .and_then(|(_, rest)| Frames(rest).next().ok())
        .and_then(|meta| postcard::take_from_bytes::<PathBuf>(meta).ok())
        .is_some_and(|(described, _)| described != output);
    drop(bytes);
    if describes_another {
        return Ok(());
    }
    std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
    for number in numbered(dir, "delta-") {
        let path = delta_path(dir, number);
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    Ok(())
}

/// Whether the cache at `dir` has a state to read.
pub(super) fn has_state(dir: &Path) -> bool {
    dir.join(STATE_FILE).exists()
}

fn delta_path(dir: &Path, number: u32) -> PathBuf {
    dir.join(format!("delta-{number}.bin"))
}

/// The header of a cache file and the bytes after it, checked (`generation`: the state a
/// delta must belong to, or `None` for a chain's end): the header first, so that a cache of
/// another shape is recognised as such before the rest is read.
fn checked(
    bytes: &[u8],
    fingerprint: u64,
    generation: Option<u64>,
) -> Result<Option<(Header, &[u8])>> {
    let (header, rest) =
        postcard::take_from_bytes::<Header>(bytes).context("it cannot be read back")?;
    if generation.is_some_and(|g| g != header.generation) {
        return Ok(None);
    }
    if let Some(reason) = header.mismatch(fingerprint) {
        anyhow::bail!(reason);
    }
    anyhow::ensure!(
        crc32fast::hash(rest) == header.checksum,
        "it cannot be read back (its checksum does not match)"
    );
    Ok(Some((header, rest)))
}

/// The state file of a cache, read and decoded before the build's fingerprint is known (the
/// settings it covers are read meanwhile): [`StateFile::check`] then says whether it fits.
pub(super) struct StateFile {
    /// The header and what follows it decoded, unless the header cannot be read; the body is
    /// not decoded when the header names another format or its checksum does not match.
    read: Result<(Header, Result<ReadState>)>,
    bytes: u64,
}

/// Reads and decodes the state of the cache at `dir`.
pub(super) fn read_state(dir: &Path) -> StateFile {
    let timer = super::Timer::start();
    let bytes = match super::mapped::Mapped::open(&dir.join(STATE_FILE)) {
        Ok(bytes) => bytes,
        Err(error) => {
            let read = Err(anyhow::Error::new(error).context("cannot read it"));
            return StateFile { read, bytes: 0 };
        }
    };
    timer.lap("state read");
    let read = postcard::take_from_bytes::<Header>(&bytes)
        .context("it cannot be read back")
        .map(|(header, rest)| {
            let body = decoded_body(&header, rest);
            (header, body)
        });
    timer.lap("state decode");
    StateFile {
        read,
        bytes: bytes.len() as u64,
    }
}

/// The state after `header`, when the header is of this birge and the bytes are whole.
fn decoded_body(header: &Header, rest: &[u8]) -> Result<ReadState> {
    anyhow::ensure!(
        !header.is_foreign(),
        "it was written by another version of birge"
    );
    anyhow::ensure!(
        crc32fast::hash(rest) == header.checksum,
        "it cannot be read back (its checksum does not match)"
    );
    decode_state(rest).context("it cannot be read back")
}

impl StateFile {
    /// The state and where it stands, when it was written for a build with `fingerprint`;
    /// otherwise why it cannot be used, as the header first tells.
    pub(super) fn check(self, fingerprint: u64) -> Result<(ReadState, Chain)> {
        let (header, body) = self.read?;
        if let Some(reason) = header.mismatch(fingerprint) {
            anyhow::bail!(reason);
        }
        let chain = Chain {
            generation: header.generation,
            state_bytes: self.bytes,
            deltas: 0,
            delta_bytes: 0,
        };
        Ok((body?, chain))
    }
}

/// The next delta of `chain` in the cache at `dir`, if there is one (a delta left from
/// another state ends the chain); `chain` then counts it.
pub(super) fn read_delta(
    dir: &Path,
    fingerprint: u64,
    chain: &mut Chain,
) -> Result<Option<ReadDelta>> {
    let path = delta_path(dir, chain.deltas + 1);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error).context(format!("cannot read {}", path.display())),
    };
    let in_file = |e: anyhow::Error| e.context(format!("delta {}", chain.deltas + 1));
    let Some((_, rest)) = checked(&bytes, fingerprint, Some(chain.generation)).map_err(in_file)?
    else {
        return Ok(None);
    };
    let delta = postcard::from_bytes(rest)
        .context("it cannot be read back")
        .map_err(in_file)?;
    chain.deltas += 1;
    chain.delta_bytes += bytes.len() as u64;
    Ok(Some(delta))
}

/// The small parts of the state, encoded as one.
type Meta<P> = (
    PathBuf,
    Vec<P>,
    LeftOut,
    u64,
    Option<jiff::Timestamp>,
    Option<u64>,
);

/// The state's bytes: its small parts, then each large part in chunks.
fn encode_state(state: &WrittenState) -> Result<Vec<u8>> {
    let meta: Meta<&Page> = (
        state.output.clone(),
        state.pages.clone(),
        state.left_out.clone(),
        state.next_version,
        state.next_change,
        state.routing,
    );
    let files: Vec<(&String, &Stamp)> = state.files.iter().collect();
    let ((files, articles), (outputs, (reads, versions))) = rayon::join(
        || (encode_chunks(&files), encode_chunks(&state.articles)),
        || {
            rayon::join(
                || encode_chunks(&state.outputs),
                || {
                    rayon::join(
                        || encode_chunks(state.reads),
                        || encode_chunks(state.versions),
                    )
                },
            )
        },
    );
    let mut bytes = Vec::new();
    for part in [
        postcard::to_allocvec(&meta)?,
        files?,
        articles?,
        outputs?,
        reads?,
        versions?,
    ] {
        frame(&mut bytes, &part);
    }
    Ok(bytes)
}

/// The state from its bytes, as [`encode_state`] wrote them.
fn decode_state(bytes: &[u8]) -> Result<ReadState> {
    let mut frames = Frames(bytes);
    let meta: Meta<Page> = postcard::from_bytes(frames.next()?)?;
    let (files, articles, outputs, reads, versions) = (
        frames.next()?,
        frames.next()?,
        frames.next()?,
        frames.next()?,
        frames.next()?,
    );
    let ((files, articles), (outputs, (reads, versions))) = rayon::join(
        || {
            (
                decode_chunks::<(String, Stamp)>(files),
                decode_chunked(articles),
            )
        },
        || {
            rayon::join(
                || decode_chunks(outputs),
                || rayon::join(|| decode_chunks(reads), || decode_chunks(versions)),
            )
        },
    );
    let (output, pages, left_out, next_version, next_change, routing) = meta;
    Ok(State {
        output,
        files: files?.into_iter().collect(),
        articles: articles?,
        pages,
        outputs: outputs?,
        reads: reads?,
        versions: versions?,
        routing,
        left_out,
        next_version,
        next_change,
    })
}

/// Items in a chunk of the state: enough that a chunk is worth a task, few enough that
/// the chunks of a large site keep both cores busy, and that a chunk of articles is decoded
/// into a vector allocated once (serde allocates at most 1 MiB ahead of a sequence).
const CHUNK: usize = 1024;

/// `items` encoded in chunks, each framed.
fn encode_chunks<T: Serialize + Sync>(items: &[T]) -> Result<Vec<u8>> {
    let chunks: Vec<Vec<u8>> = items
        .par_chunks(CHUNK)
        .map(postcard::to_allocvec)
        .collect::<Result<_, _>>()?;
    let mut bytes = Vec::new();
    for chunk in &chunks {
        frame(&mut bytes, chunk);
    }
    Ok(bytes)
}

/// The items [`encode_chunks`] encoded, the chunks decoded in parallel.
fn decode_chunks<T: serde::de::DeserializeOwned + Send>(bytes: &[u8]) -> Result<Vec<T>> {
    let decoded = decode_chunked(bytes)?;
    // Allocated once: grown item by item, a large state's vectors were copied many times.
    let mut items = Vec::with_capacity(decoded.iter().map(Vec::len).sum());
    for chunk in decoded {
        items.extend(chunk);
    }
    Ok(items)
}

/// The items [`encode_chunks`] encoded, in their chunks, decoded in parallel.
fn decode_chunked<T: serde::de::DeserializeOwned + Send>(bytes: &[u8]) -> Result<Vec<Vec<T>>> {
    let mut frames = Frames(bytes);
    let mut chunks = Vec::new();
    while !frames.0.is_empty() {
        chunks.push(frames.next()?);
    }
    Ok(chunks
        .par_iter()
        .map(|chunk| postcard::from_bytes(chunk))
        .collect::<Result<_, _>>()?)
}

/// Appends `part` to `bytes` after its length.
fn frame(bytes: &mut Vec<u8>, part: &[u8]) {
    bytes.extend_from_slice(&(part.len() as u64).to_le_bytes());
    bytes.extend_from_slice(part);
}

/// The framed parts of some bytes, one after the other.
struct Frames<'a>(&'a [u8]);

impl<'a> Frames<'a> {
    fn next(&mut self) -> Result<&'a [u8]> {
        let (len, rest) = self
            .0
            .split_first_chunk::<8>()
            .context("a part of it is missing")?;
        let len = usize::try_from(u64::from_le_bytes(*len))?;
        anyhow::ensure!(len <= rest.len(), "a part of it is cut short");
        let (part, rest) = rest.split_at(len);
        self.0 = rest;
        Ok(part)
    }
}

/// Writes a new state with its header, replacing the old one only once the new is whole,
/// then removes the deltas of the old; gives where the cache stands.
pub(super) fn write_state(dir: &Path, fingerprint: u64, state: &WrittenState) -> Result<Chain> {
    let timer = super::Timer::start();
    let body = encode_state(state).context("cannot encode the build cache")?;
    let generation = new_generation();
    let header = encode_header(Header::new(fingerprint, generation, &body))?;
    timer.lap("encode");
    write_parts(&dir.join(STATE_FILE), &[&header, &body])?;
    timer.lap("state write");
    for number in numbered(dir, "delta-") {
        let path = delta_path(dir, number);
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    Ok(Chain {
        generation,
        state_bytes: (header.len() + body.len()) as u64,
        deltas: 0,
        delta_bytes: 0,
    })
}

/// Writes the next delta of `chain`, whole or not at all; `chain` then counts it.
pub(super) fn write_delta(
    dir: &Path,
    fingerprint: u64,
    chain: &mut Chain,
    delta: &WrittenDelta,
) -> Result<()> {
    let body = postcard::to_allocvec(delta).context("cannot encode the build cache")?;
    let header = encode_header(Header::new(fingerprint, chain.generation, &body))?;
    write_parts(&delta_path(dir, chain.deltas + 1), &[&header, &body])?;
    chain.deltas += 1;
    chain.delta_bytes += (header.len() + body.len()) as u64;
    Ok(())
}

fn encode_header(header: Header) -> Result<Vec<u8>> {
    postcard::to_allocvec(&header).context("cannot encode the build cache")
}

/// A number telling this state from the ones before it.
fn new_generation() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    now ^ u64::from(std::process::id()).rotate_left(32)
}

/// Writes `parts`, one after the other, to `path` through a temporary file renamed into
/// place (a header and a large body need not be joined in memory first).
fn write_parts(path: &Path, parts: &[&[u8]]) -> Result<()> {
    write_streamed(path, |file| {
        parts.iter().try_for_each(|part| file.write_all(part))?;
        Ok(())
    })
}

/// Writes to `path` through a temporary file, buffered, that `write` fills and that is
/// renamed into place once it is whole; removed if it cannot be (a full disk must not be
/// left fuller).
fn write_streamed(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let temporary = path.with_extension("tmp");
    let written: Result<()> = (|| {
        let file = File::create(&temporary)?;
        let mut buffered = std::io::BufWriter::with_capacity(1 << 20, file);
        write(&mut buffered)?;
        buffered.into_inner().map_err(|e| e.into_error())?;
        Ok(())
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error).with_context(|| format!("cannot write {}", temporary.display()));
    }
    std::fs::rename(&temporary, path).with_context(|| format!("cannot write {}", path.display()))
}

/// The numbers of the files named `{prefix}N.bin` in `dir`.
fn numbered(dir: &Path, prefix: &str) -> Vec<u32> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.strip_prefix(prefix)?
                        .strip_suffix(".bin")?
                        .parse()
                        .ok()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// How close to the present a file's modification time must be for its stamp to be
/// distrusted: a file saved twice within the clock's granularity (milliseconds here, two
/// seconds on some file systems) keeps its time, and the same size may hide new bytes.
const RACY: std::time::Duration = std::time::Duration::from_secs(2);

/// The stamps of every file under `content/` (symbolic links followed); a file modified less
/// than [`RACY`] ago is stamped by the hash of its bytes as well. Folders are read in
/// parallel: at 100k articles this walk is a good part of a one-edit build.
pub(super) fn stamps(root: &Path) -> BTreeMap<String, Stamp> {
    let now = std::time::SystemTime::now();
    let content = root.join("content");
    let Ok(meta) = std::fs::metadata(&content) else {
        return BTreeMap::new();
    };
    let mut found = stamp_folder(&content, "content", &[identity(&meta)], now);
    found.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
    found.into_iter().collect()
}

/// A folder's device and inode, to tell a symbolic link back to an ancestor.
fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// The stamps of the files in `dir` (named `rel` from the root) and its folders, the
/// folders read in parallel; `ancestors` are the folders above, by identity.
fn stamp_folder(
    dir: &Path,
    rel: &str,
    ancestors: &[(u64, u64)],
    now: std::time::SystemTime,
) -> Vec<(String, Stamp)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    let mut folders = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        // A link is stamped as what it points at; a link to nowhere as itself, so that the
        // build which loads it reports it, as a full build does.
        let meta = if kind.is_symlink() {
            std::fs::metadata(entry.path()).or_else(|_| entry.metadata())
        } else {
            entry.metadata()
        };
        let Ok(meta) = meta else {
            continue;
        };
        let name = format!("{rel}/{}", entry.file_name().to_string_lossy());
        if meta.is_dir() {
            folders.push((entry.path(), name, identity(&meta)));
        } else if meta.is_file() || meta.is_symlink() {
            files.push((name, stamp(&entry, &meta, now)));
        }
    }
    let below: Vec<Vec<(String, Stamp)>> = folders
        .par_iter()
        .filter(|(_, _, id)| !ancestors.contains(id))
        .map(|(path, name, id)| {
            let mut chain = ancestors.to_vec();
            chain.push(*id);
            stamp_folder(path, name, &chain, now)
        })
        .collect();
    files.extend(below.into_iter().flatten());
    files
}

/// The stamp of the file of `entry` as `meta` describes it, stamped `now`.
fn stamp(entry: &std::fs::DirEntry, meta: &std::fs::Metadata, now: std::time::SystemTime) -> Stamp {
    let time = meta.modified().ok();
    let racy = time.is_none_or(|t| now.duration_since(t).map_or(true, |age| age < RACY));
    let modified = time
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(-1, |since| since.as_nanos() as i128);
    Stamp {
        len: meta.len(),
        modified,
        hash: if racy { hash_file(&entry.path()) } else { None },
    }
}

/// What differs between two sets of stamps: the paths in `now` whose stamp is new (with
/// the stamp `before` had, if any), and the paths of `before` that `now` lacks. Both are
/// sorted, so one walk through them finds it.
pub(super) fn stamp_diff<'a>(
    before: &'a BTreeMap<String, Stamp>,
    now: &'a BTreeMap<String, Stamp>,
) -> StampDiff<'a> {
    use std::cmp::Ordering;
    let mut diff = StampDiff::default();
    let mut old = before.iter().peekable();
    for (path, stamp) in now {
        let mut was = None;
        while let Some(&(old_path, old_stamp)) = old.peek() {
            match old_path.cmp(path) {
                Ordering::Less => diff.gone.push(old_path),
                Ordering::Equal => was = Some(old_stamp),
                Ordering::Greater => break,
            }
            old.next();
            if was.is_some() {
                break;
            }
        }
        if was != Some(stamp) {
            diff.changed.push((path, stamp, was));
        }
    }
    diff.gone.extend(old.map(|(path, _)| path));
    diff
}

/// Stamps that differ, as [`stamp_diff`] finds them.
#[derive(Default)]
pub(super) struct StampDiff<'a> {
    /// Paths with a new stamp: the stamp now, and the one before if there was one.
    pub(super) changed: Vec<(&'a String, &'a Stamp, Option<&'a Stamp>)>,
    /// Paths that are gone.
    pub(super) gone: Vec<&'a String>,
}

/// The files whose stamps differ between `before` and `now` (added, changed, removed), as
/// absolute paths under `root`.
pub(super) fn changed_files(
    root: &Path,
    before: &BTreeMap<String, Stamp>,
    now: &BTreeMap<String, Stamp>,
) -> Vec<PathBuf> {
    let diff = stamp_diff(before, now);
    let changed = diff
        .changed
        .into_iter()
        .filter(|(path, stamp, old)| old.is_none_or(|old| !old.still_fits(stamp, &root.join(path))))
        .map(|(path, _, _)| path);
    changed.chain(diff.gone).map(|rel| root.join(rel)).collect()
}

/// A fingerprint of everything a full run reads besides `content/`'s articles and pages: the
/// settings, regions and poll files, the theme (templates, static files, strings), the poll
/// results file, the build options and the limits read from the environment.
pub(super) fn fingerprint(
    options: &BuildOptions,
    output: &Path,
    theme: &crate::theme::Theme,
    results: &Path,
) -> u64 {
    let root = &options.root;
    let mut h = DefaultHasher::new();
    BIRGE_BUILD.hash(&mut h);
    // The site's folder: a cache moved with its site keeps absolute paths of the old place.
    root.hash(&mut h);
    let file = |h: &mut DefaultHasher, path: &Path| {
        path.hash(h);
        std::fs::read(path).ok().hash(h);
    };
    file(&mut h, &root.join(crate::config::CONFIG_FILE));
    file(&mut h, &root.join("content/regions.yaml"));
    let mut polls: Vec<PathBuf> = std::fs::read_dir(root.join("content/polls"))
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    polls.sort();
    // Read in parallel: a large site has thousands.
    let poll_bytes: Vec<Option<Vec<u8>>> =
        polls.par_iter().map(|p| std::fs::read(p).ok()).collect();
    for (poll, bytes) in polls.iter().zip(&poll_bytes) {
        poll.hash(&mut h);
        bytes.hash(&mut h);
    }
    for (name, template) in &theme.templates {
        (name, &template.text, &template.origin).hash(&mut h);
    }
    for (rel, source) in &theme.static_files {
        rel.hash(&mut h);
        match source {
            crate::theme::StaticSource::Embedded(bytes) => bytes.hash(&mut h),
            crate::theme::StaticSource::File(path) => {
                path.hash(&mut h);
                stamp_of(path).hash(&mut h);
            }
        }
    }
    let strings: BTreeMap<&String, BTreeMap<&String, &String>> = theme
        .strings
        .iter()
        .map(|(lang, table)| (lang, table.iter().collect()))
        .collect();
    strings.hash(&mut h);
    (&theme.image_widths, crate::images::FORMAT_VERSION).hash(&mut h);
    // Poll results baked in at build time.
    stamp_of(results).hash(&mut h);
    (
        options.drafts,
        options.future,
        &options.base_url,
        std::path::absolute(output).ok(),
        std::env::var("BIRGE_SITEMAP_LIMIT").ok(),
    )
        .hash(&mut h);
    h.finish()
}

fn stamp_of(path: &Path) -> Option<(u64, Option<std::time::SystemTime>)> {
    std::fs::metadata(path)
        .ok()
        .map(|m| (m.len(), m.modified().ok()))
}

/// The pack files of a cache, read a body at a time.
pub struct Packs {
    dir: PathBuf,
    open: Mutex<HashMap<u32, Arc<File>>>,
}

impl Packs {
    /// The packs of the cache at `dir`.
    pub fn new(dir: &Path) -> Packs {
        Packs {
            dir: dir.to_path_buf(),
            open: Mutex::default(),
        }
    }

    fn path(&self, pack: u32) -> PathBuf {
        self.dir.join(format!("pack-{pack}.bin"))
    }

    /// One body, read from its pack.
    pub fn read(&self, blob: BlobRef) -> Result<Rendered, String> {
        use std::os::unix::fs::FileExt;
        let file = {
            let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            match open.get(&blob.pack) {
                Some(file) => Arc::clone(file),
                None => {
                    let file = File::open(self.path(blob.pack))
                        .map(Arc::new)
                        .map_err(|e| format!("pack {}: {e}", blob.pack))?;
                    open.insert(blob.pack, Arc::clone(&file));
                    file
                }
            }
        };
        let mut bytes = vec![0; blob.len as usize];
        file.read_exact_at(&mut bytes, blob.offset)
            .map_err(|e| format!("pack {}: {e}", blob.pack))?;
        postcard::from_bytes(&bytes).map_err(|e| format!("pack {}: {e}", blob.pack))
    }

    /// Writes `bodies` into a new pack, one at a time (a first build's are ~0.5 GB at 100k
    /// articles); gives where each went, in order.
    pub(super) fn write(&self, bodies: &[&Rendered]) -> Result<Vec<BlobRef>> {
        if bodies.is_empty() {
            return Ok(Vec::new());
        }
        let pack = self.free_number();
        let mut refs = Vec::with_capacity(bodies.len());
        write_streamed(&self.path(pack), |file| {
            let mut offset = 0;
            for body in bodies {
                let encoded = postcard::to_allocvec(body).context("cannot encode a body")?;
                let len = u32::try_from(encoded.len()).context("a body too large for the cache")?;
                refs.push(BlobRef { pack, offset, len });
                file.write_all(&encoded)?;
                offset += u64::from(len);
            }
            Ok(())
        })?;
        Ok(refs)
    }

    /// A pack number no file has.
    fn free_number(&self) -> u32 {
        self.numbers().into_iter().max().map_or(1, |n| n + 1)
    }

    fn numbers(&self) -> Vec<u32> {
        numbered(&self.dir, "pack-")
    }

    /// Removes the packs no body refers to any more.
    pub(super) fn remove_unused(&self, used: &HashSet<u32>) -> Result<()> {
        for number in self.numbers() {
            if !used.contains(&number) {
                self.open
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&number);
                std::fs::remove_file(self.path(number))
                    .with_context(|| format!("cannot remove {}", self.path(number).display()))?;
            }
        }
        Ok(())
    }
}

impl BlobRef {
    /// The pack the body is in.
    pub fn pack(&self) -> u32 {
        self.pack
    }
}

/// Creates the cache folder, with a `.gitignore` of its own so that it never reaches a
/// repository even where the site's own does not list it.
pub(super) fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(&ignore, "*\n")?;
    }
    Ok(())
}

/// A build cache that could not be read back; the build sets it aside and builds everything.
#[derive(Debug)]
pub struct CacheDamaged(pub String);

impl std::fmt::Display for CacheDamaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the build cache is damaged: {}", self.0)
    }
}

impl std::error::Error for CacheDamaged {}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(len: u64) -> Stamp {
        Stamp {
            len,
            modified: 1,
            hash: None,
        }
    }

    fn stamps(entries: &[(&str, u64)]) -> BTreeMap<String, Stamp> {
        entries
            .iter()
            .map(|&(path, len)| (path.to_string(), stamp(len)))
            .collect()
    }

    #[test]
    fn stamp_diff_finds_new_changed_and_gone_files() {
        let before = stamps(&[("a", 1), ("b", 1), ("c", 1), ("e", 1)]);
        let now = stamps(&[("b", 2), ("c", 1), ("d", 1), ("f", 1)]);
        let diff = stamp_diff(&before, &now);
        let changed: Vec<(&str, Option<u64>)> = diff
            .changed
            .iter()
            .map(|(path, _, old)| (path.as_str(), old.map(|s| s.len)))
            .collect();
        assert_eq!(changed, [("b", Some(1)), ("d", None), ("f", None)]);
        let gone: Vec<&str> = diff.gone.iter().map(|p| p.as_str()).collect();
        assert_eq!(gone, ["a", "e"]);
    }

    #[test]
    fn chunks_come_back_in_order() {
        let items: Vec<u64> = (0..(CHUNK as u64 * 2 + 5)).collect();
        let bytes = encode_chunks(&items).unwrap();
        assert_eq!(decode_chunks::<u64>(&bytes).unwrap(), items);
        assert!(decode_chunks::<u64>(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn deltas_are_folded_when_many_or_large() {
        let chain = |deltas, delta_bytes| Chain {
            generation: 1,
            state_bytes: 100 << 20,
            deltas,
            delta_bytes,
        };
        assert!(!chain(3, 1 << 20).is_long());
        assert!(chain(MAX_DELTAS, 1 << 20).is_long());
        assert!(chain(3, 13 << 20).is_long());
    }

    #[test]
    fn a_file_written_whole_or_not_at_all_leaves_no_temporary_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pack-1.bin");
        write_parts(&path, &[b"head", b"body"]).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"headbody");
        let failed = write_streamed(&path, |file| {
            file.write_all(b"half")?;
            anyhow::bail!("the disk is full")
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"headbody");
        assert!(!path.with_extension("tmp").exists());
    }
}
