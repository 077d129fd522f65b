//! Measures the search index on a real site: how long building every language's bundle takes
//! and how large each bundle is.
//!
//! ```text
//! cargo run --release --example search_bench -- SITE [--copies] [--out DIR]
//! ```
//! Loads SITE's articles and pages as `birge build --future` would (bodies reduced to their
//! text), builds the bundles with [`birge::search::build_indexes_with`] (twice, or
//! `SEARCH_BENCH_ROUNDS` times, printing each build's time and whether it gave the same bytes),
//! and prints each bundle's size. `--copies` adds a Kazakh and a Russian copy
//! of every document, its letters swapped for Cyrillic ones, to measure three full languages on
//! a corpus written in one. `--out DIR` writes the bundles under DIR as a site would have them
//! (`scripts/search_query_bytes.py DIR QUERY...` then counts what queries download).
//! `SEARCH_BENCH_CHUNK`, `SEARCH_BENCH_GZIP` and `SEARCH_BENCH_FRAGMENT_GZIP` override the
//! chunk size and gzip levels of [`Layout`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use birge::config::Config;
use birge::content::{self, LoadOptions};
use birge::search::bundle::Layout;
use birge::search::{Document, build_indexes_with};
use pulldown_cmark::{Event, Parser, TagEnd};

/// The allocator the `birge` binary uses, so the times are the build's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut root = None;
    let mut copies = false;
    let mut out = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--copies" => copies = true,
            "--out" => out = args.next().map(PathBuf::from),
            _ => root = Some(PathBuf::from(arg)),
        }
    }
    let root = root.ok_or_else(|| anyhow::anyhow!("usage: search_bench SITE [--copies]"))?;

    let started = Instant::now();
    let config = Config::load(&root).map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let options = LoadOptions {
        future: true,
        ..LoadOptions::default()
    };
    let (content, _) = content::load(&root, &config, &options);
    let mut docs = documents(&content, &config);
    if copies {
        let copied: Vec<Document> = docs
            .iter()
            .flat_map(|d| [copy(d, "kk"), copy(d, "ru")])
            .collect();
        docs.extend(copied);
    }
    let mut languages = config.languages.clone();
    for lang in ["kk", "ru"] {
        if copies && !languages.iter().any(|l| l == lang) {
            languages.push(lang.to_string());
        }
    }
    eprintln!(
        "loaded {} documents in {:.2} s",
        docs.len(),
        started.elapsed().as_secs_f64()
    );

    fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
        std::env::var(name).ok().and_then(|v| v.parse().ok())
    }
    let default = Layout::default();
    let layout = Layout {
        chunk_size: env("SEARCH_BENCH_CHUNK").unwrap_or(default.chunk_size),
        gzip_level: env("SEARCH_BENCH_GZIP").unwrap_or(default.gzip_level),
        fragment_gzip_level: env("SEARCH_BENCH_FRAGMENT_GZIP")
            .unwrap_or(default.fragment_gzip_level),
    };
    eprintln!("{layout:?}");
    let mut files = Vec::new();
    let rounds: u32 = std::env::var("SEARCH_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(2);
    for round in 1..=rounds {
        let cpu = cpu_seconds();
        let started = Instant::now();
        let again = build_indexes_with(&docs, &languages, &config.language, layout)?;
        eprintln!(
            "build {round}: {:.2} s wall, {:.2} s CPU{}",
            started.elapsed().as_secs_f64(),
            cpu_seconds() - cpu,
            match round {
                1 => "",
                _ if again == files => ", the same bytes as build 1",
                _ => ", NOT the same bytes as build 1",
            }
        );
        files = again;
    }

    let mut sizes: BTreeMap<(String, &str), (usize, usize)> = BTreeMap::new();
    for (path, bytes) in &files {
        let dir = &path[..path.find("search/pagefind/").unwrap_or(0)];
        let name = &path[path.find("pagefind/").map_or(0, |i| i + 9)..];
        let kind = match name.split('/').next().unwrap_or("") {
            "index" => "index chunks",
            "fragment" => "fragments",
            "filter" => "filters",
            n if n.ends_with(".pf_meta") => "meta",
            n if n.starts_with("wasm.") => "wasm",
            _ => "script and entry",
        };
        let entry = sizes.entry((dir.to_string(), kind)).or_default();
        entry.0 += 1;
        entry.1 += bytes.len();
    }
    for ((dir, kind), (count, bytes)) in &sizes {
        println!(
            "{dir:6} {kind:18} {count:6} files {:10.1} KB",
            *bytes as f64 / 1024.0
        );
    }
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    println!(
        "total {} files, {:.1} MB",
        files.len(),
        total as f64 / 1048576.0
    );

    if let Some(out) = out {
        for (path, bytes) in &files {
            let file = out.join(path.trim_start_matches('/'));
            std::fs::create_dir_all(file.parent().unwrap_or(&out))?;
            std::fs::write(file, bytes)?;
        }
    }
    Ok(())
}

