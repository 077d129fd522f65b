//! The write stage: output goes into a sibling `.birge-build-*` folder that replaces the
//! output folder only when the whole build succeeded.
//!
//! Takes rendered files and files to copy, gives a [`Staging`] folder that is swapped in
//! atomically ([`Staging::commit`]: Linux `renameat2(RENAME_EXCHANGE)`, elsewhere two renames
//! recovered on the next run). A file whose bytes did not change is hard-linked from the
//! previous output, so it keeps its modification time and rsync copies only what changed.

pub mod in_place;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};

const STAGING_PREFIX: &str = ".birge-build-";
const OLD_PREFIX: &str = ".birge-old-";

/// Where rendered files go: a staging folder on disk, or memory for `birge serve`.
pub trait Sink: Sync {
    /// Stores a file at `rel` (a `/`-separated path under the output root).
    fn write(&self, rel: &str, bytes: &[u8]) -> Result<()>;

    /// Stores a copy of `source` at `rel`.
    fn copy(&self, rel: &str, source: &Path) -> Result<()> {
        let bytes = crate::fs::read(source)?;
        self.write(rel, &bytes)
    }

    /// Removes the file at `rel`, if there is one.
    fn remove(&self, rel: &str) -> Result<()>;

    /// Whether the sink keeps nothing (outputs that only fill files, such as the search
    /// index, are then not made at all).
    fn discards(&self) -> bool {
        false
    }
}

impl Sink for Staging {
    fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        Staging::write(self, rel, bytes)
    }

    fn remove(&self, rel: &str) -> Result<()> {
        match std::fs::remove_file(self.dir.join(rel)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("cannot remove {rel} from the new output"))
            }
            _ => Ok(()),
        }
    }
}

/// A sink that keeps nothing: `birge check` renders every output and writes none.
#[derive(Debug, Default)]
pub struct Discard;

impl Sink for Discard {
    fn write(&self, _rel: &str, _bytes: &[u8]) -> Result<()> {
        Ok(())
    }

    fn copy(&self, _rel: &str, _source: &Path) -> Result<()> {
        Ok(())
    }

    fn discards(&self) -> bool {
        true
    }

    fn remove(&self, _rel: &str) -> Result<()> {
        Ok(())
    }
}

/// A folder being filled beside the output folder.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    previous: Option<PathBuf>,
    written: AtomicUsize,
    kept: AtomicUsize,
}

/// The output swapped in; the previous tree waits to be removed.
#[derive(Debug)]
#[must_use = "call cleanup() to remove the previous output"]
pub struct Committed {
    old: Option<PathBuf>,
    /// Files written with new bytes.
    pub written: usize,
    /// Files kept from the previous output because their bytes did not change.
    pub kept: usize,
}

impl Committed {
    /// Removes the previous output tree.
    pub fn cleanup(self) -> Result<()> {
        match self.old {
            Some(old) => crate::fs::remove_tree(&old),
            None => Ok(()),
        }
    }
}

impl Staging {
    /// Creates an empty staging folder beside `target`, after recovering from an interrupted
    /// swap and removing staging folders that earlier runs left behind.
    pub fn create(target: &Path) -> Result<Staging> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        crate::fs::create_dir_all(&parent)?;
        if target.exists() && !target.is_dir() {
            bail!("the output {} is a file, not a folder", target.display());
        }
        recover(&parent, target)?;
        let unique = format!(
            "{STAGING_PREFIX}{}-{}",
            owned_by(target, std::process::id()),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        );
        let dir = parent.join(unique);
        crate::fs::create_dir_all(&dir)?;
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            previous: target.is_dir().then(|| target.to_path_buf()),
            written: AtomicUsize::new(0),
            kept: AtomicUsize::new(0),
        })
    }

    /// The folder being filled.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a file at `rel` (a `/`-separated path), keeping the previous one if identical.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(rel);
        if self.keep_previous(rel, &path, |old| old == bytes) {
            return Ok(());
        }
        crate::fs::write(&path, bytes)?;
        self.written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Copies `source` to `rel`, keeping the previous file if identical.
    pub fn copy(&self, rel: &str, source: &Path) -> Result<()> {
        let bytes = crate::fs::read(source)?;
        self.write(rel, &bytes)
    }

    fn keep_previous(&self, rel: &str, path: &Path, same: impl Fn(&[u8]) -> bool) -> bool {
        let Some(previous) = &self.previous else {
            return false;
        };
        let old = previous.join(rel);
        let Ok(old_bytes) = std::fs::read(&old) else {
            return false;
        };
        if !same(&old_bytes) {
            return false;
        }
        if let Some(parent) = path.parent()
            && crate::fs::create_dir_all(parent).is_err()
        {
            return false;
        }
        let kept = std::fs::hard_link(&old, path).is_ok();
        if kept {
            self.kept.fetch_add(1, Ordering::Relaxed);
        }
        kept
    }

    /// Swaps the staging folder in place of the output folder.
    pub fn commit(self) -> Result<Committed> {
        let written = self.written.load(Ordering::Relaxed);
        let kept = self.kept.load(Ordering::Relaxed);
        if !self.target.exists() {
            crate::fs::rename(&self.dir, &self.target)?;
            return Ok(Committed {
                old: None,
                written,
                kept,
            });
        }
        let old = exchange(&self.dir, &self.target)?;
        Ok(Committed {
            old: Some(old),
            written,
            kept,
        })
    }

    /// Throws the staging folder away, leaving the output as it was.
    pub fn discard(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Puts `staging` at `target`; gives where the previous tree now is.
#[cfg(target_os = "linux")]
fn exchange(staging: &Path, target: &Path) -> Result<PathBuf> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(staging.as_os_str().as_bytes())?;
    let b = CString::new(target.as_os_str().as_bytes())?;
    // SAFETY: both arguments are valid NUL-terminated paths that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        return Ok(staging.to_path_buf());
    }
    two_renames(staging, target)
}

