//! Checks that the local files articles and pages point at are published: the lead image
//! (`image:`), Markdown images, and Markdown links into a bundle or to a file path of the site.
//!
//! Takes the published articles and pages with the references found in their bodies and the
//! site paths of every file the build publishes ([`SiteFiles`]: static files of the site and
//! its theme, files of article bundles), gives problems located at each reference with a hint
//! naming the nearest existing file. Paths are resolved as a browser resolves them against the
//! page's URL and compared case-sensitively, as a web server compares them, against folder
//! listings (never `Path::exists`, which ignores case on macOS and Windows). Links to pages
//! and to the files birge writes itself (feeds, `polls/index.json`, redirects) are not checked.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::diagnostics::{Problem, did_you_mean};
use crate::images::{Format, ImageSet};
use crate::markdown::{Reference, Rendered, has_scheme};
use crate::yaml;

use super::{Article, Page, front_matter, relative};

/// The site paths (without their leading `/`) of the files a build publishes besides the
/// pages it renders, and what it needs to tell a link to a page from a link to a file.
#[derive(Debug, Default)]
pub struct SiteFiles {
    files: HashSet<String>,
    /// The static files among them (site and theme), for suggestions of site paths.
    statics: Vec<String>,
    /// Old paths that get redirect pages, as written without their leading `/`.
    aliases: HashSet<String>,
    /// Languages whose trees live under `/<lang>/`.
    prefixed_languages: Vec<String>,
    /// The photos of article bundles, which are published only as their variants: each
    /// one's path with the site path of its largest variant in its own format, when its
    /// size could be read.
    photos: HashMap<String, Option<String>>,
}

/// Folders of the site that birge writes itself or that belong to the vote service.
const GENERATED_FOLDERS: &[&str] = &["api", "search", "pagefind"];

impl SiteFiles {
    /// The files of a build: `static_files` are the theme's static files with the site's
    /// `static/` on top, by output path (`style.css`); bundles are listed from disk.
    pub fn new(
        static_files: impl IntoIterator<Item = String>,
        articles: &[Article],
        pages: &[Page],
        config: &Config,
        image_widths: &[u32],
    ) -> Self {
        let statics: Vec<String> = static_files.into_iter().collect();
        let mut files: HashSet<String> = statics.iter().cloned().collect();
        let mut photos = HashMap::new();
        for article in articles {
            if let Some(dir) = &article.bundle_dir {
                let base = article.path.trim_start_matches('/');
                for (rel, _) in bundle_files(dir) {
                    let path = format!("{base}{rel}");
                    if Format::of(&rel).is_some() {
                        let largest = article.bundle_images.get(&rel).and_then(|&size| {
                            ImageSet::of(&format!("/{path}"), size, image_widths, false)
                        });
                        photos.insert(path.clone(), largest.map(|set| set.src));
                    }
                    files.insert(path);
                }
            }
        }
        let aliases = articles
            .iter()
            .flat_map(|a| &a.aliases)
            .chain(pages.iter().flat_map(|p| &p.aliases))
            .map(|alias| alias.trim_start_matches('/').to_string())
            .collect();
        SiteFiles {
            files,
            statics,
            aliases,
            prefixed_languages: config
                .languages
                .iter()
                .filter(|l| **l != config.language)
                .cloned()
                .collect(),
            photos,
        }
    }

    /// Whether a link to `path` (resolved, without its leading `/`) that is not among the
    /// files is checked: a page (a path ending in `/` or without an extension) and the files
    /// birge writes itself are not.
    fn checks_link_to(&self, path: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or_default();
        let has_extension = name.rfind('.').is_some_and(|dot| dot > 0);
        has_extension && !self.is_generated(path)
    }

    /// Whether birge writes a file at `path` (or the vote service answers there).
    fn is_generated(&self, path: &str) -> bool {
        if self.aliases.contains(path) {
            return true;
        }
        let in_tree = match path.split_once('/') {
            Some((first, rest)) if self.prefixed_languages.iter().any(|l| l == first) => rest,
            _ => path,
        };
        let first = in_tree.split('/').next().unwrap_or_default();
        let name = in_tree.rsplit('/').next().unwrap_or_default();
        GENERATED_FOLDERS.contains(&first)
            || name.ends_with(".html")
            || matches!(name, "atom.xml" | "rss.xml")
            || in_tree == "polls/index.json"
            || matches!(in_tree, "robots.txt" | "highlight.css")
            || (!in_tree.contains('/') && in_tree.starts_with("sitemap") && name.ends_with(".xml"))
    }

