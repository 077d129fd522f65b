//! Tests of [`super::bundle`] against Pagefind itself (the `pagefind` crate, a dev-dependency):
//! the same documents indexed by both, decompressed and decoded, hold the same words on the
//! same pages at the same positions, the same fragments and the same entry; and the vendored
//! runtime ([`super::runtime`]) is the crate's.
//!
//! Takes a fixture of English, Russian and Kazakh documents, gives failures that name the
//! word, page or file that differs.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;
use serde_json::{Value, json};

use super::index::{build_index, sorted_records};
use super::records::Document;
use super::runtime;
use super::words::INCLUDE_CHARACTERS;

type Files = Vec<(String, Vec<u8>)>;

/// `lang`'s bundle as Pagefind's Rust API writes it, the way birge used to build it.
fn pagefind_bundle(lang: &str, docs: &[&Document]) -> Files {
    let records = sorted_records(docs).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let config = PagefindServiceConfig::builder()
            .force_language(lang.to_string())
            .build();
        let mut index = PagefindIndex::new(Some(config)).unwrap();
        for r in records {
            index
                .add_custom_record(r.url, r.content, r.language, Some(r.meta), None, None)
                .await
                .unwrap();
        }
        index
            .get_files()
            .await
            .unwrap()
            .into_iter()
            .map(|f| (f.filename.to_string_lossy().replace('\\', "/"), f.contents))
            .collect()
    })
}

fn doc(lang: &str, slug: &str, title: &str, region: &str, body: &str) -> Document {
    Document {
        url: format!("/{lang}/news/2020/03/{slug}/"),
        lang: lang.to_string(),
        title: title.to_string(),
        date: Some("26.03.2020".to_string()),
        regions: vec![region.to_string()],
        tags: vec!["APK".to_string(), "Covid-19".to_string()],
        summary: String::new(),
        body_text: body.to_string(),
    }
}

fn fixture() -> Vec<Document> {
    vec![
        doc(
            "en",
            "masks",
            "Capital and regional APK distribute masks",
            "Atyrau Region",
            "Volunteers of the Assembly sewed 2,000 masks and gave them away in Atyrau. \
             The e-mail address info@apk.kz and the site apk.gov.kz/news took requests; \
             three-antelopes ThreeAntelopes COVID-19 café Café cafe naïve.",
        ),
        doc(
            "en",
            "forum",
            "Mothers Council forum",
            "Astana",
            "The Mothers Council met online. Volunteers, mothers and masks again: masks.",
        ),
        doc(
            "ru",
            "maski",
            "Волонтёры раздали маски",
            "Атырауская область",
            "Ёлка, маски и волонтёры Атырау. Йод — «Жаңғыру-2020» т.е. медицинские маски, \
             Волонтеры раздали 2 000 масок.",
        ),
        doc(
            "ru",
            "forum",
            "Форум Совета матерей",
            "Астана",
            "Совет матерей провёл форум онлайн; матери и волонтёры.",
        ),
        doc(
            "kk",
            "maska",
            "Қарағанды еріктілері",
            "Қарағанды облысы",
            "Қарағанды облысының еріктілері маскалар таратты. Ұйым «Жаңғыру жолы» \
             жобасы-2020 аясында жұмыс істейді.",
        ),
        doc(
            "kk",
            "jastar",
            "Жастар",
            "Шымкент",
            "Шымкент жастары «Жаңғыру жолы» жобасына қатысты. Ёлка мен йод.",
        ),
    ]
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    assert!(out.starts_with(b"pagefind_dcd"), "no signature");
    out.split_off(12)
}

/// A CBOR item of the kinds the index uses, as JSON.
fn decode(bytes: &[u8], at: &mut usize) -> Value {
    let first = bytes[*at];
    *at += 1;
    let (major, info) = (first >> 5, u64::from(first & 31));
    let mut arg = |n: usize| {
        let v = bytes[*at..*at + n]
            .iter()
            .fold(0u64, |v, b| v << 8 | u64::from(*b));
        *at += n;
        v
    };
    let value = match info {
        0..=23 => info,
        24 => arg(1),
        25 => arg(2),
        26 => arg(4),
        27 => arg(8),
        _ => panic!("indefinite or reserved CBOR item"),
    };
    match major {
        0 => json!(value),
        1 => json!(-1 - value as i64),
        3 => {
            let text = std::str::from_utf8(&bytes[*at..*at + value as usize]).unwrap();
            *at += value as usize;
            json!(text)
        }
        4 => Value::Array((0..value).map(|_| decode(bytes, at)).collect()),
        _ => panic!("CBOR major type {major}"),
    }
}

fn cbor(bytes: &[u8]) -> Value {
    let mut at = 0;
    let value = decode(bytes, &mut at);
    assert_eq!(at, bytes.len(), "trailing bytes");
    value
}

/// Where each (word, form) occurs: URL -> text positions with weights, meta positions with
/// field names.
type Postings = BTreeMap<(String, String), BTreeMap<String, (Vec<(i64, i64)>, Vec<(String, i64)>)>>;