#[cfg(not(target_os = "linux"))]
fn exchange(staging: &Path, target: &Path) -> Result<PathBuf> {
    two_renames(staging, target)
}

/// The portable swap: the old tree moves aside, the new one moves in. A crash between the two
/// renames leaves a `.birge-old-*` folder and no output, which [`recover`] puts back.
fn two_renames(staging: &Path, target: &Path) -> Result<PathBuf> {
    let parent = target.parent().unwrap_or(Path::new("."));
    let old = parent.join(format!(
        "{OLD_PREFIX}{}",
        owned_by(target, std::process::id())
    ));
    crate::fs::rename(target, &old)?;
    crate::fs::rename(staging, target).inspect_err(|_| {
        let _ = std::fs::rename(&old, target);
    })?;
    Ok(old)
}

/// Puts back an output tree that an interrupted swap left aside, and removes staging and
/// old folders that earlier runs left behind.
fn recover(parent: &Path, target: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let (old, rest) = match (
            name.strip_prefix(OLD_PREFIX),
            name.strip_prefix(STAGING_PREFIX),
        ) {
            (Some(rest), _) => (true, rest),
            (None, Some(rest)) => (false, rest),
            (None, None) => continue,
        };
        // Only this output's folders, and only those no running build still uses: a build
        // into a sibling folder (or a second build of this one) is left alone.
        match owner(rest, target) {
            Some(pid) if pid == std::process::id() || !is_running(pid) => {}
            _ => continue,
        }
        if old && !target.exists() {
            crate::fs::rename(&path, target).context("cannot restore the previous output")?;
        } else {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
    Ok(())
}

/// What names a staging or old folder of `target` made by process `pid` (after the prefix).
fn owned_by(target: &Path, pid: u32) -> String {
    let name = target
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy());
    format!("{name}.{pid}")
}

/// The process that made a staging or old folder named `rest` after its prefix, when the
/// folder is one of `target`'s.
fn owner(rest: &str, target: &Path) -> Option<u32> {
    let (name, pid) = rest.rsplit_once('.')?;
    // A staging folder's name ends with the time it was made.
    let pid = pid.split_once('-').map_or(pid, |(pid, _)| pid);
    let pid: u32 = pid.parse().ok()?;
    (owned_by(target, pid) == format!("{name}.{pid}")).then_some(pid)
}

/// Whether a process `pid` runs (or may run: one of another user counts).
#[cfg(not(unix))]
fn is_running(_pid: u32) -> bool {
    false
}

/// Whether a process `pid` runs (or may run: one of another user counts).
#[cfg(unix)]
fn is_running(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_into_a_sibling_folder_leaves_this_ones_staging_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let a = Staging::create(&tmp.path().join("public")).unwrap();
        a.write("page/2/index.html", b"two").unwrap();
        let b = Staging::create(&tmp.path().join("public-2")).unwrap();
        b.write("index.html", b"b").unwrap();
        b.commit().unwrap().cleanup().unwrap();
        a.write("index.html", b"a").unwrap();
        a.commit().unwrap().cleanup().unwrap();
        let page = std::fs::read(tmp.path().join("public/page/2/index.html")).unwrap();
        assert_eq!(page, b"two");
        assert!(tmp.path().join("public-2/index.html").exists());
    }

    #[test]
    fn folders_are_known_by_their_output_and_process() {
        let target = Path::new("/x/public");
        assert_eq!(owner("public.12-345", target), Some(12));
        assert_eq!(owner("public.12", target), Some(12));
        assert_eq!(owner("public-2.12-345", target), None);
        assert_eq!(owner("12-345", target), None);
        assert_eq!(owner("a.b.12", Path::new("/x/a.b")), Some(12));
    }

    #[test]
    fn unchanged_files_keep_their_inode() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("public");
        let s = Staging::create(&target).unwrap();
        s.write("a/index.html", b"one").unwrap();
        s.write("b.txt", b"two").unwrap();
        s.commit().unwrap().cleanup().unwrap();
        let before = std::fs::metadata(target.join("a/index.html"))
            .unwrap()
            .modified()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let s = Staging::create(&target).unwrap();
        s.write("a/index.html", b"one").unwrap();
        s.write("b.txt", b"changed").unwrap();
        let done = s.commit().unwrap();
        assert_eq!((done.written, done.kept), (1, 1));
        done.cleanup().unwrap();
        let after = std::fs::metadata(target.join("a/index.html"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(before, after);
        assert_eq!(std::fs::read(target.join("b.txt")).unwrap(), b"changed");
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }
}