    /// The existing file a missing `path` most likely meant, and whether only its case
    /// differs: in the same folder first, then (for site paths) among the static files.
    fn nearest(&self, path: &str, anywhere: bool) -> Option<(String, bool)> {
        let (folder, name) = split_name(path);
        // Sorted, so that the suggestion does not depend on the set's order.
        let mut in_folder: Vec<&str> = self
            .files
            .iter()
            .filter_map(|file| {
                let (f, n) = split_name(file);
                (f == folder).then_some(n)
            })
            .collect();
        in_folder.sort_unstable();
        let join = |n: &str| format!("{folder}{n}");
        if let Some(same) = in_folder
            .iter()
            .find(|n| n.to_lowercase() == name.to_lowercase())
        {
            return Some((join(same), true));
        }
        if let Some(close) = did_you_mean(name, in_folder.iter().copied()) {
            return Some((join(close), false));
        }
        if !anywhere {
            return None;
        }
        let lower = path.to_lowercase();
        if let Some(same) = self
            .files
            .iter()
            .filter(|f| f.to_lowercase() == lower)
            .min()
        {
            return Some((same.clone(), true));
        }
        // By name only: whole paths share long prefixes, which makes any two look alike.
        let lower_name = name.to_lowercase();
        if let Some(moved) = self
            .statics
            .iter()
            .find(|f| split_name(f).1.to_lowercase() == lower_name)
        {
            return Some((moved.clone(), false));
        }
        let close = did_you_mean(name, self.statics.iter().map(|f| split_name(f).1))?;
        self.statics
            .iter()
            .find(|f| split_name(f).1 == close)
            .map(|f| (f.clone(), false))
    }
}

/// The files of an article bundle that are published beside its page, by their path
/// relative to the bundle's folder: every file but Markdown and hidden ones.
pub fn bundle_files(dir: &Path) -> Vec<(String, PathBuf)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| {
            entry.file_type().is_file()
                && entry.path().extension().is_none_or(|e| e != "md")
                && !entry.file_name().to_string_lossy().starts_with('.')
        })
        .map(|entry| (relative(dir, entry.path()), entry.into_path()))
        .collect()
}

/// Who points at files: an article or a page.
struct Referrer<'a> {
    root: &'a Path,
    /// The file, relative to the site root.
    source: &'a str,
    /// The site path of its page, against which relative paths resolve.
    path: &'a str,
    /// An article bundle's folder.
    bundle: Option<&'a Path>,
    /// Whether it is a standalone page (pages have no folder of their own).
    is_page: bool,
}

/// Where a reference is written.
#[derive(Clone, Copy)]
enum Written<'a> {
    /// In the body, at a line and column of the file.
    Body(usize, usize),
    /// As the value of a front-matter key.
    FrontMatter(&'a str),
}

/// The problems of an article's lead image and of the images and links of its body.
pub fn check_article(
    root: &Path,
    article: &Article,
    references: &[Reference],
    files: &SiteFiles,
) -> Vec<Problem> {
    let referrer = Referrer {
        root,
        source: &article.source,
        path: &article.path,
        bundle: article.bundle_dir.as_deref(),
        is_page: false,
    };
    let lead = article
        .image
        .as_ref()
        .and_then(|image| referrer.check(&image.src, true, Written::FrontMatter("image"), files));
    lead.into_iter()
        .chain(referrer.check_body(references, files))
        .collect()
}

/// The problems of a page's lead image and of the images and links of its body.
pub fn check_page(
    root: &Path,
    page: &Page,
    rendered: &Rendered,
    files: &SiteFiles,
) -> Vec<Problem> {
    let referrer = Referrer {
        root,
        source: &page.source,
        path: &page.path,
        bundle: None,
        is_page: true,
    };
    let lead = page
        .image
        .as_ref()
        .and_then(|image| referrer.check(&image.src, true, Written::FrontMatter("image"), files));
    lead.into_iter()
        .chain(referrer.check_body(&rendered.references, files))
        .collect()
}

