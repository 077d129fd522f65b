//! Writing an incremental build into the existing output folder: each changed file goes
//! under a temporary name beside its place, and only when the whole run succeeded are they
//! renamed into place and the files that are gone removed, following a journal that the next
//! run completes (if it was committed) or rolls back (if it was not).
//!
//! Takes the output folder and the journal's path, gives an [`InPlace`] [`Sink`]; a file whose
//! bytes did not change is not touched, so it keeps its modification time.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};

use super::Sink;

/// The suffix of a file written but not yet renamed into place.
const PENDING: &str = ".birge-new";
const COMMIT: &str = "commit";

/// An output folder being updated in place.
#[derive(Debug)]
pub struct InPlace {
    dir: PathBuf,
    journal_path: PathBuf,
    journal: Mutex<File>,
    staged: Mutex<Vec<String>>,
    removed: Mutex<Vec<String>>,
    kept: AtomicUsize,
}

impl InPlace {
    /// Starts updating `dir`, journaling into `journal` (finishing first what an interrupted
    /// run left there).
    pub fn begin(dir: &Path, journal: &Path) -> Result<InPlace> {
        recover(dir, journal)?;
        let file = File::create(journal)
            .with_context(|| format!("cannot write the journal {}", journal.display()))?;
        Ok(InPlace {
            dir: dir.to_path_buf(),
            journal_path: journal.to_path_buf(),
            journal: Mutex::new(file),
            staged: Mutex::default(),
            removed: Mutex::default(),
            kept: AtomicUsize::new(0),
        })
    }

    fn note(&self, line: &str) -> Result<()> {
        let mut journal = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        writeln!(journal, "{line}").context("cannot write the journal")
    }

    /// Renames every written file into place and removes those that are gone; gives how many
    /// files were kept because their bytes did not change.
    pub fn commit(self) -> Result<usize> {
        let removed = self.removed.into_inner().unwrap_or_else(|e| e.into_inner());
        {
            let mut journal = self.journal.lock().unwrap_or_else(|e| e.into_inner());
            for rel in &removed {
                writeln!(journal, "remove\t{rel}")?;
            }
            writeln!(journal, "{COMMIT}")?;
            journal.sync_all().context("cannot write the journal")?;
        }
        complete(&self.dir, &self.journal_path)?;
        Ok(self.kept.into_inner())
    }

    /// Leaves the output as it was: removes the files written under temporary names.
    pub fn discard(self) {
        for rel in self.staged.into_inner().unwrap_or_else(|e| e.into_inner()) {
            let _ = std::fs::remove_file(pending(&self.dir, &rel));
        }
        let _ = std::fs::remove_file(&self.journal_path);
    }
}

impl Sink for InPlace {
    fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let target = self.dir.join(rel);
        if std::fs::read(&target).is_ok_and(|old| old == bytes) {
            self.kept.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        self.note(&format!("write\t{rel}"))?;
        self.staged
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(rel.to_string());
        let path = pending(&self.dir, rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
    }

    fn remove(&self, rel: &str) -> Result<()> {
        self.removed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(rel.to_string());
        Ok(())
    }
}

fn pending(dir: &Path, rel: &str) -> PathBuf {
    dir.join(format!("{rel}{PENDING}"))
}

/// Finishes what an interrupted run left: a committed journal is carried out, one that was
/// not committed is rolled back. Nothing to do without a journal.
pub fn recover(dir: &Path, journal: &Path) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(journal) else {
        return Ok(());
    };
    if text.lines().any(|line| line == COMMIT) {
        return complete(dir, journal);
    }
    for line in text.lines() {
        if let Some(rel) = line.strip_prefix("write\t") {
            let _ = std::fs::remove_file(pending(dir, rel));
        }
    }
    std::fs::remove_file(journal).context("cannot remove the journal")
}

/// Carries out a committed journal: renames, then removals (each may have been done before).
fn complete(dir: &Path, journal: &Path) -> Result<()> {
    let text = std::fs::read_to_string(journal).context("cannot read the journal")?;
    for line in text.lines() {
        if let Some(rel) = line.strip_prefix("write\t") {
            let from = pending(dir, rel);
            if from.exists() {
                std::fs::rename(&from, dir.join(rel))
                    .with_context(|| format!("cannot put {rel} in place"))?;
            }
        }
    }
    for line in text.lines() {
        if let Some(rel) = line.strip_prefix("remove\t") {
            let path = dir.join(rel);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("cannot remove {rel}"));
                }
                _ => remove_empty_parents(dir, &path),
            }
        }
    }
    std::fs::remove_file(journal).context("cannot remove the journal")
}

/// Removes the folders above `path` that became empty, up to the output folder.
fn remove_empty_parents(dir: &Path, path: &Path) {
    let mut current = path.parent();
    while let Some(folder) = current {
        if folder == dir || !folder.starts_with(dir) || std::fs::remove_dir(folder).is_err() {
            break;
        }
        current = folder.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        std::fs::create_dir_all(out.join("a")).unwrap();
        std::fs::write(out.join("a/index.html"), "old a").unwrap();
        std::fs::write(out.join("gone.html"), "gone").unwrap();
        let journal = dir.path().join("journal");
        (dir, out, journal)
    }

    #[test]
    fn a_committed_run_is_in_place_and_kept_files_are_untouched() {
        let (_dir, out, journal) = setup();
        let sink = InPlace::begin(&out, &journal).unwrap();
        sink.write("a/index.html", b"new a").unwrap();
        sink.write("b/index.html", b"b").unwrap();
        sink.remove("gone.html").unwrap();
        assert_eq!(std::fs::read(out.join("a/index.html")).unwrap(), b"old a");
        sink.commit().unwrap();
        assert_eq!(std::fs::read(out.join("a/index.html")).unwrap(), b"new a");
        assert_eq!(std::fs::read(out.join("b/index.html")).unwrap(), b"b");
        assert!(!out.join("gone.html").exists());
        assert!(!journal.exists());
    }

    #[test]
    fn an_interrupted_run_is_rolled_back_or_completed() {
        // Interrupted before its commit: rolled back.
        let (_dir, out, journal) = setup();
        let sink = InPlace::begin(&out, &journal).unwrap();
        sink.write("a/index.html", b"new a").unwrap();
        sink.remove("gone.html").unwrap();
        std::mem::forget(sink);
        recover(&out, &journal).unwrap();
        assert_eq!(std::fs::read(out.join("a/index.html")).unwrap(), b"old a");
        assert!(!out.join("a/index.html.birge-new").exists());
        assert!(out.join("gone.html").exists());

        // Interrupted after its commit, one rename done: completed.
        std::fs::write(out.join("a/index.html.birge-new"), "new a").unwrap();
        std::fs::write(out.join("c.html"), "c").unwrap();
        std::fs::write(
            &journal,
            "write\tc.html\nwrite\ta/index.html\nremove\tgone.html\ncommit\n",
        )
        .unwrap();
        recover(&out, &journal).unwrap();
        assert_eq!(std::fs::read(out.join("a/index.html")).unwrap(), b"new a");
        assert_eq!(std::fs::read(out.join("c.html")).unwrap(), b"c");
        assert!(!out.join("gone.html").exists());
        assert!(!journal.exists());
    }
}
