//! Property tests (proptest): slugs are lowercase ASCII and stable; any generated set of valid
//! articles builds; incremental rebuilds (`serve`'s session) equal clean builds after random
//! series of edits. Case counts are small so the whole file runs in seconds; raise them with
//! `PROPTEST_CASES=1000 cargo test --test it props::`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use birge::build::BuildOptions;
use birge::build::Pipeline;
use birge::content::regions::is_valid_slug;
use birge::serve::files::MemorySite;
use birge::slug::slugify;
use proptest::prelude::*;

use super::util::{POLL_YAML, REGIONS_YAML, SITE_YAML};

/// `n`, or `PROPTEST_CASES` when it is set (for longer runs by hand).
fn cases(n: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n)
}

const LATIN: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const RUSSIAN: &str = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ";
const KAZAKH: &str = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюяӘҒҚҢӨҰҮҺІ";
const LANGS: [&str; 3] = ["en", "kk", "ru"];

fn alphabet(lang: &str) -> &'static str {
    match lang {
        "kk" => KAZAKH,
        "ru" => RUSSIAN,
        _ => LATIN,
    }
}

fn word(lang: &'static str) -> impl Strategy<Value = String> {
    let letters: Vec<char> = alphabet(lang).chars().collect();
    proptest::collection::vec(proptest::sample::select(letters), 1..10)
        .prop_map(|chars| chars.into_iter().collect())
}

/// Words of one language joined by spaces and punctuation.
fn words(lang: &'static str, count: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        (
            word(lang),
            proptest::sample::select(vec![" ", ", ", ": ", " — ", "! ", " «", "» "]),
        ),
        count,
    )
    .prop_map(|parts| {
        parts
            .into_iter()
            .map(|(w, sep)| format!("{w}{sep}"))
            .collect::<String>()
            .trim()
            .to_string()
    })
}

fn any_lang() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(LANGS.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    #[test]
    fn slugs_are_lowercase_ascii_and_stable(text in ".{0,40}", lang in any_lang()) {
        let slug = slugify(&text, lang);
        prop_assert!(slug.is_empty() || is_valid_slug(&slug), "{text:?} -> {slug:?}");
        prop_assert_eq!(slugify(&slug, lang), slug.clone());
        // Any character that slugs to something on its own keeps the whole slug non-empty.
        let has_sluggable = text.chars().any(|c| !slugify(&c.to_string(), lang).is_empty());
        prop_assert_eq!(!slug.is_empty(), has_sluggable, "{:?} -> {:?}", text, slug);
    }

    #[test]
    fn slugs_of_titles_in_every_language(
        (lang, title) in any_lang().prop_flat_map(|lang| (Just(lang), words(lang, 1..6))),
        digits in "[0-9]{0,3}",
    ) {
        let text = format!("{title} {digits}");
        for slug_lang in LANGS {
            let slug = slugify(&text, slug_lang);
            prop_assert!(slug.is_empty() || is_valid_slug(&slug),
                "{text:?} in {slug_lang} -> {slug:?}");
            prop_assert_eq!(slugify(&slug, slug_lang), slug.clone());
        }
        // In its own language every letter counts: the slug is never empty.
        let has_hard_signs_only = title.chars().all(|c| "ъьЪЬ —,:!«»".contains(c));
        prop_assert!(!slugify(&text, lang).is_empty() || (has_hard_signs_only && digits.is_empty()));
    }
}

/// One generated article.
#[derive(Debug, Clone)]
struct Article {
    title: String,
    lang: &'static str,
    date: String,
    regions: Vec<&'static str>,
    tags: Vec<String>,
    body: String,
    draft: bool,
    poll: bool,
}