impl Referrer<'_> {
    fn check_body(&self, references: &[Reference], files: &SiteFiles) -> Vec<Problem> {
        references
            .iter()
            .filter(|r| !r.raw_html)
            .filter_map(|r| self.check(&r.dest, r.image, Written::Body(r.line, r.column), files))
            .collect()
    }

    /// The problem with one image or link, if any.
    fn check(&self, dest: &str, image: bool, at: Written, files: &SiteFiles) -> Option<Problem> {
        let written = dest.trim();
        if written.is_empty() {
            return image.then(|| self.empty_image(at));
        }
        if has_scheme(written) || written.starts_with("//") || written.starts_with('#') {
            return None;
        }
        let path_part = written.split(['?', '#']).next().unwrap_or_default();
        let path = resolve(self.path, &percent_decode(path_part));
        if let Some(largest) = files.photos.get(&path) {
            return self.check_photo(written, path_part, &path, (image, at), largest.as_deref());
        }
        if files.files.contains(&path) || (!image && !files.checks_link_to(&path)) {
            return None;
        }
        let what = if image { "image" } else { "file" };
        let into_own_folder = path.starts_with(self.path.trim_start_matches('/'));
        if self.bundle.is_none() && into_own_folder && self.has_beside_source(path_part) {
            return Some(self.not_in_a_bundle(what, written, path_part, at));
        }
        let hint = match files.nearest(&path, written.starts_with('/')) {
            Some((near, case_only)) => {
                let suggestion = suggest(written, path_part, &path, &near, at);
                if case_only {
                    format!(
                        "did you mean `{suggestion}`? (file names are case-sensitive on a web server)"
                    )
                } else {
                    format!("did you mean `{suggestion}`?")
                }
            }
            None => self.where_to_put(&path, into_own_folder),
        };
        Some(
            self.problem(format!("{what} `{written}` does not exist"), at, written)
                .hint(hint),
        )
    }

    /// The problem with an image or link naming a bundle's photo, which is published only
    /// as its variants: pages show it, and link to its largest variant, when their own
    /// article names it by its path in the bundle; any other way names a file that is not
    /// published.
    fn check_photo(
        &self,
        written: &str,
        path_part: &str,
        path: &str,
        (image, at): (bool, Written),
        largest: Option<&str>,
    ) -> Option<Problem> {
        let own = self.path.trim_start_matches('/');
        let in_own_bundle = self.bundle.is_some()
            && path.starts_with(own)
            && super::bundle_key(&percent_decode(path_part)).is_some();
        if in_own_bundle {
            return None;
        }
        let what = if image { "image" } else { "file" };
        let hint = match largest {
            Some(_) if path.starts_with(own) && self.bundle.is_some() => format!(
                "write it as its article's own file, `{}`, and birge points at its variants",
                &path[own.len()..]
            ),
            Some(largest) => {
                format!("show it from its own article, or link to its largest variant, `{largest}`")
            }
            None => "show it from its own article, written as the bundle's file".to_string(),
        };
        Some(
            self.problem(
                format!("{what} `{written}` is a photo that is published only as resized variants"),
                at,
                written,
            )
            .hint(hint),
        )
    }

    fn problem(&self, message: String, at: Written, value: &str) -> Problem {
        let position = match at {
            Written::Body(line, column) => Some((line, column)),
            Written::FrontMatter(key) => front_matter_position(self.root, self.source, key, value),
        };
        Problem::new(self.source, message).at_opt(position)
    }

    fn empty_image(&self, at: Written) -> Problem {
        match at {
            Written::FrontMatter(key) => self
                .problem(format!("`{key}` is empty"), at, "")
                .hint(format!("write the image's file name, e.g. `{key}: sewing.jpg`, or remove the line")),
            Written::Body(..) => self
                .problem("an image with no file".to_string(), at, "")
                .hint("write the image's file name between the parentheses, e.g. `![Volunteers sewing masks](sewing.jpg)`"),
        }
    }

    /// Whether a file of this relative path stands beside the Markdown file (compared by
    /// the folder's listing, so case counts).
    fn has_beside_source(&self, path_part: &str) -> bool {
        let decoded = percent_decode(path_part);
        let rel = decoded.trim_start_matches("./");
        let Some(folder) = self.root.join(self.source).parent().map(Path::to_path_buf) else {
            return false;
        };
        let (sub, name) = split_name(rel);
        std::fs::read_dir(folder.join(sub))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .any(|e| e.file_name().to_str() == Some(name))
            })
            .unwrap_or(false)
    }

    /// A file beside a single-file article or a page: it is not published.
    fn not_in_a_bundle(&self, what: &str, written: &str, path_part: &str, at: Written) -> Problem {
        let name = split_name(path_part).1;
        let hint = if self.is_page {
            format!(
                "pages have no folder of their own: put the file under static/ and write its site path, e.g. `/{name}`"
            )
        } else {
            format!(
                "only an article bundle publishes its files: move this article to {} and keep `{path_part}` beside it, or put the file under static/ and write `/{name}`",
                bundle_path_for(self.source)
            )
        };
        self.problem(
            format!(
                "{what} `{written}` is not published: files beside a single-file {} are not copied",
                if self.is_page { "page" } else { "article" }
            ),
            at,
            written,
        )
        .hint(hint)
    }

    /// Where a missing file should go, when no existing file is close.
    fn where_to_put(&self, path: &str, into_own_folder: bool) -> String {
        let name = split_name(path).1;
        match (self.bundle, into_own_folder) {
            (Some(bundle), true) => {
                let rel = &path[self.path.trim_start_matches('/').len()..];
                format!(
                    "put `{rel}` in the article's folder {}/, or correct the name",
                    relative(self.root, bundle)
                )
            }
            (None, true) if self.is_page => format!(
                "pages have no folder of their own: put the file under static/ and write its site path, e.g. `/{name}`"
            ),
            (None, true) => format!(
                "only an article bundle has files of its own: move this article to {} and put `{name}` beside it, or put the file under static/ and write `/{name}`",
                bundle_path_for(self.source)
            ),
            _ => format!(
                "files under static/ are published at the site's root: put it at static/{path}, or correct the path"
            ),
        }
    }
}

