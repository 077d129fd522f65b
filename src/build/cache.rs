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
const FORMAT: u32 = 3;

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

/// What the cache says about the site's files and the build that used them.
#[derive(Serialize, Deserialize)]
pub(super) struct Header {
    format: u32,
    version: String,
    pub(super) fingerprint: u64,
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

/// Everything the cache holds but the bodies: owned when read, borrowed when written.
#[derive(Serialize, Deserialize)]
pub(super) struct State<A, P, O, R> {
    /// The absolute output folder the outputs were written into.
    pub(super) output: PathBuf,
    /// Every file under `content/` when the build started, by path relative to the root.
    pub(super) files: BTreeMap<String, Stamp>,
    pub(super) articles: Vec<StoredArticle<A>>,
    pub(super) pages: Vec<P>,
    pub(super) outputs: Vec<O>,
    /// The reads the outputs made, by number.
    pub(super) reads: R,
    pub(super) left_out: LeftOut,
    pub(super) next_version: u64,
    /// When the site next changes with no edit: a build from then on starts afresh.
    pub(super) next_change: Option<jiff::Timestamp>,
}

impl Header {
    pub(super) fn new(fingerprint: u64) -> Header {
        Header {
            format: FORMAT,
            version: env!("CARGO_PKG_VERSION").to_string(),
            fingerprint,
        }
    }

    /// Why a cache with this header cannot be used for a build with `fingerprint`, if it
    /// cannot.
    pub(super) fn mismatch(&self, fingerprint: u64) -> Option<&'static str> {
        if self.format != FORMAT || self.version != env!("CARGO_PKG_VERSION") {
            Some("it was written by another version of birge")
        } else if self.fingerprint != fingerprint {
            Some("the settings, regions, polls, theme or build options changed")
        } else {
            None
        }
    }
}

/// The cache folder of a site.
pub fn dir(root: &Path) -> PathBuf {
    root.join(CACHE_DIR)
}

/// The state as read.
pub(super) type ReadState = State<Article, Page, (String, Recorded), Vec<Read>>;
/// The state as written, borrowing from the pipeline.
pub(super) type WrittenState<'a> =
    State<&'a Article, &'a Page, (&'a String, &'a Recorded), &'a [Read]>;

/// Whether the cache at `dir` has a state to read.
pub(super) fn has_state(dir: &Path) -> bool {
    dir.join(STATE_FILE).exists()
}

/// Reads the state of the cache at `dir`.
/// The file holds the header, then the state: the header is read first, so that a cache of
/// another shape is recognised as such before its state is read.
pub(super) fn read_state(dir: &Path, fingerprint: u64) -> Result<ReadState> {
    let bytes = std::fs::read(dir.join(STATE_FILE)).context("cannot read it")?;
    let (header, rest) =
        postcard::take_from_bytes::<Header>(&bytes).context("it cannot be read back")?;
    if let Some(reason) = header.mismatch(fingerprint) {
        anyhow::bail!(reason);
    }
    postcard::from_bytes(rest).context("it cannot be read back")
}

/// Writes the header and the state, replacing the old ones only once the new are whole.
pub(super) fn write_state(dir: &Path, header: &Header, state: &WrittenState) -> Result<()> {
    let mut bytes = postcard::to_allocvec(header).context("cannot encode the build cache")?;
    bytes.extend(postcard::to_allocvec(state).context("cannot encode the build cache")?);
    write_whole(&dir.join(STATE_FILE), &bytes)
}

/// Writes `bytes` to `path` through a temporary file renamed into place.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let temporary = path.with_extension("tmp");
    let mut file = File::create(&temporary)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    file.write_all(bytes)?;
    drop(file);
    std::fs::rename(&temporary, path).with_context(|| format!("cannot write {}", path.display()))
}

/// How close to the present a file's modification time must be for its stamp to be
/// distrusted: a file saved twice within the clock's granularity (milliseconds here, two
/// seconds on some file systems) keeps its time, and the same size may hide new bytes.
const RACY: std::time::Duration = std::time::Duration::from_secs(2);

/// The stamps of every file under `content/`; a file modified less than [`RACY`] ago is
/// stamped by the hash of its bytes as well.
pub(super) fn stamps(root: &Path) -> BTreeMap<String, Stamp> {
    let now = std::time::SystemTime::now();
    walkdir::WalkDir::new(root.join("content"))
        .follow_links(true)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .filter_map(|entry| {
            let meta = entry.metadata().ok()?;
            let time = meta.modified().ok();
            let racy = time.is_none_or(|t| now.duration_since(t).map_or(true, |age| age < RACY));
            let modified = time
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(-1, |since| since.as_nanos() as i128);
            let rel = crate::content::relative(root, entry.path());
            Some((
                rel,
                Stamp {
                    len: meta.len(),
                    modified,
                    hash: if racy { hash_file(entry.path()) } else { None },
                },
            ))
        })
        .collect()
}

/// The files whose stamps differ between `before` and `now` (added, changed, removed), as
/// absolute paths under `root`.
pub(super) fn changed_files(
    root: &Path,
    before: &BTreeMap<String, Stamp>,
    now: &BTreeMap<String, Stamp>,
) -> Vec<PathBuf> {
    let changed = now
        .iter()
        .filter(|(path, stamp)| {
            before
                .get(*path)
                .is_none_or(|old| !old.still_fits(stamp, &root.join(path)))
        })
        .map(|(path, _)| path);
    let removed = before.keys().filter(|path| !now.contains_key(*path));
    changed.chain(removed).map(|rel| root.join(rel)).collect()
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
    for poll in &polls {
        file(&mut h, poll);
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

    /// Writes `bodies` into a new pack; gives where each went, in order.
    pub(super) fn write(&self, bodies: &[&Rendered]) -> Result<Vec<BlobRef>> {
        let pack = self.free_number();
        let mut bytes = Vec::new();
        let mut refs = Vec::with_capacity(bodies.len());
        for body in bodies {
            let encoded = postcard::to_allocvec(body).context("cannot encode a body")?;
            refs.push(BlobRef {
                pack,
                offset: bytes.len() as u64,
                len: u32::try_from(encoded.len()).context("a body too large for the cache")?,
            });
            bytes.extend_from_slice(&encoded);
        }
        if !refs.is_empty() {
            write_whole(&self.path(pack), &bytes)?;
        }
        Ok(refs)
    }

    /// A pack number no file has.
    fn free_number(&self) -> u32 {
        self.numbers().into_iter().max().map_or(1, |n| n + 1)
    }

    fn numbers(&self) -> Vec<u32> {
        std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        name.strip_prefix("pack-")?
                            .strip_suffix(".bin")?
                            .parse()
                            .ok()
                    })
                    .collect()
            })
            .unwrap_or_default()
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
