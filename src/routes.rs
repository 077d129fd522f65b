//! Where every output lives: the one place that turns a kind of page and its key into a
//! site path, in each language's tree, and a site path into an output file.
//!
//! Takes a tree's root (`/` for the default language, `/kk/` for another, see
//! [`crate::config::Config::language_root`]) and the page's key, gives site paths such as
//! `/kk/regions/atyrau/page/2/`; [`output_file`] gives the file that serves a path.

use serde::Serialize;

/// The root of a language's tree: `/` for the site's default language, `/<lang>/` otherwise.
pub fn tree_root(lang: &str, default_lang: &str) -> String {
    if lang == default_lang {
        "/".to_string()
    } else {
        format!("/{lang}/")
    }
}

/// Page `number` of the list at `base`: the list's own path for page 1, `<base>page/N/` after.
pub fn list_page(base: &str, number: usize) -> String {
    if number <= 1 {
        base.to_string()
    } else {
        format!("{base}page/{number}/")
    }
}

/// An article: `<root>news/YYYY/MM/<slug>/`.
pub fn article(root: &str, year: i16, month: i8, slug: &str) -> String {
    format!("{root}news/{year}/{month:02}/{slug}/")
}

/// A standalone page: `<root><slug>/`.
pub fn page(root: &str, slug: &str) -> String {
    format!("{root}{slug}/")
}

/// The regions index.
pub fn regions(root: &str) -> String {
    format!("{root}regions/")
}

/// One region's list (page 1).
pub fn region(root: &str, slug: &str) -> String {
    format!("{root}regions/{slug}/")
}

/// One region's Atom feed.
pub fn region_feed(root: &str, slug: &str) -> String {
    format!("{root}regions/{slug}/atom.xml")
}

/// The archive index.
pub fn archive(root: &str) -> String {
    format!("{root}archive/")
}

/// One year of the archive.
pub fn archive_year(root: &str, year: i16) -> String {
    format!("{root}archive/{year}/")
}

/// One month of the archive.
pub fn archive_month(root: &str, year: i16, month: i8) -> String {
    format!("{root}archive/{year}/{month:02}/")
}

/// The tags index.
pub fn tags(root: &str) -> String {
    format!("{root}tags/")
}

/// One tag's list (page 1).
pub fn tag(root: &str, slug: &str) -> String {
    format!("{root}tags/{slug}/")
}

/// A tree's search page; its search bundle is in `pagefind/` beside it
/// ([`crate::search::bundle_dir`]).
pub fn search(root: &str) -> String {
    format!("{root}search/")
}

/// The polls index.
pub fn polls(root: &str) -> String {
    format!("{root}polls/")
}

/// One poll's page.
pub fn poll(root: &str, id: &str) -> String {
    format!("{root}polls/{id}/")
}

/// Every poll's public definition, one file for the whole site.
pub const POLL_INDEX: &str = "/polls/index.json";
/// The sitemap.
pub const SITEMAP: &str = "/sitemap.xml";
/// robots.txt.
pub const ROBOTS: &str = "/robots.txt";

/// A tree's Atom feed.
pub fn atom(root: &str) -> String {
    format!("{root}atom.xml")
}

/// A tree's RSS feed.
pub fn rss(root: &str) -> String {
    format!("{root}rss.xml")
}

/// A tree's not-found page.
pub fn not_found(root: &str) -> String {
    format!("{root}404.html")
}

/// The paths every page of a tree links to, for templates (`urls.archive` and so on):
/// templates receive these instead of assembling paths.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TreeUrls {
    pub home: String,
    pub regions: String,
    pub archive: String,
    pub tags: String,
    pub polls: String,
    pub atom: String,
    pub rss: String,
    /// The search page, when the site has search (`None` until the build publishes one: the
    /// header's search box shows only then).
    pub search: Option<String>,
}

impl TreeUrls {
    /// The links of the tree rooted at `root`.
    pub fn new(root: &str) -> TreeUrls {
        TreeUrls {
            home: root.to_string(),
            regions: regions(root),
            archive: archive(root),
            tags: tags(root),
            polls: polls(root),
            atom: atom(root),
            rss: rss(root),
            search: None,
        }
    }

    /// The same links, with the tree's search page: for a build that publishes one.
    pub fn with_search(self, root: &str) -> TreeUrls {
        TreeUrls {
            search: Some(search(root)),
            ..self
        }
    }
}

/// The output file for a site path: `/a/b/` -> `a/b/index.html`, `/atom.xml` -> `atom.xml`,
/// `/old/path` -> `old/path/index.html`.
pub fn output_file(site_path: &str) -> String {
    let trimmed = site_path.trim_start_matches('/');
    if trimmed.is_empty() || trimmed.ends_with('/') {
        format!("{trimmed}index.html")
    } else if trimmed
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
    {
        trimmed.to_string()
    } else {
        format!("{trimmed}/index.html")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_in_each_tree() {
        let kk = tree_root("kk", "en");
        assert_eq!(kk, "/kk/");
        assert_eq!(tree_root("en", "en"), "/");
        assert_eq!(article(&kk, 2020, 3, "a"), "/kk/news/2020/03/a/");
        assert_eq!(
            list_page(&region("/", "atyrau"), 2),
            "/regions/atyrau/page/2/"
        );
        assert_eq!(list_page(&tag("/ru/", "masks"), 1), "/ru/tags/masks/");
        assert_eq!(archive_month("/", 2020, 3), "/archive/2020/03/");
        assert_eq!(region_feed("/kk/", "abai"), "/kk/regions/abai/atom.xml");
        assert_eq!(TreeUrls::new("/ru/").archive, "/ru/archive/");
    }

    #[test]
    fn output_files() {
        assert_eq!(output_file("/"), "index.html");
        assert_eq!(output_file("/news/2020/03/a/"), "news/2020/03/a/index.html");
        assert_eq!(output_file("/atom.xml"), "atom.xml");
        assert_eq!(output_file("/kk/404.html"), "kk/404.html");
        assert_eq!(output_file("/old/path"), "old/path/index.html");
    }
}