/// `content/news/2020/03/x.md` as a bundle: `content/news/2020/03/x/index.md`.
fn bundle_path_for(source: &str) -> String {
    format!("{}/index.md", source.trim_end_matches(".md"))
}

/// The existing file `near` written the way the editor wrote the missing one: the same
/// relative form when it is in the same folder, else a site path.
fn suggest(written: &str, path_part: &str, path: &str, near: &str, at: Written) -> String {
    let (near_folder, near_name) = split_name(near);
    let name = match at {
        // Markdown destinations end at a space; a URL writes it as %20.
        Written::Body(..) => Cow::Owned(near_name.replace('%', "%25").replace(' ', "%20")),
        Written::FrontMatter(_) => Cow::Borrowed(near_name),
    };
    if near_folder == split_name(path).0 && !written.starts_with('/') {
        let (written_folder, _) = split_name(path_part);
        format!("{written_folder}{name}")
    } else {
        format!("/{near_folder}{name}")
    }
}

/// A path cut after its last `/`: (folder with its trailing `/`, name).
fn split_name(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(at) => (&path[..=at], &path[at + 1..]),
        None => ("", path),
    }
}

/// The site path (without its leading `/`) a local image or link destination of the page at
/// `base` names, as a browser resolves it and a web server decodes it (query and fragment
/// cut); `None` for URLs, protocol-relative and `data:` ones and fragments alone.
pub fn site_path_of(base: &str, dest: &str) -> Option<String> {
    let written = dest.trim();
    if written.is_empty()
        || has_scheme(written)
        || written.starts_with("//")
        || written.starts_with('#')
        || written.starts_with("data:")
    {
        return None;
    }
    let path_part = written.split(['?', '#']).next().unwrap_or_default();
    Some(resolve(base, &percent_decode(path_part)))
}

/// `path` resolved against the page at `base` as a browser does (`.` and `..` segments
/// applied, never above the root), without its leading `/`.
fn resolve(base: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(format!("{base}{path}"))
    };
    let is_folder = joined.ends_with('/') || joined.ends_with("/.") || joined.ends_with("/..");
    let mut parts: Vec<&str> = Vec::new();
    for segment in joined.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let mut resolved = parts.join("/");
    if is_folder && !resolved.is_empty() {
        resolved.push('/');
    }
    resolved
}

/// `%XX` escapes decoded, as a web server decodes a request's path; text that does not
/// decode to UTF-8 is kept as written.
pub fn percent_decode(text: &str) -> Cow<'_, str> {
    if !text.contains('%') {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_or(Cow::Borrowed(text), Cow::Owned)
}