/// The published articles and pages of `content` as search documents.
fn documents(content: &content::Content, config: &Config) -> Vec<Document> {
    let region_names = |slugs: &[String], lang: &str| -> Vec<String> {
        slugs
            .iter()
            .filter_map(|slug| content.regions.iter().find(|r| &r.slug == slug))
            .map(|r| r.name(lang, &config.language).to_string())
            .collect()
    };
    let articles = content.articles.iter().map(|a| Document {
        url: a.path.clone(),
        lang: a.lang.clone(),
        title: a.title.clone(),
        date: Some(a.date.strftime("%-d %B %Y").to_string()),
        regions: region_names(&a.regions, &a.lang),
        tags: a.tags.clone(),
        summary: a.summary.as_deref().map(text).unwrap_or_default(),
        body_text: text(&a.body),
    });
    let pages = content.pages.iter().map(|p| Document {
        url: p.path.clone(),
        lang: p.lang.clone(),
        title: p.title.clone(),
        date: p.date.as_ref().map(|d| d.strftime("%-d %B %Y").to_string()),
        summary: p.summary.as_deref().map(text).unwrap_or_default(),
        body_text: text(&p.body),
        ..Document::default()
    });
    articles.chain(pages).collect()
}

/// The text of Markdown: its words, single-spaced, as the build's plain text of a body is.
fn text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph) => out.push(' '),
            Event::End(TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock) => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `doc` as if written in `lang`: Latin letters swapped for Cyrillic ones (Kazakh letters for
/// Kazakh), so the index sees as many words, as long, in the other script.
fn copy(doc: &Document, lang: &str) -> Document {
    let swap = |s: &str| -> String { s.chars().map(|c| cyrillic(c, lang)).collect() };
    Document {
        url: format!("/{lang}{}", doc.url),
        lang: lang.to_string(),
        title: swap(&doc.title),
        date: doc.date.as_deref().map(swap),
        regions: doc.regions.iter().map(|r| swap(r)).collect(),
        tags: doc.tags.clone(),
        summary: swap(&doc.summary),
        body_text: swap(&doc.body_text),
    }
}

fn cyrillic(c: char, lang: &str) -> char {
    let kk = lang == "kk";
    let lower = c.to_ascii_lowercase();
    let swapped = match lower {
        'a' if kk => 'ә',
        'a' => 'а',
        'b' => 'б',
        'c' => 'ц',
        'd' => 'д',
        'e' => 'е',
        'f' => 'ф',
        'g' if kk => 'ғ',
        'g' => 'г',
        'h' if kk => 'һ',
        'h' => 'х',
        'i' if kk => 'і',
        'i' => 'и',
        'j' => 'ж',
        'k' if kk => 'қ',
        'k' => 'к',
        'l' => 'л',
        'm' => 'м',
        'n' if kk => 'ң',
        'n' => 'н',
        'o' if kk => 'ө',
        'o' => 'о',
        'p' => 'п',
        'q' => 'қ',
        'r' => 'р',
        's' => 'с',
        't' => 'т',
        'u' if kk => 'ү',
        'u' => 'у',
        'v' => 'в',
        'w' => 'ш',
        'x' => 'х',
        'y' => 'ы',
        'z' => 'з',
        _ => return c,
    };
    if c.is_ascii_uppercase() {
        swapped.to_uppercase().next().unwrap_or(swapped)
    } else {
        swapped
    }
}

/// CPU time of this process so far (user and system), in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a rusage for RUSAGE_SELF.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
