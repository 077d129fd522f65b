//! A fixture builder: small birge sites in temporary folders, built with the real binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use scraper::{Html, Selector};

pub const BIRGE: &str = env!("CARGO_BIN_EXE_birge");

/// A site in a temporary folder.
pub struct Fixture {
    dir: tempfile::TempDir,
}

pub const SITE_YAML: &str = "title: Test Bulletin\nbase_url: https://example.kz\nlanguage: en\nlanguages: [en, kk, ru]\ntimezone: Asia/Almaty\npaginate: 20\npolls:\n  featured: mothers-forum\n";

pub const REGIONS_YAML: &str = "\
- slug: atyrau
  name: {en: Atyrau Region, kk: Атырау облысы, ru: Атырауская область}
  description: \"The regional assembly of *Atyrau*.\"
  former: [guryev]
- slug: kostanay
  name: {en: Kostanay Region, kk: Қостанай облысы, ru: Костанайская область}
- slug: astana
  name: {en: Astana, kk: Астана, ru: Астана}
  former: [nur-sultan]
";

pub const POLL_YAML: &str = "question: When was the First Republican Forum of Mothers Council held?\noptions: [\"September 7, 2011\", \"April 24, 2013\", \"November 13, 2014\"]\n";

impl Fixture {
    /// A site with settings, three regions and one poll, and no articles yet.
    pub fn new() -> Fixture {
        let fixture = Fixture {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        fixture
            .file("site.yaml", SITE_YAML)
            .file("content/regions.yaml", REGIONS_YAML)
            .file("content/polls/mothers-forum.yaml", POLL_YAML);
        fixture
    }

    /// The site's folder.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The default output folder.
    pub fn public(&self) -> PathBuf {
        self.root().join("public")
    }

    /// Writes a file of the site.
    pub fn file(&self, rel: &str, text: &str) -> &Self {
        self.bytes(rel, text.as_bytes())
    }

    /// Writes a file of the site from bytes.
    pub fn bytes(&self, rel: &str, bytes: &[u8]) -> &Self {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
        self
    }

    /// Writes an article under content/news/ from front matter lines and a body.
    pub fn article(&self, rel: &str, front_matter: &str, body: &str) -> &Self {
        self.file(
            &format!("content/news/{rel}"),
            &format!("---\n{front_matter}\n---\n{body}"),
        )
    }

    /// Runs birge with `--root` set to the site.
    pub fn birge(&self, args: &[&str]) -> Output {
        Command::new(BIRGE)
            .args(args)
            .arg("--root")
            .arg(self.root())
            .output()
            .expect("birge runs")
    }

    /// Builds the site with `args` and the stage timings on (`BIRGE_TIMINGS`), asserts that it
    /// worked; gives stderr, where the timings are.
    pub fn build_timed(&self, args: &[&str]) -> String {
        let out = Command::new(BIRGE)
            .arg("build")
            .args(args)
            .arg("--root")
            .arg(self.root())
            .env("BIRGE_TIMINGS", "1")
            .output()
            .expect("birge runs");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "build failed:\n{stderr}");
        stderr
    }

    /// Builds the site and asserts that it worked; gives stdout.
    pub fn build(&self, args: &[&str]) -> String {
        let mut all = vec!["build"];
        all.extend_from_slice(args);
        let out = self.birge(&all);
        assert!(
            out.status.success(),
            "build failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Builds the site expecting it to fail; gives stderr.
    pub fn build_fails(&self) -> String {
        let out = self.birge(&["build"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "stdout: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Reads an output file.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.public().join(rel))
            .unwrap_or_else(|e| panic!("cannot read public/{rel}: {e}"))
    }

    /// Whether an output file exists.
    pub fn exists(&self, rel: &str) -> bool {
        self.public().join(rel).exists()
    }

    /// Parses an output HTML page.
    pub fn html(&self, rel: &str) -> Page {
        Page(Html::parse_document(&self.read(rel)))
    }
}

/// A parsed page with small helpers for selectors.
pub struct Page(pub Html);

impl Page {
    /// The text of every element matching `selector`, trimmed.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let sel = Selector::parse(selector).expect("valid selector");
        self.0
            .select(&sel)
            .map(|e| {
                e.text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// The first text matching `selector`.
    pub fn text(&self, selector: &str) -> String {
        self.texts(selector)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("nothing matches {selector}"))
    }

    /// How many elements match.
    pub fn count(&self, selector: &str) -> usize {
        let sel = Selector::parse(selector).expect("valid selector");
        self.0.select(&sel).count()
    }

    /// The values of attribute `attr` on the elements matching `selector`.
    pub fn attrs(&self, selector: &str, attr: &str) -> Vec<String> {
        let sel = Selector::parse(selector).expect("valid selector");
        self.0
            .select(&sel)
            .filter_map(|e| e.value().attr(attr).map(str::to_string))
            .collect()
    }
}

/// A whole folder as (relative path, bytes) pairs, sorted.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = walkdir(dir)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(dir).unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walkdir(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The voters stored for `poll`, read straight from the SQLite file: keyed hashes of their
/// ids, asked about by the ids readers hold (their cookies' values).
#[derive(Debug)]
pub struct StoredVoters {
    key: birge::polls::store::VoterKey,
    hashes: std::collections::HashSet<String>,
}

impl StoredVoters {
    /// Whether the reader whose id is `voter` is stored.
    pub fn contains<S: AsRef<str> + ?Sized>(&self, voter: &S) -> bool {
        self.hashes.contains(&self.key.hash(voter.as_ref()))
    }

    /// How many voters are stored.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }
}

/// The same voters as these readers' ids.
impl PartialEq<std::collections::HashSet<String>> for StoredVoters {
    fn eq(&self, ids: &std::collections::HashSet<String>) -> bool {
        ids.len() == self.hashes.len() && ids.iter().all(|id| self.contains(id))
    }
}

/// The voters stored for `poll` in the SQLite file `db`.
pub fn stored_voters(db: &std::path::Path, poll: &str) -> StoredVoters {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let key: Vec<u8> = conn
        .query_row("SELECT key FROM voter_key WHERE id = 1", [], |r| r.get(0))
        .unwrap();
    let mut stmt = conn
        .prepare("SELECT voter FROM votes WHERE poll = ?1")
        .unwrap();
    let hashes = stmt
        .query_map([poll], |row| row.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    StoredVoters {
        key: birge::polls::store::VoterKey::from_bytes(&key).unwrap(),
        hashes,
    }
}

/// The base URL of the sample site (this repository's site.yaml).
pub const SAMPLE_BASE: &str = "https://assembly.example.kz";

/// The sample site (this repository) built into a temporary folder.
pub struct Sample {
    _dir: tempfile::TempDir,
    /// The output folder.
    pub out: std::path::PathBuf,
}

pub fn sample() -> Sample {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let result = std::process::Command::new(BIRGE)
        .args(["build", "--quiet", "--base-url", SAMPLE_BASE, "--root"])
        .arg(repo)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    Sample { _dir: dir, out }
}
