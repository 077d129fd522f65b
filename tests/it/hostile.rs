//! Hostile content: `<script>`, `</script>`, quotes and markup in titles, tags, authors,
//! summaries, region names and poll labels come out as text everywhere (HTML, attributes,
//! JSON-LD, feeds, polls/index.json, the vote API and its results page). Raw HTML in bodies
//! passes by default and is sanitised with `safe_html: true`.

use std::path::Path;

use scraper::{Html, Selector};
use serde_json::Value;

use super::http::{VoteService, get};
use super::util::{Fixture, Page};

/// Breaks out of HTML text, attributes (both quotes) and `<script>` if not escaped.
const EVIL: &str =
    "</script><script>alert(\"x\")</script><x-evil data-evil='1' onmouseover=\"alert(1)\">\"'&";

fn yaml_quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

fn hostile_site(safe_html: bool) -> Fixture {
    let site = Fixture::new();
    let q = yaml_quoted;
    let mut settings = super::util::SITE_YAML.to_string();
    if safe_html {
        settings.push_str("safe_html: true\n");
    }
    site.file("site.yaml", &settings)
        .file(
            "content/regions.yaml",
            &format!(
                "- slug: atyrau\n  name: {{en: {}, kk: {}, ru: {}}}\n- slug: kostanay\n  name: Kostanay\n",
                q(&format!("Atyrau {EVIL}")),
                q(&format!("Атырау {EVIL}")),
                q(&format!("Атырау {EVIL}"))
            ),
        )
        .file(
            "content/polls/mothers-forum.yaml",
            &format!(
                "question: {}\noptions: [{}, {}]\n",
                q(&format!("Question {EVIL}")),
                q(&format!("Yes {EVIL}")),
                q("No")
            ),
        )
        // The lead image below must exist (a missing one is an error of its own) and be a
        // photo (it is published as variants).
        .bytes("static/photo.jpg", &small_jpeg());
    // Summaries and update notes are Markdown that editors write like bodies, so by default
    // only text-breaking characters go in; with safe_html the summary carries markup too (it
    // is sanitised). Update notes go through the theme's `markdown` filter, which sanitises
    // too: see `safe_html_sanitises_update_notes`.
    let markdown_text = "\"quoted\" 'single' & </script> end";
    let summary = if safe_html {
        format!("Summary {EVIL}")
    } else {
        format!("Summary {markdown_text}")
    };
    let note = format!("Note {markdown_text}");
    site.article(
        "2020/03/evil.md",
        &format!(
            "title: {}\ndate: 2020-03-26\nregion: atyrau\ntags: [{}, masks]\nauthor: {}\nsummary: {}\nimage: /photo.jpg\nimage_alt: {}\nimage_caption: {}\nupdate_note: {}\npoll: mothers-forum\nslug: evil",
            q(&format!("Title {EVIL}")),
            q(&format!("Tag {EVIL}")),
            q(&format!("Author {EVIL}")),
            q(&summary),
            q(&format!("Alt {EVIL}")),
            q(&format!("Caption {EVIL}")),
            q(&note),
        ),
        "Body text.\n\n<script>alert('body')</script>\n\n<p onclick=\"alert(2)\">Raw <x-body>html</x-body></p>\n",
    );
    site.article(
        "2020/03/plain.md",
        "title: A plain neighbour\ndate: 2020-03-25\nregion: atyrau\ntags: [masks]",
        "Plain.\n",
    );
    site
}

fn files_with(dir: &Path, extension: &str) -> Vec<std::path::PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect()
}