impl Article {
    fn text(&self, index: usize) -> String {
        let q = |s: &str| serde_json::to_string(s).unwrap();
        let mut fm = format!(
            "title: {}\ndate: {}\n",
            q(&format!("{} {index}", self.title)),
            self.date
        );
        if self.lang != "en" {
            fm.push_str(&format!("lang: {}\n", self.lang));
        }
        if !self.regions.is_empty() {
            fm.push_str(&format!("regions: [{}]\n", self.regions.join(", ")));
        }
        if !self.tags.is_empty() {
            let tags: Vec<String> = self.tags.iter().map(|t| q(t)).collect();
            fm.push_str(&format!("tags: [{}]\n", tags.join(", ")));
        }
        if self.draft {
            fm.push_str("draft: true\n");
        }
        if self.poll {
            fm.push_str("poll: mothers-forum\n");
        }
        format!("---\n{fm}---\n{}\n", self.body)
    }
}

fn date() -> impl Strategy<Value = String> {
    (
        2019i32..=2021,
        1u32..=12,
        1u32..=28,
        proptest::option::of(0u32..24),
    )
        .prop_map(|(y, m, d, hour)| match hour {
            Some(h) => format!("{y}-{m:02}-{d:02}T{h:02}:30:00+06:00"),
            None => format!("{y}-{m:02}-{d:02}"),
        })
}

fn article() -> impl Strategy<Value = Article> {
    any_lang().prop_flat_map(|lang| {
        (
            words(lang, 1..6),
            date(),
            proptest::sample::subsequence(vec!["atyrau", "kostanay", "astana", "guryev"], 0..3),
            proptest::collection::vec(words(lang, 1..3), 0..4),
            proptest::collection::vec(words(lang, 3..12), 1..4),
            proptest::bool::weighted(0.1),
            proptest::bool::weighted(0.2),
            proptest::bool::weighted(0.2),
        )
            .prop_map(
                move |(title, date, regions, tags, paragraphs, draft, shortcode, poll)| {
                    let mut body = paragraphs.join("\n\n");
                    if shortcode {
                        body.push_str("\n\n{{ poll(id=\"mothers-forum\") }}\n");
                    }
                    Article {
                        title,
                        lang,
                        date,
                        // `guryev` is atyrau's former slug: both may not stand together.
                        regions: if regions.contains(&"atyrau") {
                            regions.into_iter().filter(|r| *r != "guryev").collect()
                        } else {
                            regions
                        },
                        // A tag of hard signs alone has no slug, and is refused.
                        tags: tags
                            .into_iter()
                            .filter(|t| !slugify(t, lang).is_empty())
                            .collect(),
                        body,
                        draft,
                        // A poll both named and placed would show twice, and is refused.
                        poll: poll && !shortcode,
                    }
                },
            )
    })
}

/// A site folder with the fixture's settings, regions and poll, and these articles.
fn site_with(articles: &[Article]) -> (tempfile::TempDir, BuildOptions) {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("site.yaml", SITE_YAML);
    write("content/regions.yaml", REGIONS_YAML);
    write("content/polls/mothers-forum.yaml", POLL_YAML);
    write(
        "content/pages/about.md",
        "---\ntitle: About\n---\nThe Assembly.\n",
    );
    for (i, article) in articles.iter().enumerate() {
        write(&article_file(i), &article.text(i));
    }
    let options = BuildOptions {
        root: dir.path().to_path_buf(),
        now: Some("2022-01-01T00:00:00Z".parse().unwrap()),
        ..BuildOptions::default()
    };
    (dir, options)
}

fn article_file(index: usize) -> String {
    format!("content/news/{}/a{index}.md", index % 3)
}

fn clean_build(options: &BuildOptions) -> Result<MemorySite, String> {
    let site = MemorySite::default();
    Pipeline::start(options, &site, false).map_err(|e| format!("{e:#}"))?;
    Ok(site)
}

fn files(site: &MemorySite) -> BTreeMap<String, Vec<u8>> {
    site.paths()
        .into_iter()
        .map(|p| {
            let bytes = site.get(&p).unwrap().to_vec();
            (p, bytes)
        })
        .collect()
}