/// A decoded bundle: entry, fragments by URL, word count by URL, meta fields, postings.
struct Decoded {
    entry: Value,
    fragments: BTreeMap<String, Value>,
    word_counts: BTreeMap<String, u64>,
    postings: Postings,
}

fn decoded(files: &Files) -> Decoded {
    let file = |pred: &dyn Fn(&str) -> bool| -> Vec<&(String, Vec<u8>)> {
        files.iter().filter(|(n, _)| pred(n)).collect()
    };
    let entry: Value = serde_json::from_slice(&file(&|n| n == "pagefind-entry.json")[0].1).unwrap();
    let meta = cbor(&gunzip(&file(&|n| n.ends_with(".pf_meta"))[0].1));
    let fragment = |hash: &str| -> Value {
        let (_, bytes) = file(&|n| n == format!("fragment/{hash}.pf_fragment"))[0];
        serde_json::from_slice(&gunzip(bytes)).unwrap()
    };
    let pages: Vec<(String, u64)> = meta[1]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let f = fragment(p[0].as_str().unwrap());
            (
                f["url"].as_str().unwrap().to_string(),
                p[1].as_u64().unwrap(),
            )
        })
        .collect();
    let fields: Vec<String> = meta[5]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    let mut postings = Postings::new();
    let mut add = |word: &str, form: &str, list: &Value| {
        let mut page = 0;
        for entry in list.as_array().unwrap() {
            page += entry[0].as_u64().unwrap() as usize;
            let (mut weight, mut last, mut out) = (25, 0, Vec::new());
            let mut locs = entry[1]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap());
            while let Some(v) = locs.next() {
                if v < 0 {
                    weight = -v - 1;
                    last = locs.next().unwrap();
                } else {
                    last += v;
                }
                out.push((weight, last));
            }
            out.sort();
            let (mut field, mut last, mut meta_out) = (0, 0, Vec::new());
            for v in entry[2]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
            {
                if v < 0 {
                    field = (-v - 1) as usize;
                    last = 0;
                } else {
                    last += v;
                    meta_out.push((fields[field].clone(), last));
                }
            }
            meta_out.sort();
            let url = pages[page].0.clone();
            postings
                .entry((word.to_string(), form.to_string()))
                .or_default()
                .insert(url, (out, meta_out));
        }
    };
    for (_, bytes) in file(&|n| n.starts_with("index/")) {
        let chunk = cbor(&gunzip(bytes));
        for word in chunk[0].as_array().unwrap() {
            let key = word[0].as_str().unwrap();
            add(key, "", &word[1]);
            for variant in word[2].as_array().unwrap() {
                add(key, variant[0].as_str().unwrap(), &variant[1]);
            }
        }
    }
    let mut fragments = BTreeMap::new();
    for (name, bytes) in file(&|n| n.starts_with("fragment/")) {
        let f: Value = serde_json::from_slice(&gunzip(bytes)).unwrap();
        assert!(name.ends_with(".pf_fragment"));
        fragments.insert(f["url"].as_str().unwrap().to_string(), f);
    }
    Decoded {
        entry,
        fragments,
        word_counts: pages.into_iter().collect(),
        postings,
    }
}

/// Whether a query can reach `word`: Pagefind's runtime strips punctuation from queries.
fn reachable(word: &str) -> bool {
    word.chars()
        .all(|c| c.is_alphanumeric() || INCLUDE_CHARACTERS.contains(&c))
}

/// A position that birge's index has and Pagefind's has not: word, page URL, and the text
/// position with its weight or the meta field and position.
type Extra = (String, String, String);

/// Indexes `lang`'s `docs` with Pagefind and with birge and checks that the bundles hold the
/// same entry, fragments (Kazakh ones without their keys) and word counts, and that every
/// position Pagefind files under a word a query can reach, birge's files too. Gives the
/// positions birge's has in addition.
fn compare(lang: &str, docs: &[&Document]) -> BTreeSet<Extra> {
    let theirs = decoded(&pagefind_bundle(lang, docs));
    let ours = decoded(&build_index(lang, docs).unwrap());
    // The metadata's name is a hash of its own bytes, in either.
    let unnamed = |mut entry: Value| {
        entry["languages"][lang]["hash"] = Value::Null;
        entry
    };
    assert_eq!(unnamed(ours.entry), unnamed(theirs.entry), "{lang}: entry");
    let mut theirs_fragments = theirs.fragments.clone();
    if lang == "kk" {
        for fragment in theirs_fragments.values_mut() {
            let content = fragment["content"].as_str().unwrap();
            let words: Vec<&str> = content.split(' ').collect();
            fragment["content"] = json!(words[..words.len() / 2].join(" "));
        }
    }
    assert_eq!(ours.fragments, theirs_fragments, "{lang}: fragments");
    assert_eq!(ours.word_counts, theirs.word_counts, "{lang}: word counts");
    let theirs_reachable: Postings = theirs
        .postings
        .into_iter()
        .filter(|((word, form), _)| reachable(word) && reachable(form))
        .collect();
    let mut extra = BTreeSet::new();
    let keys: BTreeSet<&(String, String)> = theirs_reachable
        .keys()
        .chain(ours.postings.keys())
        .collect();
    let none = BTreeMap::new();
    for key in keys {
        let theirs = theirs_reachable.get(key).unwrap_or(&none);
        let ours = ours.postings.get(key).unwrap_or(&none);
        for url in theirs.keys().chain(ours.keys()).collect::<BTreeSet<_>>() {
            let empty = (Vec::new(), Vec::new());
            let (t, o) = (
                theirs.get(url).unwrap_or(&empty),
                ours.get(url).unwrap_or(&empty),
            );
            for loc in &t.0 {
                assert!(o.0.contains(loc), "{lang}: {key:?} at {loc:?} on {url}");
            }
            for loc in &t.1 {
                assert!(o.1.contains(loc), "{lang}: {key:?} at {loc:?} on {url}");
            }
            for loc in o.0.iter().filter(|l| !t.0.contains(l)) {
                extra.insert((key.0.clone(), url.clone(), format!("{loc:?}")));
            }
            for loc in o.1.iter().filter(|l| !t.1.contains(l)) {
                extra.insert((key.0.clone(), url.clone(), format!("{loc:?}")));
            }
        }
    }
    extra
}

