//! What the web expects of the pages, checked offline over built sites: every internal link
//! and asset resolves, feeds and the sitemap carry their specs' required elements, articles
//! carry news metadata (canonical URL, description, Open Graph, Twitter card, schema.org
//! JSON-LD) escaped correctly, lists link their pages with `rel=prev/next`, and pages stay
//! lean (no third-party resources, small CSS and JS, sized images).
//!
//! The validators themselves (the Nu HTML Checker, axe-core in Chromium) run in
//! `scripts/validate.sh`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use scraper::{Html, Selector};
use serde_json::Value;

use super::util::{self, Fixture, Page, SAMPLE_BASE, sample};

const ATOM: &str = "http://www.w3.org/2005/Atom";

/// Every file under `dir`, as paths relative to it with `/` separators, sorted.
fn files(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn sel(selector: &str) -> Selector {
    Selector::parse(selector).unwrap()
}

fn parse(out: &Path, rel: &str) -> Html {
    Html::parse_document(&std::fs::read_to_string(out.join(rel)).unwrap())
}

/// The site path of an output file: `a/index.html` -> `/a/`, `404.html` -> `/404.html`.
fn site_path(rel: &str) -> String {
    match rel.strip_suffix("index.html") {
        Some(dir) => format!("/{dir}"),
        None => format!("/{rel}"),
    }
}

/// Where a link points, seen from the page at site path `page`: `Some(site path)` for
/// internal links (under `base`, root-relative or relative), `None` for other sites and
/// schemes. Query and fragment are kept.
fn internal(link: &str, page: &str, base: &str) -> Option<String> {
    let link = link.trim();
    if let Some(rest) = link.strip_prefix(base) {
        return match rest.chars().next() {
            None => Some("/".into()),
            Some('/' | '?' | '#') => Some(if rest.starts_with('/') {
                rest.to_string()
            } else {
                format!("/{rest}")
            }),
            _ => None, // https://assembly.example.kz.evil/ is another site
        };
    }
    if link.starts_with("//") {
        return None;
    }
    let scheme = link.find(':').filter(|&i| {
        link[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if scheme.is_some() {
        return None;
    }
    if link.starts_with('/') {
        return Some(link.to_string());
    }
    if link.starts_with('#') || link.starts_with('?') {
        return Some(format!("{}{link}", page));
    }
    // Relative: against the page's folder, `..` resolved.
    let folder = &page[..page.rfind('/').unwrap() + 1];
    let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    let (path, tail) = match link.find(['?', '#']) {
        Some(i) => (&link[..i], &link[i..]),
        None => (link, ""),
    };
    for part in path.split('/') {
        match part {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let trailing = if path.ends_with('/') && !parts.is_empty() {
        "/"
    } else {
        ""
    };
    Some(format!("/{}{trailing}{tail}", parts.join("/")))
}

/// Percent-decoding of a URL path.
fn decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The output file a site path is served from, if there is one.
fn resolve(out: &Path, path: &str) -> Option<String> {
    let path = decode(path);
    let rel = path.trim_start_matches('/');
    let candidates = if rel.is_empty() || rel.ends_with('/') {
        vec![format!("{rel}index.html")]
    } else {
        vec![rel.to_string(), format!("{rel}/index.html")]
    };
    candidates.into_iter().find(|c| out.join(c).is_file())
}

/// The links and resources of one HTML page: (what, value) pairs.
fn page_links(doc: &Html) -> Vec<(String, String)> {
    let mut links = Vec::new();
    for (selector, attr) in [
        ("a[href]", "href"),
        ("area[href]", "href"),
        ("link[href]", "href"),
        ("img[src]", "src"),
        ("script[src]", "src"),
        ("source[src]", "src"),
        ("iframe[src]", "src"),
        ("video[src]", "src"),
        ("audio[src]", "src"),
        ("video[poster]", "poster"),
        ("object[data]", "data"),
        ("embed[src]", "src"),
    ] {
        for el in doc.select(&sel(selector)) {
            let value = el.value().attr(attr).unwrap().to_string();
            links.push((format!("<{} {attr}>", el.value().name()), value));
        }
    }
    for (selector, attr) in [("img[srcset]", "srcset"), ("source[srcset]", "srcset")] {
        for el in doc.select(&sel(selector)) {
            for candidate in el.value().attr(attr).unwrap().split(',') {
                if let Some(url) = candidate.split_whitespace().next() {
                    links.push((format!("<{} {attr}>", el.value().name()), url.to_string()));
                }
            }
        }
    }
    // Redirect pages: <meta http-equiv="refresh" content="0; url=...">.
    for el in doc.select(&sel("meta[http-equiv]")) {
        if el
            .value()
            .attr("http-equiv")
            .is_some_and(|v| v.eq_ignore_ascii_case("refresh"))
            && let Some(content) = el.value().attr("content")
            && let Some(i) = content.to_ascii_lowercase().find("url=")
        {
            links.push((
                "<meta refresh>".into(),
                content[i + 4..].trim_matches(['\'', '"', ' ']).to_string(),
            ));
        }
    }
    links
}

/// The ids (and `a name`s) of a page, for fragment links.
fn ids(doc: &Html) -> BTreeSet<String> {
    let mut ids: BTreeSet<String> = doc
        .select(&sel("[id]"))
        .map(|e| e.value().attr("id").unwrap().to_string())
        .collect();
    ids.extend(
        doc.select(&sel("a[name]"))
            .map(|e| e.value().attr("name").unwrap().to_string()),
    );
    ids
}

/// Every internal link of the output that does not resolve to a file (or to an element,
/// for a fragment), as "page: what value" lines. Links into `/api/` (the vote service,
/// not part of the static output) are left out; forms are not links.
fn broken_links(out: &Path, base: &str) -> (usize, Vec<String>) {
    let mut broken = Vec::new();
    let mut checked = 0;
    let mut id_cache: HashMap<String, BTreeSet<String>> = HashMap::new();
    let all = files(out);
    for rel in &all {
        let page = site_path(rel);
        let links: Vec<(String, String)> = if rel.ends_with(".html") {
            page_links(&parse(out, rel))
        } else if rel.ends_with(".xml") {
            xml_links(&std::fs::read_to_string(out.join(rel)).unwrap())
        } else {
            continue;
        };
        for (what, link) in links {
            let Some(target) = internal(&link, &page, base) else {
                continue;
            };
            let (path, fragment) = match target.split_once('#') {
                Some((p, f)) => (p.to_string(), Some(f.to_string())),
                None => (target.clone(), None),
            };
            let path = path.split('?').next().unwrap().to_string();
            if path.starts_with("/api/") {
                continue;
            }
            checked += 1;
            let Some(file) = resolve(out, &path) else {
                broken.push(format!("{rel}: {what} {link} (no file for {path})"));
                continue;
            };
            if let Some(fragment) = fragment.filter(|f| !f.is_empty())
                && file.ends_with(".html")
            {
                let ids = id_cache
                    .entry(file.clone())
                    .or_insert_with(|| ids(&parse(out, &file)));
                if !ids.contains(&decode(&fragment)) {
                    broken.push(format!("{rel}: {what} {link} (no #{fragment} in {file})"));
                }
            }
        }
    }
    (checked, broken)
}

/// The URLs of a feed or sitemap: `<link href>`, `<link>`, `<loc>`, `<id>`, `<guid>`.
fn xml_links(text: &str) -> Vec<(String, String)> {
    let doc = roxmltree::Document::parse(text).unwrap();
    let mut links = Vec::new();
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        if let Some(href) = node.attribute("href") {
            links.push((format!("<{name} href>"), href.to_string()));
        } else if matches!(name, "link" | "loc" | "id" | "guid" | "icon" | "logo")
            && let Some(text) = node.text()
        {
            links.push((format!("<{name}>"), text.trim().to_string()));
        }
    }
    links
}

#[test]
fn every_internal_link_of_the_sample_site_resolves() {
    let site = sample();
    let (checked, broken) = broken_links(&site.out, SAMPLE_BASE);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 1000, "only {checked} links were checked");
}

#[test]
fn the_link_checker_finds_broken_links() {
    let site = Fixture::new();
    site.article("a.md", "title: A\ndate: 2020-03-20", "Text.\n")
        .file("content/pages/about.md", "---\ntitle: About\n---\nAbout.\n")
        .file(
            "content/pages/links.md",
            "---\ntitle: Links\n---\n[ok](/news/2020/03/a/) [gone](/news/2020/03/gone/) [rel](../missing/) [frag](/news/2020/03/a/#nowhere) [top](#main) [other](https://other.example/x)\n",
        );
    site.build(&[]);
    let (_, broken) = broken_links(&site.public(), "https://example.kz");
    let broken: Vec<&str> = broken
        .iter()
        .filter(|b| b.starts_with("links/"))
        .map(String::as_str)
        .collect();
    assert_eq!(broken.len(), 3, "{broken:#?}");
    assert!(broken[0].contains("/news/2020/03/gone/"));
    // (a relative link to a page: `build` checks files, not pages)
    assert!(broken[1].contains("../missing/"));
    assert!(broken[2].contains("#nowhere"));
    assert_eq!(
        internal("../x/y.png?v=1#f", "/a/b/", "https://e.kz"),
        Some("/a/x/y.png?v=1#f".into())
    );
    assert_eq!(
        internal("https://e.kz", "/a/", "https://e.kz"),
        Some("/".into())
    );
    assert_eq!(internal("https://e.kz.evil/", "/", "https://e.kz"), None);
    assert_eq!(internal("mailto:a@e.kz", "/", "https://e.kz"), None);
    assert_eq!(internal("//cdn.example/x.js", "/", "https://e.kz"), None);
}

// ---------------------------------------------------------------------------------------
// Feeds and the sitemap.

fn child<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    ns: Option<&str>,
    name: &str,
) -> Vec<roxmltree::Node<'a, 'i>> {
    node.children()
        .filter(|c| c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == ns)
        .collect()
}

fn text_of(node: roxmltree::Node) -> String {
    node.text().unwrap_or("").trim().to_string()
}

fn is_rfc3339(text: &str) -> bool {
    text.parse::<jiff::Timestamp>().is_ok()
}

/// Checks an Atom feed against RFC 4287's required elements (feed: id, title, updated,
/// a self link and an author; every entry: id, title, updated, an alternate link and an
/// author), dates in RFC 3339, and that feed-rs reads it. Gives the entries' ids.
pub(super) fn check_atom(text: &str, feed_url: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(text).expect("atom is XML");
    let feed = doc.root_element();
    assert_eq!(feed.tag_name().name(), "feed");
    assert_eq!(feed.tag_name().namespace(), Some(ATOM));
    let ns = Some(ATOM);
    for name in ["id", "title", "updated"] {
        let found = child(feed, ns, name);
        assert_eq!(found.len(), 1, "{feed_url}: one feed <{name}>");
        assert!(!text_of(found[0]).is_empty(), "{feed_url}: empty <{name}>");
    }
    assert!(is_rfc3339(&text_of(child(feed, ns, "updated")[0])));
    let selfs: Vec<_> = child(feed, ns, "link")
        .into_iter()
        .filter(|l| l.attribute("rel") == Some("self"))
        .collect();
    assert_eq!(selfs.len(), 1, "{feed_url}: one self link");
    assert_eq!(selfs[0].attribute("href"), Some(feed_url));
    let feed_author = !child(feed, ns, "author").is_empty();
    let mut ids = Vec::new();
    for entry in child(feed, ns, "entry") {
        for name in ["id", "title", "updated"] {
            let found = child(entry, ns, name);
            assert_eq!(found.len(), 1, "{feed_url}: one entry <{name}>");
            assert!(!text_of(found[0]).is_empty());
        }
        let id = text_of(child(entry, ns, "id")[0]);
        assert!(id.starts_with("https://") || id.starts_with("tag:") || id.starts_with("urn:"));
        assert!(
            is_rfc3339(&text_of(child(entry, ns, "updated")[0])),
            "{id}: updated"
        );
        for published in child(entry, ns, "published") {
            assert!(is_rfc3339(&text_of(published)), "{id}: published");
        }
        let alternates: Vec<_> = child(entry, ns, "link")
            .into_iter()
            .filter(|l| l.attribute("rel").is_none_or(|r| r == "alternate"))
            .collect();
        assert!(!alternates.is_empty(), "{id}: an alternate link");
        assert!(alternates.iter().all(|l| l.attribute("href").is_some()));
        let authors = child(entry, ns, "author");
        assert!(!authors.is_empty() || feed_author, "{id}: an author");
        for author in authors {
            assert!(
                !text_of(child(author, ns, "name")[0]).is_empty(),
                "{id}: author name"
            );
        }
        ids.push(id);
    }
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{feed_url}: entry ids are unique");

    let parsed = feed_rs::parser::parse(text.as_bytes()).expect("feed-rs reads it");
    assert_eq!(parsed.feed_type, feed_rs::model::FeedType::Atom);
    assert_eq!(parsed.entries.len(), ids.len());
    for entry in &parsed.entries {
        assert!(entry.title.is_some() && entry.updated.is_some());
        assert!(!entry.links.is_empty() && !entry.authors.is_empty());
    }
    ids
}

/// Checks an RSS 2.0 feed: channel title, link and description, an `atom:link` to itself,
/// RFC 822 dates, and on every item a title, link, guid and pubDate; feed-rs reads it.
/// Gives the items' guids.
pub(super) fn check_rss(text: &str, feed_url: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(text).expect("rss is XML");
    let rss = doc.root_element();
    assert_eq!(rss.tag_name().name(), "rss");
    assert_eq!(rss.attribute("version"), Some("2.0"));
    let channels = child(rss, None, "channel");
    assert_eq!(channels.len(), 1);
    let channel = channels[0];
    for name in ["title", "link", "description"] {
        let found = child(channel, None, name);
        assert_eq!(found.len(), 1, "{feed_url}: channel <{name}>");
        assert!(!text_of(found[0]).is_empty(), "{feed_url}: empty <{name}>");
    }
    let selfs: Vec<_> = child(channel, Some(ATOM), "link")
        .into_iter()
        .filter(|l| l.attribute("rel") == Some("self"))
        .collect();
    assert_eq!(selfs.len(), 1, "{feed_url}: one atom:link rel=self");
    assert_eq!(selfs[0].attribute("href"), Some(feed_url));
    assert_eq!(selfs[0].attribute("type"), Some("application/rss+xml"));
    for date in ["lastBuildDate", "pubDate"] {
        for node in child(channel, None, date) {
            let value = text_of(node);
            assert!(
                jiff::fmt::rfc2822::parse(&value).is_ok(),
                "{feed_url}: {date} `{value}` is not RFC 822"
            );
        }
    }
    let mut guids = Vec::new();
    for item in child(channel, None, "item") {
        for name in ["title", "link", "guid", "pubDate"] {
            let found = child(item, None, name);
            assert_eq!(found.len(), 1, "{feed_url}: item <{name}>");
            assert!(!text_of(found[0]).is_empty());
        }
        let date = text_of(child(item, None, "pubDate")[0]);
        assert!(
            jiff::fmt::rfc2822::parse(&date).is_ok(),
            "{feed_url}: pubDate `{date}` is not RFC 822"
        );
        let guid = child(item, None, "guid")[0];
        let value = text_of(guid);
        if guid.attribute("isPermaLink") != Some("false") {
            assert!(
                value.starts_with("http"),
                "a permalink guid is a URL: {value}"
            );
        }
        guids.push(value);
    }
    let unique: BTreeSet<&String> = guids.iter().collect();
    assert_eq!(unique.len(), guids.len(), "{feed_url}: guids are unique");

    let parsed = feed_rs::parser::parse(text.as_bytes()).expect("feed-rs reads it");
    assert_eq!(parsed.feed_type, feed_rs::model::FeedType::RSS2);
    assert_eq!(parsed.entries.len(), guids.len());
    assert!(parsed.entries.iter().all(|e| e.published.is_some()));
    guids
}

#[test]
fn every_feed_of_the_sample_site_has_the_required_elements() {
    let site = sample();
    let mut atoms = 0;
    let mut rsss = 0;
    for rel in files(&site.out) {
        let url = format!("{SAMPLE_BASE}/{rel}");
        if rel.ends_with("atom.xml") {
            check_atom(&std::fs::read_to_string(site.out.join(&rel)).unwrap(), &url);
            atoms += 1;
        } else if rel.ends_with("rss.xml") {
            check_rss(&std::fs::read_to_string(site.out.join(&rel)).unwrap(), &url);
            rsss += 1;
        }
    }
    assert!(atoms >= 3 + 3 * 10, "{atoms} Atom feeds");
    assert_eq!(rsss, 3, "one RSS feed per language");
    let front = check_atom(
        &std::fs::read_to_string(site.out.join("atom.xml")).unwrap(),
        &format!("{SAMPLE_BASE}/atom.xml"),
    );
    assert!(front.len() >= 8);
}

#[test]
fn the_sitemap_has_a_lastmod_for_every_page_and_robots_names_it() {
    let site = sample();
    let text = std::fs::read_to_string(site.out.join("sitemap.xml")).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let ns = Some("http://www.sitemaps.org/schemas/sitemap/0.9");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "urlset");
    assert_eq!(root.tag_name().namespace(), ns);
    let urls = child(root, ns, "url");
    assert!(urls.len() > 50);
    let mut locs = BTreeSet::new();
    for url in urls {
        let loc = text_of(child(url, ns, "loc")[0]);
        assert!(loc.starts_with(&format!("{SAMPLE_BASE}/")), "{loc}");
        let lastmod = child(url, ns, "lastmod");
        assert_eq!(lastmod.len(), 1, "{loc}: one lastmod");
        let lastmod = text_of(lastmod[0]);
        assert!(
            is_rfc3339(&lastmod) || lastmod.parse::<jiff::civil::Date>().is_ok(),
            "{loc}: lastmod `{lastmod}` is not a W3C date"
        );
        assert!(locs.insert(loc.clone()), "{loc} listed twice");
    }
    // Every page of the output that is not a redirect, a 404 or kept out of search engines
    // (the search pages) is listed.
    for rel in files(&site.out) {
        if !rel.ends_with("index.html") {
            continue;
        }
        let doc = parse(&site.out, &rel);
        if doc
            .select(&sel("meta[http-equiv=refresh]"))
            .next()
            .is_some()
        {
            continue;
        }
        if doc.select(&sel("meta[name=robots]")).next().is_some() {
            continue;
        }
        let loc = format!("{SAMPLE_BASE}{}", site_path(&rel));
        assert!(locs.contains(&loc), "{loc} is not in the sitemap");
    }
    let robots = std::fs::read_to_string(site.out.join("robots.txt")).unwrap();
    assert!(
        robots
            .lines()
            .any(|l| l.trim() == format!("Sitemap: {SAMPLE_BASE}/sitemap.xml")),
        "{robots}"
    );
}

// ---------------------------------------------------------------------------------------
// News metadata.

/// The `content` of `<meta property=...>` or `<meta name=...>`, all of them.
fn metas(doc: &Html, key: &str) -> Vec<String> {
    doc.select(&sel("meta"))
        .filter(|m| m.value().attr("property") == Some(key) || m.value().attr("name") == Some(key))
        .filter_map(|m| m.value().attr("content").map(str::to_string))
        .collect()
}

fn meta(doc: &Html, key: &str) -> String {
    let found = metas(doc, key);
    assert_eq!(found.len(), 1, "one <meta> {key}, found {found:?}");
    found.into_iter().next().unwrap()
}

/// Every JSON-LD block of a page, parsed.
fn json_ld(doc: &Html) -> Vec<Value> {
    doc.select(&sel("script[type=\"application/ld+json\"]"))
        .map(|s| {
            let text: String = s.text().collect();
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON-LD parses: {e}\n{text}"))
        })
        .collect()
}

fn ld_of(doc: &Html, kind: &str) -> Value {
    let found: Vec<Value> = json_ld(doc)
        .into_iter()
        .filter(|v| v["@type"] == kind)
        .collect();
    assert_eq!(found.len(), 1, "one {kind}");
    assert_eq!(found[0]["@context"], "https://schema.org");
    found.into_iter().next().unwrap()
}

fn link_rel(doc: &Html, rel: &str) -> Vec<String> {
    doc.select(&sel(&format!("link[rel=\"{rel}\"]")))
        .filter_map(|l| l.value().attr("href").map(str::to_string))
        .collect()
}

const PNG: &[u8] = include_bytes!("../../themes/birge/static/logo.png");

fn news_site() -> Fixture {
    let site = Fixture::new();
    site.file(
        "content/news/2020/03/photo/index.md",
        "---\ntitle: 'Quotes \"double\" and ''single'' </script><script>alert(1)</script> & more'\n\
         date: 2020-03-24T10:30:00+06:00\nupdated: 2020-03-25T09:00:00+06:00\n\
         regions: [atyrau, kostanay]\ntags: [masks, volunteers]\nauthor: 'APK \"press\" service'\n\
         image: photo.png\nimage_alt: 'Volunteers \"sewing\" masks'\n\
         summary: 'Hello *world* & <b>friends</b> \"q\" 1 > 0'\n---\nThe body.\n",
    )
    .bytes("content/news/2020/03/photo/photo.png", PNG)
    .file(
        "content/news/2020/03/drawing/index.md",
        "---\ntitle: A drawing\ndate: 2020-03-23\nimage: ./mask.svg\nimage_alt: A mask\n---\nDrawn.\n",
    )
    .file(
        "content/news/2020/03/drawing/mask.svg",
        "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 800 450\" role=\"img\"><title>Mask</title></svg>\n",
    )
    .article(
        "2020/03/national.md",
        "title: National news item\ndate: 2020-03-22",
        "First paragraph with a [link](https://example.org/).\n\nSecond.\n",
    )
    .article(
        "2020/03/kk.md",
        "title: Атырау еріктілері\ndate: 2020-03-21\nregion: atyrau\nlang: kk",
        "Мәтін.\n",
    );
    site
}

#[test]
fn articles_carry_news_metadata() {
    let site = news_site();
    site.build(&[]);
    let title = "Quotes \"double\" and 'single' </script><script>alert(1)</script> & more";
    let rel = "news/2020/03/quotes-double-and-single-script-script-alert-1-script-more/index.html";
    let doc = parse(&site.public(), rel);
    let url = "https://example.kz/news/2020/03/quotes-double-and-single-script-script-alert-1-script-more/";
    // Link previews get the photo's 1200x630-shaped crop (no larger than the photo).
    let image = format!("{url}photo-card.png");

    assert_eq!(link_rel(&doc, "canonical"), [url]);
    let description = meta(&doc, "description");
    assert!(
        description.starts_with("Hello world & friends ") && description.ends_with(" 1 > 0"),
        "plain text from the summary: {description:?}"
    );
    assert!(!description.contains(['<', '*']) && !description.contains("&amp;"));
    assert_eq!(meta(&doc, "og:type"), "article");
    assert_eq!(meta(&doc, "og:title"), title);
    assert_eq!(meta(&doc, "og:description"), description);
    assert_eq!(meta(&doc, "og:url"), url);
    assert_eq!(meta(&doc, "og:image"), image);
    assert_eq!(meta(&doc, "og:image:width"), "192");
    assert_eq!(meta(&doc, "og:image:height"), "100");
    assert_eq!(meta(&doc, "og:image:alt"), "Volunteers \"sewing\" masks");
    assert_eq!(meta(&doc, "og:locale"), "en_US");
    assert_eq!(meta(&doc, "og:site_name"), "Test Bulletin");
    assert_eq!(
        meta(&doc, "article:published_time"),
        "2020-03-24T10:30:00+06:00"
    );
    assert_eq!(
        meta(&doc, "article:modified_time"),
        "2020-03-25T09:00:00+06:00"
    );
    assert_eq!(meta(&doc, "article:section"), "Atyrau Region");
    assert_eq!(metas(&doc, "article:tag"), ["masks", "volunteers"]);
    assert_eq!(meta(&doc, "twitter:card"), "summary_large_image");
    assert_eq!(meta(&doc, "twitter:title"), title);
    assert_eq!(meta(&doc, "twitter:description"), description);
    assert_eq!(meta(&doc, "twitter:image"), image);

    let ld = ld_of(&doc, "NewsArticle");
    assert_eq!(ld["headline"], title);
    assert_eq!(ld["description"], description.as_str());
    assert_eq!(ld["datePublished"], "2020-03-24T10:30:00+06:00");
    assert_eq!(ld["dateModified"], "2020-03-25T09:00:00+06:00");
    for key in ["datePublished", "dateModified"] {
        assert!(is_rfc3339(ld[key].as_str().unwrap()), "{key} has an offset");
    }
    assert_eq!(ld["author"]["@type"], "Person");
    assert_eq!(ld["author"]["name"], "APK \"press\" service");
    assert_eq!(ld["image"], serde_json::json!([image]));
    assert_eq!(ld["publisher"]["@type"], "Organization");
    assert_eq!(ld["publisher"]["name"], "Test Bulletin");
    assert_eq!(ld["publisher"]["logo"]["@type"], "ImageObject");
    assert_eq!(
        ld["publisher"]["logo"]["url"],
        "https://example.kz/logo.png"
    );
    assert_eq!(ld["mainEntityOfPage"]["@id"], url);
    assert_eq!(ld["inLanguage"], "en");
    assert_eq!(
        ld["articleSection"],
        serde_json::json!(["Atyrau Region", "Kostanay Region"])
    );

    // The lead image knows its pixel size (read from the PNG) and loads lazily.
    let img = doc.select(&sel("figure img")).next().unwrap();
    assert_eq!(img.value().attr("width"), Some("192"));
    assert_eq!(img.value().attr("height"), Some("192"));
    assert_eq!(img.value().attr("loading"), Some("lazy"));
    let front = parse(&site.public(), "index.html");
    let card = front.select(&sel(".card-image img")).next().unwrap();
    assert_eq!(card.value().attr("width"), Some("192"));
    assert_eq!(card.value().attr("height"), Some("192"));
}

#[test]
fn titles_cannot_break_out_of_json_or_attributes() {
    let site = news_site();
    site.build(&[]);
    let rel = "news/2020/03/quotes-double-and-single-script-script-alert-1-script-more/index.html";
    let text = site.read(rel);
    let doc = Html::parse_document(&text);
    let title = "Quotes \"double\" and 'single' </script><script>alert(1)</script> & more";
    // No script element but the JSON-LD and the site's own poll.js.
    for script in doc.select(&sel("script")) {
        let v = script.value();
        let ok = v.attr("type") == Some("application/ld+json")
            || v.attr("src")
                .is_some_and(|s| s == "https://example.kz/poll.js");
        assert!(ok, "unexpected script: {}", script.html());
        if v.attr("src").is_some() {
            assert_eq!(script.text().collect::<String>(), "");
        }
    }
    assert_eq!(
        text.matches("<script").count(),
        doc.select(&sel("script")).count(),
        "every <script in the source is a parsed script element"
    );
    assert!(!text.contains("<script>alert(1)"));
    // Inside JSON, < > & are escaped, so the title never closes the script element.
    let ld = doc
        .select(&sel("script[type=\"application/ld+json\"]"))
        .map(|s| s.inner_html())
        .collect::<String>();
    assert!(
        !ld.contains('<') && !ld.contains('>') && !ld.contains('&'),
        "{ld}"
    );
    assert!(ld.contains("\\u003c/script\\u003e"));
    assert_eq!(ld_of(&doc, "NewsArticle")["headline"], title);
    // In attributes and text, the title comes back unchanged.
    assert_eq!(meta(&doc, "og:title"), title);
    assert_eq!(Page(doc.clone()).text("h1"), title);
    let head_title: String = doc.select(&sel("title")).next().unwrap().text().collect();
    assert!(head_title.starts_with(title), "{head_title}");
    // And in every list that shows it.
    let front = site.html("index.html");
    assert!(front.texts(".card-title a").contains(&title.to_string()));
    let front_text = site.read("index.html");
    assert!(!front_text.contains("<script>alert(1)"));
}

#[test]
fn metadata_falls_back_where_an_article_lacks_parts() {
    let site = news_site();
    site.build(&[]);
    // An SVG lead image: sized from its viewBox; link previews get the publisher logo.
    let doc = parse(&site.public(), "news/2020/03/a-drawing/index.html");
    let img = doc.select(&sel("figure img")).next().unwrap();
    assert_eq!(img.value().attr("width"), Some("800"));
    assert_eq!(img.value().attr("height"), Some("450"));
    assert_eq!(meta(&doc, "og:image"), "https://example.kz/logo.png");
    assert_eq!(meta(&doc, "twitter:card"), "summary");
    let ld = ld_of(&doc, "NewsArticle");
    assert_eq!(
        ld["image"],
        serde_json::json!(["https://example.kz/news/2020/03/a-drawing/mask.svg"])
    );
    assert_eq!(ld["author"]["@type"], "Organization");
    assert_eq!(ld["author"]["name"], "Test Bulletin");
    assert_eq!(ld["datePublished"], "2020-03-23T00:00:00+06:00");
    assert_eq!(ld["dateModified"], "2020-03-23T00:00:00+06:00");
    assert_eq!(meta(&doc, "article:section"), "National news");

    // The summary is the first paragraph, as plain text.
    let doc = parse(&site.public(), "news/2020/03/national-news-item/index.html");
    assert_eq!(meta(&doc, "description"), "First paragraph with a link.");
    assert_eq!(meta(&doc, "og:image"), "https://example.kz/logo.png");

    // Another language: its locale and section name, its own lang.
    let doc = parse(
        &site.public(),
        "kk/news/2020/03/atyrau-eriktileri/index.html",
    );
    assert_eq!(meta(&doc, "og:locale"), "kk_KZ");
    assert_eq!(meta(&doc, "article:section"), "Атырау облысы");
    let html = doc.select(&sel("html")).next().unwrap();
    assert_eq!(html.value().attr("lang"), Some("kk"));
    assert_eq!(ld_of(&doc, "NewsArticle")["inLanguage"], "kk");
}

fn check_breadcrumbs(doc: &Html, names: &[&str]) {
    let ld = ld_of(doc, "BreadcrumbList");
    let items = ld["itemListElement"].as_array().unwrap();
    assert_eq!(items.len(), names.len(), "{ld}");
    for (i, (item, name)) in items.iter().zip(names).enumerate() {
        assert_eq!(item["@type"], "ListItem");
        assert_eq!(item["position"], i + 1);
        assert_eq!(item["name"], *name);
        assert!(
            item["item"]
                .as_str()
                .unwrap()
                .starts_with("https://example.kz/")
        );
    }
    assert_eq!(
        items.last().unwrap()["item"],
        link_rel(doc, "canonical")[0].as_str()
    );
}

#[test]
fn region_and_archive_pages_have_breadcrumb_lists() {
    let site = news_site();
    site.build(&[]);
    let out = site.public();
    check_breadcrumbs(
        &parse(&out, "regions/atyrau/index.html"),
        &["Home", "Regions", "Atyrau Region"],
    );
    check_breadcrumbs(&parse(&out, "archive/index.html"), &["Home", "Archive"]);
    check_breadcrumbs(
        &parse(&out, "archive/2020/index.html"),
        &["Home", "Archive", "2020"],
    );
    check_breadcrumbs(
        &parse(&out, "archive/2020/03/index.html"),
        &["Home", "Archive", "2020", "March 2020"],
    );
    check_breadcrumbs(
        &parse(&out, "kk/regions/atyrau/index.html"),
        &["Басты бет", "Өңірлер", "Атырау облысы"],
    );
}

#[test]
fn paginated_lists_link_their_neighbours() {
    let site = Fixture::new();
    site.file(
        "site.yaml",
        &util::SITE_YAML.replace("paginate: 20", "paginate: 2"),
    );
    for day in 10..15 {
        site.article(
            &format!("2020/03/n{day}.md"),
            &format!("title: News {day}\ndate: 2020-03-{day}\nregion: atyrau\ntags: [masks]"),
            "Text.\n",
        );
    }
    site.build(&[]);
    let out = site.public();
    let base = "https://example.kz";
    for list in ["", "regions/atyrau/", "tags/masks/"] {
        let first = parse(&out, &format!("{list}index.html"));
        assert!(link_rel(&first, "prev").is_empty());
        assert_eq!(link_rel(&first, "next"), [format!("{base}/{list}page/2/")]);
        let second = parse(&out, &format!("{list}page/2/index.html"));
        assert_eq!(link_rel(&second, "prev"), [format!("{base}/{list}")]);
        assert_eq!(link_rel(&second, "next"), [format!("{base}/{list}page/3/")]);
        let last = parse(&out, &format!("{list}page/3/index.html"));
        assert_eq!(link_rel(&last, "prev"), [format!("{base}/{list}page/2/")]);
        assert!(link_rel(&last, "next").is_empty());
        assert_eq!(
            link_rel(&second, "canonical"),
            [format!("{base}/{list}page/2/")]
        );
    }
    // Pages that are not paginated lists have neither.
    let article = parse(&out, "news/2020/03/news-12/index.html");
    assert!(link_rel(&article, "prev").is_empty() && link_rel(&article, "next").is_empty());
}

#[test]
fn every_page_of_the_sample_site_has_its_metadata() {
    let site = sample();
    let mut articles = 0;
    for rel in files(&site.out) {
        if !rel.ends_with(".html") {
            continue;
        }
        let doc = parse(&site.out, &rel);
        if doc
            .select(&sel("meta[http-equiv=refresh]"))
            .next()
            .is_some()
        {
            continue;
        }
        let html = doc.select(&sel("html")).next().unwrap();
        let lang = html
            .value()
            .attr("lang")
            .unwrap_or_else(|| panic!("{rel}: <html lang>"));
        assert!(["en", "kk", "ru"].contains(&lang), "{rel}: lang {lang}");
        assert_eq!(meta(&doc, "og:locale").len(), 5, "{rel}");
        assert!(
            !meta(&doc, "description").is_empty() || rel.ends_with("404.html"),
            "{rel}"
        );
        // Elements in another language than the page say so.
        for el in doc.select(&sel("article[lang]")) {
            assert_ne!(el.value().attr("lang"), Some(""), "{rel}");
        }
        if !rel.ends_with("404.html") {
            assert_eq!(
                link_rel(&doc, "canonical"),
                [format!("{SAMPLE_BASE}{}", site_path(&rel))],
                "{rel}"
            );
        }
        if rel.contains("news/") {
            articles += 1;
            let ld = ld_of(&doc, "NewsArticle");
            for key in [
                "headline",
                "datePublished",
                "dateModified",
                "image",
                "author",
                "publisher",
            ] {
                assert!(!ld[key].is_null(), "{rel}: {key}");
            }
            assert_eq!(
                ld["mainEntityOfPage"]["@id"],
                link_rel(&doc, "canonical")[0].as_str()
            );
            assert_eq!(meta(&doc, "og:type"), "article");
            assert!(!meta(&doc, "article:section").is_empty());
            assert!(!meta(&doc, "og:image").is_empty());
            let description = meta(&doc, "description");
            assert!(
                !description.contains('<') && !description.contains("&amp;"),
                "{rel}"
            );
        }
    }
    assert!(articles >= 12, "{articles} articles");
}

// ---------------------------------------------------------------------------------------
// Lean pages.

#[test]
fn pages_are_lean() {
    let site = sample();
    let out = &site.out;
    let all = files(out);
    let size = |ext: &str| -> u64 {
        all.iter()
            .filter(|f| f.ends_with(ext))
            .map(|f| std::fs::metadata(out.join(f)).unwrap().len())
            .sum()
    };
    let (css, js) = (size(".css"), size(".js"));
    assert!(css > 0 && css < 30 * 1024, "all CSS is {css} bytes");
    // The search page's code (search.js and Pagefind's runtime under search/) loads on the
    // search page alone; every other page shares the rest.
    let search_js: u64 = all
        .iter()
        .filter(|f| f.ends_with(".js") && (f.starts_with("search") || f.contains("/search/")))
        .map(|f| std::fs::metadata(out.join(f)).unwrap().len())
        .sum();
    let js = js - search_js;
    assert!(
        js > 0 && js < 10 * 1024,
        "all JS but search's is {js} bytes"
    );
    let own = std::fs::metadata(out.join("search.js")).map_or(0, |m| m.len());
    assert!(own < 12 * 1024, "search.js is {own} bytes");

    // Stylesheets load nothing from elsewhere.
    for rel in all.iter().filter(|f| f.ends_with(".css")) {
        let text = std::fs::read_to_string(out.join(rel)).unwrap();
        assert!(!text.contains("@import"), "{rel}: @import");
        for (i, _) in text.match_indices("url(") {
            let value = text[i + 4..].trim_start_matches(['"', '\'']);
            assert!(
                !value.starts_with("http") && !value.starts_with("//"),
                "{rel}: a third-party url({value:.40})"
            );
        }
    }

    let mut images = 0;
    let mut resources: BTreeMap<String, usize> = BTreeMap::new();
    for rel in all.iter().filter(|f| f.ends_with(".html")) {
        let doc = parse(out, rel);
        let page = site_path(rel);
        // Everything the page loads or links in its head (stylesheets, scripts, images,
        // icons, feeds) comes from the site itself; only <a> may lead elsewhere.
        for (what, link) in page_links(&doc) {
            if what.starts_with("<a ") || what.starts_with("<area ") {
                continue;
            }
            assert!(
                internal(&link, &page, SAMPLE_BASE).is_some(),
                "{rel}: third-party resource {what} {link}"
            );
            *resources.entry(what).or_default() += 1;
        }
        for el in doc.select(&sel("[style]")) {
            let style = el.value().attr("style").unwrap();
            assert!(
                !style.contains("url(http") && !style.contains("url(//"),
                "{rel}: {style}"
            );
        }
        // Every image, the theme's and those of article bodies, has its size and loads lazily.
        for img in doc.select(&sel("img")) {
            images += 1;
            let v = img.value();
            let what = img.html();
            assert!(
                v.attr("width").is_some_and(|w| w.parse::<u32>().is_ok()),
                "{rel}: {what} has no width"
            );
            assert!(
                v.attr("height").is_some_and(|h| h.parse::<u32>().is_ok()),
                "{rel}: {what} has no height"
            );
            assert_eq!(v.attr("loading"), Some("lazy"), "{rel}: {what}");
            assert!(v.attr("alt").is_some(), "{rel}: {what} has no alt");
        }
    }
    assert!(images > 100, "{images} images checked");
    assert!(resources.contains_key("<script src>") && resources.contains_key("<img src>"));
}

#[test]
fn the_print_stylesheet_drops_navigation_and_keeps_the_article() {
    let css = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/birge/static/style.css"),
    )
    .unwrap();
    let start = css.find("@media print").expect("a print stylesheet");
    // The block runs to its matching brace.
    let mut depth = 0;
    let mut end = start;
    for (i, c) in css[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    end = start + i;
                    break;
                }
            }
            _ => {}
        }
    }
    let print = &css[start..end];
    let hidden: BTreeSet<&str> = print
        .split('}')
        .filter(|rule| rule.contains("display: none") || rule.contains("display:none"))
        .flat_map(|rule| {
            // The selectors are what stands before the rule's own `{`.
            let parts: Vec<&str> = rule.split('{').collect();
            parts[parts.len().saturating_sub(2)].split(',')
        })
        .map(str::trim)
        .collect();
    for selector in [
        ".skip-link",
        ".main-nav",
        ".region-nav",
        ".lang-nav",
        ".sidebar",
        ".site-footer",
        ".pager",
        ".article-nav",
        ".breadcrumbs",
    ] {
        assert!(
            hidden.contains(selector),
            "print hides {selector}: {hidden:?}"
        );
    }
    for kept in [
        ".article",
        ".article-body",
        ".article-header",
        "main",
        ".main",
        "figure",
    ] {
        assert!(!hidden.contains(kept), "print keeps {kept}");
    }
}