/// Asserts that no hostile markup became an element, attribute or script in `html`;
/// `body_raw_html` allows the article body's own raw HTML (trusted by default).
fn assert_no_injection(name: &str, html: &str, body_raw_html: bool) {
    let doc = Html::parse_document(html);
    let all = Selector::parse("*").unwrap();
    for element in doc.select(&all) {
        let tag = element.value().name();
        if tag == "x-evil" {
            let at = html.find("<x-evil").unwrap_or(0);
            let context: String = html[at.saturating_sub(300)..].chars().take(400).collect();
            panic!("{name}: an injected element in: {context}");
        }
        for (attr, value) in element.value().attrs() {
            assert_ne!(
                attr, "data-evil",
                "{name}: an injected attribute on <{tag}>"
            );
            let is_handler = attr.starts_with("on");
            let from_body = body_raw_html && attr == "onclick" && value == "alert(2)";
            assert!(
                !is_handler || from_body,
                "{name}: an event handler {attr}={value:?} on <{tag}>"
            );
        }
    }
    let scripts = Selector::parse("script").unwrap();
    for script in doc.select(&scripts) {
        let text: String = script.text().collect();
        let kind = script.value().attr("type").unwrap_or("");
        if kind == "application/ld+json" {
            let value: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{name}: JSON-LD is not JSON ({e}): {text}"));
            assert!(value.is_object() || value.is_array());
            continue;
        }
        let from_body = body_raw_html && text == "alert('body')";
        assert!(
            !text.contains("alert(") || from_body,
            "{name}: an injected script: {text}"
        );
    }
}

fn check_site(site: &Fixture, safe_html: bool) {
    let public = site.public();
    let pages = files_with(&public, "html");
    assert!(pages.len() > 10);
    for page in &pages {
        let html = std::fs::read_to_string(page).unwrap();
        let name = page.strip_prefix(&public).unwrap().display().to_string();
        let is_article = name.contains("news/2020/03/evil/");
        // Bodies also stand in feeds only; summaries of the default site are Markdown.
        assert_no_injection(&name, &html, is_article && !safe_html);
    }

    // The article page: every field is there as text, exactly.
    let article = site.html("news/2020/03/evil/index.html");
    assert_eq!(article.texts("h1"), [format!("Title {EVIL}")]);
    let page_text = article.0.root_element().text().collect::<String>();
    for field in ["Author", "Atyrau", "Tag", "Caption"] {
        assert!(
            page_text.contains(&format!("{field} {EVIL}")),
            "{field} is not shown as text"
        );
    }
    assert!(
        article.attrs("img", "alt").contains(&format!("Alt {EVIL}")),
        "{:?}",
        article.attrs("img", "alt")
    );
    let ld = Selector::parse("script[type=\"application/ld+json\"]").unwrap();
    let headlines: Vec<Value> = article
        .0
        .select(&ld)
        .map(|s| serde_json::from_str::<Value>(&s.text().collect::<String>()).unwrap())
        .filter_map(|v| v.get("headline").cloned())
        .collect();
    assert_eq!(headlines, [Value::String(format!("Title {EVIL}"))]);
    // Meta descriptions keep the summary as text.
    for content in article.attrs("meta[name=description]", "content") {
        assert!(content.starts_with("Summary"), "{content}");
    }

    // Raw HTML in the body: kept by default, sanitised with safe_html.
    let body_script = article
        .0
        .select(&Selector::parse("script").unwrap())
        .any(|s| s.text().collect::<String>() == "alert('body')");
    assert_eq!(
        body_script, !safe_html,
        "body <script> with safe_html={safe_html}"
    );
    assert_eq!(article.count("x-body"), usize::from(!safe_html));
    assert_eq!(article.count("[onclick]"), usize::from(!safe_html));
    assert!(page_text.contains("Raw html"));

    // Feeds parse, and titles are the text.
    for feed_file in ["atom.xml", "rss.xml", "regions/atyrau/atom.xml"] {
        let text = site.read(feed_file);
        let doc = roxmltree::Document::parse(&text)
            .unwrap_or_else(|e| panic!("{feed_file} is not XML: {e}"));
        assert!(
            !doc.descendants().any(|n| n.tag_name().name() == "x-evil"),
            "{feed_file}: an injected element"
        );
        let feed = feed_rs::parser::parse(text.as_bytes())
            .unwrap_or_else(|e| panic!("{feed_file} does not parse: {e}"));
        let titles: Vec<String> = feed
            .entries
            .iter()
            .filter_map(|e| e.title.as_ref().map(|t| t.content.clone()))
            .collect();
        assert!(
            titles.contains(&format!("Title {EVIL}")),
            "{feed_file}: {titles:?}"
        );
        for entry in &feed.entries {
            let html = entry
                .content
                .as_ref()
                .and_then(|c| c.body.clone())
                .or(entry.summary.as_ref().map(|s| s.content.clone()))
                .unwrap_or_default();
            let is_evil = entry
                .title
                .as_ref()
                .is_some_and(|t| t.content.starts_with("Title"));
            assert_no_injection(&format!("{feed_file} entry"), &html, is_evil && !safe_html);
        }
    }
    roxmltree::Document::parse(&site.read("sitemap.xml")).unwrap();

    // polls/index.json carries the labels as strings.
    let index: Value = serde_json::from_str(&site.read("polls/index.json")).unwrap();
    let poll = &index["polls"][0];
    assert_eq!(poll["question"], format!("Question {EVIL}"));
    assert_eq!(poll["options"][0], format!("Yes {EVIL}"));

    // The vote API and its results page.
    let service = VoteService::start(site.root(), &site.root().join("votes.sqlite"), &[]);
    let body = get(&service.addr, "/api/polls/mothers-forum", &[]).json();
    assert_eq!(body["question"], format!("Question {EVIL}"));
    assert_eq!(body["options"][0]["label"], format!("Yes {EVIL}"));
    let results = get(
        &service.addr,
        "/api/polls/mothers-forum/results?return_to=%2F%22%3E%3Cx-evil%3E",
        &[],
    );
    assert_eq!(results.status, 200);
    let text = results.text();
    assert_no_injection("results page", &text, false);
    let page = Page(Html::parse_document(&text));
    assert_eq!(page.texts("h1"), [format!("Question {EVIL}")]);
    assert!(page.texts("li .label")[0].starts_with(&format!("Yes {EVIL}")));
}

