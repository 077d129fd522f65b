//! Finding and reading the files of `content/`.
//!
//! Takes the site root, gives the Markdown files of a folder ([`markdown_files`]), a file's
//! path as problems name it ([`relative`]) and its text, with a located problem where it is
//! not UTF-8 ([`read_text`]).

use std::path::{Path, PathBuf};

use crate::diagnostics::{Problem, Problems};

/// The Markdown files under `root/dir`, sorted, editors' temporary files left out.
pub(super) fn markdown_files(root: &Path, dir: &str, problems: &mut Problems) -> Vec<PathBuf> {
    let base = root.join(dir);
    if !base.exists() {
        return Vec::new();
    }
    let mut files = Vec::new();
    // Links are followed, so a linked article is published rather than silently left out;
    // a link loop is reported as a problem.
    // Hidden files and folders (an editor's lock file `.#a.md`, a link to nowhere) are
    // never looked at, as `serve` does not watch them.
    let shown = |entry: &walkdir::DirEntry| entry.depth() == 0 || !is_hidden(entry.path());
    for entry in walkdir::WalkDir::new(&base)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(shown)
    {
        match entry {
            Ok(entry) if entry.file_type().is_file() => {
                let name = entry.file_name().to_string_lossy();
                if name.ends_with(".md") && !name.starts_with('.') && !name.starts_with('_') {
                    files.push(entry.into_path());
                }
            }
            Ok(_) => {}
            // A link that cannot be followed comes as an error, before any filter sees it.
            Err(error) if error.path().is_some_and(is_hidden) => {}
            Err(error) => {
                let path = error
                    .path()
                    .map(|p| relative(root, p))
                    .unwrap_or_else(|| dir.to_string());
                let is_loop = error.loop_ancestor().is_some()
                    || error
                        .io_error()
                        .and_then(std::io::Error::raw_os_error)
                        .is_some_and(|code| code == libc::ELOOP);
                let dangling = error
                    .io_error()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound);
                // The path is named already; the error's own text would repeat it, absolute.
                let reason = error
                    .io_error()
                    .map_or_else(|| error.to_string(), ToString::to_string);
                let problem = Problem::new(path, format!("cannot read: {reason}"));
                problems.push(if is_loop {
                    problem.hint("a symbolic link here points back at itself or at a folder above it; remove it or point it elsewhere")
                } else if dangling {
                    problem.hint(DANGLING_LINK_HINT)
                } else {
                    problem
                });
            }
        }
    }
    files
}

const DANGLING_LINK_HINT: &str =
    "a symbolic link here points at a file that does not exist; remove it or point it at the file";

/// Whether a file or folder is hidden (its name starts with `.`).
fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name.to_string_lossy().starts_with('.'))
}

/// A path relative to the site root, with `/` separators.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Reads a file as UTF-8, explaining where it is not.
pub(super) fn read_text(root: &Path, path: &Path) -> Result<String, Problem> {
    let source = relative(root, path);
    let bytes = std::fs::read(path).map_err(|e| {
        let problem = Problem::new(&source, format!("cannot read: {e}"));
        let dangling = e.kind() == std::io::ErrorKind::NotFound
            && std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink());
        if dangling {
            problem.hint(DANGLING_LINK_HINT)
        } else {
            problem
        }
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
        Problem::new(&source, "the file is not UTF-8 text")
            .at(line, column)
            .hint("save it as UTF-8 (most editors have this under 'Save with encoding')")
    })
}
