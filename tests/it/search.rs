//! Search as the build publishes it: a search page and a bundle per language tree, the
//! header's search box, what the bundles hold (read back from their fragments), `search:
//! false`, and an edit rebuilding only its own language's bundle. Queries themselves run in
//! the browser tests (`tests/browser/search.rs`).

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use crate::util::{Fixture, SITE_YAML};

fn site() -> Fixture {
    let site = Fixture::new();
    site.article(
        "masks.md",
        "title: Volunteers distribute masks\ndate: 2020-03-26\nregion: atyrau",
        "Volunteers sewed masks.",
    )
    .article(
        "maska.kk.md",
        "title: Маска таратты\ndate: 2020-03-26\nlang: kk\nslug: maska\nregion: atyrau",
        "Еріктілер маскалар таратты.",
    )
    .article(
        "maski.ru.md",
        "title: Маски бесплатно\ndate: 2020-03-26\nlang: ru\nslug: maski",
        "Волонтёры раздали маски.",
    )
    .article(
        "plan.md",
        "title: A plan not yet published\ndate: 2020-03-27\ndraft: true",
        "Secret.",
    )
    .file(
        "content/pages/about.md",
        "---\ntitle: About the Assembly\n---\nThe Assembly of People of Kazakhstan.\n",
    );
    site
}

/// The site paths of the pages a tree's bundle holds, read from its fragments.
fn indexed_urls(public: &Path, root: &str) -> BTreeSet<String> {
    let dir = public.join(format!("{root}search/pagefind/fragment"));
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return BTreeSet::new();
    };
    entries
        .map(|entry| {
            let bytes = std::fs::read(entry.expect("an entry").path()).expect("a fragment");
            let mut text = String::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut text)
                .expect("a gzipped fragment");
            let json = text
                .strip_prefix("pagefind_dcd")
                .expect("Pagefind's marker");
            let fragment: serde_json::Value = serde_json::from_str(json).expect("JSON");
            fragment["url"].as_str().expect("a URL").to_string()
        })
        .collect()
}

fn set(urls: &[&str]) -> BTreeSet<String> {
    urls.iter().map(|u| u.to_string()).collect()
}

#[test]
fn every_tree_gets_a_search_page_and_its_own_bundle() {
    let site = site();
    site.build(&[]);
    for (root, lang) in [("", "en"), ("kk/", "kk"), ("ru/", "ru")] {
        let page = site.html(&format!("{root}search/index.html"));
        assert_eq!(
            page.attrs("[data-search-results]", "data-lang"),
            [lang],
            "{root}search/"
        );
        assert_eq!(page.attrs("meta[name=robots]", "content"), ["noindex"]);
        assert_eq!(
            page.count("search form input[name=q]"),
            1,
            "the page's form"
        );
        assert!(
            site.exists(&format!("{root}search/pagefind/pagefind-entry.json")),
            "{root}: the bundle's entry"
        );
    }
    let public = site.public();
    assert_eq!(
        indexed_urls(&public, ""),
        set(&["/about/", "/news/2020/03/volunteers-distribute-masks/"]),
        "English: published articles and pages, no draft"
    );
    assert_eq!(
        indexed_urls(&public, "kk/"),
        set(&["/kk/news/2020/03/maska/"])
    );
    assert_eq!(
        indexed_urls(&public, "ru/"),
        set(&["/ru/news/2020/03/maski/"])
    );
    let sitemap = site.read("sitemap.xml");
    assert!(!sitemap.contains("/search/"), "search pages stay out");
}

#[test]
fn the_header_has_a_search_box_that_is_a_plain_get_form() {
    let site = site();
    site.build(&[]);
    for (page, action) in [
        ("index.html", "https://example.kz/search/"),
        ("kk/index.html", "https://example.kz/kk/search/"),
        ("about/index.html", "https://example.kz/search/"),
    ] {
        let html = site.html(page);
        assert_eq!(
            html.attrs("header search form", "action"),
            [action],
            "{page}"
        );
        assert_eq!(html.attrs("header search form", "method"), ["get"]);
        assert_eq!(html.attrs("header search form input", "name"), ["q"]);
        assert_eq!(
            html.count("script[src$='search.js']"),
            0,
            "{page}: no search code"
        );
    }
    let search = site.html("search/index.html");
    assert_eq!(search.count("header search form"), 0, "no second box");
    assert_eq!(search.count("script[src$='search.js']"), 1);
}

#[test]
fn search_false_publishes_no_search() {
    let site = site();
    site.file("site.yaml", &format!("{SITE_YAML}search: false\n"));
    site.build(&[]);
    for root in ["", "kk/", "ru/"] {
        assert!(!site.exists(&format!("{root}search")), "{root}search/");
    }
    assert_eq!(site.html("index.html").count("header search form"), 0);
    assert!(!site.exists("search.js"), "the search code is left out too");
    let published: Vec<String> = walkdir::WalkDir::new(site.public())
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let rel = e.path().strip_prefix(site.public()).ok()?;
            Some(rel.display().to_string())
        })
        .filter(|p| p.contains("search") || p.contains("pagefind"))
        .collect();
    assert_eq!(published, Vec::<String>::new());
}

/// The modification times of a tree's bundle files.
fn bundle_times(public: &Path, root: &str) -> Vec<(String, std::time::SystemTime)> {
    let dir = public.join(format!("{root}search/pagefind"));
    let mut times: Vec<_> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let time = e.metadata().expect("metadata").modified().expect("a time");
            (e.path().display().to_string(), time)
        })
        .collect();
    times.sort();
    times
}

#[test]
fn an_edit_rebuilds_the_bundle_of_its_language_alone() {
    let site = site();
    site.build(&[]);
    let public = site.public();
    let en = bundle_times(&public, "");
    let ru = bundle_times(&public, "ru/");
    std::thread::sleep(std::time::Duration::from_millis(20));
    site.article(
        "maska.kk.md",
        "title: Маска таратты\ndate: 2020-03-26\nlang: kk\nslug: maska\nregion: atyrau",
        "Еріктілер маскалар мен қолғаптар таратты.",
    );
    site.build(&[]);
    assert_eq!(
        bundle_times(&public, ""),
        en,
        "the English bundle is untouched"
    );
    assert_eq!(
        bundle_times(&public, "ru/"),
        ru,
        "the Russian bundle is untouched"
    );
    assert_eq!(
        indexed_urls(&public, "kk/"),
        set(&["/kk/news/2020/03/maska/"])
    );
    let cached = crate::util::snapshot(&public);
    site.build(&["--no-cache"]);
    assert!(
        cached == crate::util::snapshot(&public),
        "the cached build equals a clean one"
    );
}

/// An editor's way: `birge build` run inside the site's folder without `--root`, then again
/// over the first output: the search bundles land in the site's `public/`, and the second
/// build (through the build cache) leaves every file as the first wrote it.
#[test]
fn builds_in_the_sites_folder_without_root_keep_their_bundles() {
    let site = site();
    let build_here = || {
        let out = std::process::Command::new(crate::util::BIRGE)
            .arg("build")
            .current_dir(site.root())
            .output()
            .expect("birge runs");
        assert!(
            out.status.success(),
            "build failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    build_here();
    let first = crate::util::snapshot(&site.public());
    assert_eq!(
        indexed_urls(&site.public(), "kk/"),
        set(&["/kk/news/2020/03/maska/"])
    );
    build_here();
    assert!(site.root().join(".birge-cache").is_dir());
    assert_eq!(crate::util::snapshot(&site.public()), first);
}