/// Where `key: value` stands in the front matter of `source`, read again from the file:
/// only needed when there is a problem to report.
fn front_matter_position(
    root: &Path,
    source: &str,
    key: &str,
    value: &str,
) -> Option<(usize, usize)> {
    let text = std::fs::read_to_string(root.join(source)).ok()?;
    let split = front_matter::split(source, &text).ok()?;
    let position = if value.is_empty() {
        yaml::key_position(split.yaml, key)
    } else {
        yaml::value_position(split.yaml, key, value)
    };
    position.map(|(line, column)| (line + 1, column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_as_in_a_browser() {
        let base = "/news/2020/03/sewing/";
        assert_eq!(resolve(base, "photo.jpg"), "news/2020/03/sewing/photo.jpg");
        assert_eq!(
            resolve(base, "./img/a.png"),
            "news/2020/03/sewing/img/a.png"
        );
        assert_eq!(resolve(base, "../masks/a.png"), "news/2020/03/masks/a.png");
        assert_eq!(resolve(base, "../../../../../../x.png"), "x.png");
        assert_eq!(resolve(base, "/files//report.pdf"), "files/report.pdf");
        assert_eq!(resolve(base, "../"), "news/2020/03/");
        assert_eq!(resolve("/about/", "/"), "");
    }

    #[test]
    fn site_paths_of_destinations_are_resolved_and_decoded() {
        let base = "/about/";
        assert_eq!(
            site_path_of(base, "/photos/a%20b.jpg?v=2#top").as_deref(),
            Some("photos/a b.jpg")
        );
        assert_eq!(
            site_path_of(base, "../photos/a.jpg").as_deref(),
            Some("photos/a.jpg")
        );
        assert_eq!(site_path_of(base, "a.jpg").as_deref(), Some("about/a.jpg"));
        for other in [
            "https://x.kz/a.jpg",
            "//x.kz/a.jpg",
            "#top",
            "data:image/png;base64,AA",
            " ",
        ] {
            assert_eq!(site_path_of(base, other), None, "{other}");
        }
    }

    #[test]
    fn percent_escapes_are_decoded() {
        assert_eq!(percent_decode("my%20photo.jpg"), "my photo.jpg");
        assert_eq!(percent_decode("%D0%B0.png"), "а.png");
        assert_eq!(percent_decode("100%.png"), "100%.png");
        assert_eq!(percent_decode("%ff.png"), "%ff.png");
    }

    #[test]
    fn generated_files_are_not_checked_as_links() {
        let files = SiteFiles {
            aliases: HashSet::from(["old.php".to_string()]),
            prefixed_languages: vec!["kk".into(), "ru".into()],
            ..SiteFiles::default()
        };
        for generated in [
            "atom.xml",
            "kk/rss.xml",
            "regions/atyrau/atom.xml",
            "polls/index.json",
            "news/2020/03/a/index.html",
            "sitemap.xml",
            "robots.txt",
            "old.php",
            "api/polls/x",
        ] {
            assert!(!files.checks_link_to(generated), "{generated}");
        }
        for page in ["about/", "news/2020/03/a", ""] {
            assert!(!files.checks_link_to(page), "{page}");
        }
        for file in [
            "files/report.pdf",
            "news/2020/03/a/photo.jpg",
            "kk/files/a.docx",
        ] {
            assert!(files.checks_link_to(file), "{file}");
        }
    }

    #[test]
    fn the_nearest_file_prefers_the_same_name_in_another_case() {
        let files = SiteFiles {
            files: HashSet::from([
                "news/a/sewing.jpg".to_string(),
                "news/a/sewing2.jpg".to_string(),
                "logo.png".to_string(),
            ]),
            statics: vec!["logo.png".to_string()],
            ..SiteFiles::default()
        };
        assert_eq!(
            files.nearest("news/a/Sewing.JPG", false),
            Some(("news/a/sewing.jpg".to_string(), true))
        );
        assert_eq!(
            files.nearest("news/a/sewin.jpg", false),
            Some(("news/a/sewing.jpg".to_string(), false))
        );
        assert_eq!(files.nearest("news/b/zzz.jpg", false), None);
        assert_eq!(
            files.nearest("Logo.PNG", true),
            Some(("logo.png".to_string(), true))
        );
        assert_eq!(
            files.nearest("img/logo.png", true),
            Some(("logo.png".to_string(), false))
        );
        assert_eq!(
            files.nearest("img/logo.pgn", true),
            Some(("logo.png".to_string(), false))
        );
    }
}