#[test]
fn hostile_fields_come_out_as_text() {
    let site = hostile_site(false);
    site.build(&[]);
    check_site(&site, false);
}

#[test]
fn safe_html_sanitises_bodies_and_summaries() {
    let site = hostile_site(true);
    site.build(&[]);
    check_site(&site, true);
}

#[test]
fn hostile_poll_language_stays_in_its_attribute() {
    let site = Fixture::new();
    site.file(
        "content/polls/mothers-forum.yaml",
        &format!("{}lang: \"en\\\"><x-evil>\"\n", super::util::POLL_YAML),
    );
    let out = site.birge(&["build"]);
    if out.status.success() {
        let service = VoteService::start(site.root(), &site.root().join("v.sqlite"), &[]);
        let results = get(&service.addr, "/api/polls/mothers-forum/results", &[]);
        assert_no_injection("results page", &results.text(), false);
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("lang"), "{stderr}");
    }
}

#[test]
fn safe_html_sanitises_update_notes() {
    let site = Fixture::new();
    site.file(
        "site.yaml",
        &format!("{}safe_html: true\n", super::util::SITE_YAML),
    );
    site.article(
        "2020/03/note.md",
        &format!(
            "title: Noted\ndate: 2020-03-26\nupdate_note: {}",
            yaml_quoted(&format!("Note {EVIL}"))
        ),
        "Text.\n",
    );
    site.build(&[]);
    let html = site.read("news/2020/03/noted/index.html");
    assert_no_injection("article with an update note", &html, false);
}

/// A small JPEG photo.
fn small_jpeg() -> Vec<u8> {
    let mut jpeg = Vec::new();
    image::RgbImage::from_pixel(40, 30, image::Rgb([200, 40, 40]))
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .expect("a JPEG");
    jpeg
}