#[test]
fn same_index_as_pagefind() {
    let docs = fixture();
    for lang in ["en", "ru", "kk"] {
        let docs: Vec<&Document> = docs.iter().filter(|d| d.lang == lang).collect();
        let extra: Vec<String> = compare(lang, &docs)
            .into_iter()
            .map(|(word, url, loc)| format!("{word} {} {loc}", url.split('/').nth(5).unwrap_or("")))
            .collect();
        // Ours files a compound's parts without the quotes around them, where Pagefind filed
        // words that no query reaches: those positions are all it has in addition.
        let expected: &[&str] = match lang {
            "ru" => &["2020 maski (12, 7)", "жаңғыр maski (12, 7)"],
            _ => &[],
        };
        assert_eq!(extra, expected, "{lang}: extra words");
    }
}

/// The repository's sample site (real bulletin text in three languages, Markdown syntax and
/// all): the same index as Pagefind's, and each position Pagefind lacks is in a token that
/// holds a character that is neither a letter, a digit nor ASCII punctuation (a quote, a
/// dash), which Pagefind keeps inside a compound's parts.
#[test]
fn same_index_as_pagefind_on_the_sample_site() {
    use crate::config::Config;
    use crate::content::{self, LoadOptions};
    use crate::markdown::Rendered;
    use crate::site::Site;

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config::load(root).unwrap();
    let options = LoadOptions {
        future: true,
        ..LoadOptions::default()
    };
    let (content, _) = content::load(root, &config, &options);
    let site = Site::assemble(config, content).unwrap();
    let text = |markdown: &str| Rendered {
        html: markdown.to_string(),
        summary: String::new(),
        has_code: false,
        polls: Vec::new(),
        references: Vec::new(),
        links: Vec::new(),
    };
    let bodies: Vec<Rendered> = site.articles.iter().map(|a| text(&a.body)).collect();
    let page_bodies: Vec<Rendered> = site.pages.iter().map(|p| text(&p.body)).collect();
    let docs = super::documents(&site, &bodies, &page_bodies);
    let odd = |c: char| !c.is_alphanumeric() && !c.is_ascii_punctuation();
    for lang in ["en", "ru", "kk"] {
        let docs: Vec<&Document> = docs.iter().filter(|d| d.lang == lang).collect();
        assert!(docs.len() >= 2, "{lang}: {} documents", docs.len());
        let records = sorted_records(&docs).unwrap();
        let extra = compare(lang, &docs);
        for (word, url, loc) in extra {
            let record = records.iter().find(|r| r.url == url).unwrap();
            let token = if loc.starts_with("(\"") {
                let (field, position) = loc[2..loc.len() - 1].split_once("\", ").unwrap();
                record.meta[field]
                    .split_whitespace()
                    .nth(position.parse().unwrap())
            } else {
                let position = loc[1..loc.len() - 1].split_once(", ").unwrap().1;
                record
                    .content
                    .split_whitespace()
                    .nth(position.parse().unwrap())
            };
            let token = token.unwrap_or_default();
            assert!(
                token.chars().any(odd),
                "{lang}: {word} in {token:?} at {loc} on {url}"
            );
        }
    }
}

#[test]
fn vendored_runtime_is_the_crates() {
    let docs = fixture();
    for lang in ["en", "ru", "kk"] {
        let docs: Vec<&Document> = docs.iter().filter(|d| d.lang == lang).collect();
        let theirs = pagefind_bundle(lang, &docs);
        let ours = runtime::files(lang, true);
        assert_eq!(ours.len(), 3);
        for (name, bytes) in ours {
            let (_, crate_bytes) = theirs
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("the crate writes no {name}"));
            assert!(
                *crate_bytes == bytes,
                "src/search/vendor/{name} is not the crate's: copy the crate's file there"
            );
        }
    }
}