fn is_article_page(path: &str) -> bool {
    let rest = path
        .strip_prefix("kk/")
        .or_else(|| path.strip_prefix("ru/"))
        .unwrap_or(path);
    let parts: Vec<&str> = rest.split('/').collect();
    parts.len() == 5 && parts[0] == "news" && parts[4] == "index.html"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(12)))]

    #[test]
    fn any_set_of_valid_articles_builds(articles in proptest::collection::vec(article(), 1..10)) {
        let (_dir, options) = site_with(&articles);
        let site = clean_build(&options);
        prop_assert!(site.is_ok(), "{}", site.err().unwrap());
        let site = site.unwrap();
        let pages = site.paths().into_iter().filter(|p| is_article_page(p)).count();
        let published = articles.iter().filter(|a| !a.draft).count();
        prop_assert_eq!(pages, published);
        for article in articles.iter().filter(|a| !a.draft) {
            for tag in &article.tags {
                let slug = slugify(tag, article.lang);
                let prefix = if article.lang == "en" { String::new() } else { format!("{}/", article.lang) };
                let tag_page = format!("{prefix}tags/{slug}/index.html");
                prop_assert!(site.get(&tag_page).is_some(), "no {}", tag_page);
            }
        }
    }
}

/// One edit of a generated site.
#[derive(Debug, Clone)]
enum Edit {
    /// Rewrites article `n % len` as this article.
    Replace(usize, Article),
    /// Adds this article.
    Add(Article),
    /// Deletes article `n % len`.
    Delete(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), article()).prop_map(|(n, a)| Edit::Replace(n, a)),
        1 => article().prop_map(Edit::Add),
        1 => any::<usize>().prop_map(Edit::Delete),
    ]
}

fn apply(root: &Path, live: &mut Vec<Option<Article>>, edit: &Edit) -> PathBuf {
    let existing: Vec<usize> = (0..live.len()).filter(|&i| live[i].is_some()).collect();
    match edit {
        Edit::Replace(n, article) if !existing.is_empty() => {
            let i = existing[n % existing.len()];
            let path = root.join(article_file(i));
            std::fs::write(&path, article.text(i)).unwrap();
            live[i] = Some(article.clone());
            path
        }
        Edit::Delete(n) if !existing.is_empty() => {
            let i = existing[n % existing.len()];
            let path = root.join(article_file(i));
            std::fs::remove_file(&path).unwrap();
            live[i] = None;
            path
        }
        _ => {
            let article = match edit {
                Edit::Replace(_, article) | Edit::Add(article) => article.clone(),
                Edit::Delete(_) => Article {
                    title: "Fresh".into(),
                    lang: "en",
                    date: "2020-03-26".into(),
                    regions: vec![],
                    tags: vec![],
                    body: "Text.".into(),
                    draft: false,
                    poll: false,
                },
            };
            let i = live.len();
            let path = root.join(article_file(i));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, article.text(i)).unwrap();
            live.push(Some(article));
            path
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(10)))]

    #[test]
    fn incremental_rebuilds_equal_clean_builds(
        articles in proptest::collection::vec(article(), 1..6),
        edits in proptest::collection::vec(edit(), 1..5),
    ) {
        let (dir, options) = site_with(&articles);
        let served = MemorySite::default();
        let mut session = Pipeline::start(&options, &served, true).unwrap().0;
        let mut live: Vec<Option<Article>> = articles.into_iter().map(Some).collect();
        for (step, edit) in edits.iter().enumerate() {
            let path = apply(dir.path(), &mut live, edit);
            session.update(&served, &[path]).unwrap();
            let clean = clean_build(&options).unwrap();
            let (incremental, clean) = (files(&served), files(&clean));
            let only_served: Vec<&String> = incremental.keys().filter(|k| !clean.contains_key(*k)).collect();
            let only_clean: Vec<&String> = clean.keys().filter(|k| !incremental.contains_key(*k)).collect();
            prop_assert!(only_served.is_empty() && only_clean.is_empty(),
                "after edit {step} ({edit:?}): only in the session: {only_served:?}; only in the clean build: {only_clean:?}");
            let differing: Vec<&String> = clean.keys().filter(|k| clean[*k] != incremental[*k]).collect();
            prop_assert!(differing.is_empty(), "after edit {step} ({edit:?}): these differ: {differing:?}");
        }
    }
}
