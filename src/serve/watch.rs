//! What a change on disk means for `birge serve`: watcher events become [`Change`]s by pure
//! functions; editors' temporary, swap and backup files are ignored.
//!
//! Takes paths relative to the site root, gives what must be rebuilt.

use std::path::Path;

/// One path that changed, as far as the site is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// An article, page or bundle file under `content/news/` or `content/pages/`.
    Content,
    /// `site.yaml`, `content/regions.yaml` or a poll: everything is rebuilt.
    Data,
    /// A template of the site or its theme.
    Template,
    /// A stylesheet: open pages swap it without reloading.
    Style,
    /// Any other static file.
    Static,
    /// Nothing the site uses (editor files, other folders).
    Ignored,
}

/// Whether a file name is an editor's temporary, swap or backup file.
pub fn is_editor_file(name: &str) -> bool {
    name.starts_with(".#")
        || name.starts_with('#')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".swo")
        || name.ends_with(".tmp")
        || name.ends_with(".bak")
        || name.ends_with(".crdownload")
        || name == "4913"
        || name == ".DS_Store"
        || (name.starts_with('.') && name.contains(".sw"))
        || name.starts_with(".goutputstream")
}

/// Classifies a changed path (relative to the site root, `/` separators).
pub fn classify(rel: &str) -> Change {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if rel.is_empty() || is_editor_file(name) {
        return Change::Ignored;
    }
    let in_theme_part = |part: &str| {
        rel.starts_with(&format!("{part}/"))
            || (rel.starts_with("themes/") && rel.split('/').nth(2) == Some(part))
    };
    if rel == "site.yaml" || rel == "content/regions.yaml" || rel.starts_with("content/polls/") {
        Change::Data
    } else if rel.starts_with("content/news/")
        || rel.starts_with("content/pages/")
        || rel == "content/news"
        || rel == "content/pages"
    {
        Change::Content
    } else if in_theme_part("templates") || (rel.starts_with("themes/") && name == "theme.yaml") {
        Change::Template
    } else if in_theme_part("static") {
        if name.ends_with(".css") {
            Change::Style
        } else {
            Change::Static
        }
    } else {
        Change::Ignored
    }
}

/// A path relative to the root, when it is under it.
pub fn relative_to(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    Some(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// What a batch of changes asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Batch {
    /// Something besides stylesheets changed: open pages reload.
    pub reload: bool,
    /// Only stylesheets changed: open pages swap them.
    pub styles_only: bool,
}

impl Batch {
    /// Everything may have changed: open pages reload.
    pub fn everything() -> Batch {
        Batch {
            reload: true,
            styles_only: false,
        }
    }
}

/// Sums up a batch of changes; `None` when nothing relevant changed.
pub fn summarize(changes: &[Change]) -> Option<Batch> {
    let relevant: Vec<Change> = changes
        .iter()
        .copied()
        .filter(|c| *c != Change::Ignored)
        .collect();
    if relevant.is_empty() {
        return None;
    }
    let styles_only = relevant.iter().all(|c| *c == Change::Style);
    Some(Batch {
        reload: !styles_only,
        styles_only,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_table() {
        let cases = [
            ("content/news/2020/03/a.md", Change::Content),
            ("content/news/2020/semey/masks.svg", Change::Content),
            ("content/pages/about.md", Change::Content),
            // A folder that appears or goes: its files are read again.
            ("content/news/2026/11", Change::Content),
            ("content/pages", Change::Content),
            ("content/regions.yaml", Change::Data),
            ("content/polls/mothers-forum.yaml", Change::Data),
            ("site.yaml", Change::Data),
            ("templates/article.html", Change::Template),
            (
                "themes/birge/templates/partials/poll.html",
                Change::Template,
            ),
            ("themes/birge/theme.yaml", Change::Template),
            ("static/style.css", Change::Style),
            ("themes/birge/static/style.css", Change::Style),
            ("themes/birge/static/logo.png", Change::Static),
            ("content/news/2020/03/.a.md.swp", Change::Ignored),
            ("content/news/2020/03/a.md~", Change::Ignored),
            ("content/news/2020/03/.#a.md", Change::Ignored),
            ("content/news/2020/03/4913", Change::Ignored),
            ("public/index.html", Change::Ignored),
            ("README.md", Change::Ignored),
        ];
        for (path, expected) in cases {
            assert_eq!(classify(path), expected, "{path}");
        }
    }

    #[test]
    fn batches() {
        assert_eq!(summarize(&[Change::Ignored]), None);
        assert_eq!(
            summarize(&[Change::Style, Change::Ignored]),
            Some(Batch {
                reload: false,
                styles_only: true
            })
        );
        assert_eq!(
            summarize(&[Change::Style, Change::Content]),
            Some(Batch {
                reload: true,
                styles_only: false
            })
        );
    }
}
