//! The build cache across processes: `birge build` after `birge build` equals a clean build,
//! whatever happened to `.birge-cache/` in between (damaged, from another version, a build
//! killed while writing), and files it does not change keep their modification time.
//! (The random series of edits through the cache are in `differential`.)

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::util::{self, BIRGE, Fixture};

/// A site of `n` articles over two months and three regions, with a page.
fn site_of(n: usize) -> Fixture {
    let site = Fixture::new();
    let regions = ["atyrau", "kostanay", "astana"];
    for i in 0..n {
        site.article(
            &format!("2020/0{}/item-{i}.md", 2 + i % 2),
            &format!(
                "title: Volunteers deliver masks {i}\ndate: 2020-0{}-{:02}\nregion: {}\ntags: [masks, t{}]",
                2 + i % 2,
                1 + i % 28,
                regions[i % 3],
                i % 5
            ),
            &format!("Volunteers of item {i} delivered masks.\n\nSee [the first](@/news/2020/02/item-0.md).\n"),
        );
    }
    site.file(
        "content/pages/about.md",
        "---\ntitle: About the Assembly\n---\nThe assembly unites ethno-cultural associations.\n",
    );
    site
}

/// Builds the site without the cache into a fresh folder; gives every file.
fn clean(site: &Fixture) -> Vec<(String, Vec<u8>)> {
    let out = tempfile::tempdir().unwrap();
    let output = out.path().join("clean");
    let output = output.to_str().unwrap();
    site.build(&["--no-cache", "--output", output]);
    util::snapshot(Path::new(output))
}

/// Runs `birge build` and gives its stderr.
fn build_noting(site: &Fixture) -> String {
    let out = site.birge(&["build"]);
    assert!(
        out.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_same_as_clean(site: &Fixture) {
    let (built, clean) = (util::snapshot(&site.public()), clean(site));
    let names = |files: &[(String, Vec<u8>)]| files.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&built), names(&clean), "the same files");
    for ((path, bytes), (_, expected)) in built.iter().zip(&clean) {
        assert!(bytes == expected, "{path} differs from a clean build");
    }
}

#[test]
fn a_second_build_uses_the_cache_and_equals_a_clean_build() {
    let site = site_of(30);
    site.build(&[]);
    assert!(site.root().join(".birge-cache/state.bin").is_file());
    site.article(
        "2020/02/item-0.md",
        "title: Volunteers deliver more masks\ndate: 2020-02-01\nregion: kostanay\nslug: moved",
        "A new text.\n",
    );
    std::fs::remove_file(site.root().join("content/news/2020/03/item-5.md")).unwrap();
    site.article(
        "2020/03/new.md",
        "title: A new report\ndate: 2020-03-30\nregion: astana",
        "New.\n",
    );
    let stderr = build_noting(&site);
    assert!(!stderr.contains("set aside"), "{stderr}");
    assert_same_as_clean(&site);
    assert!(!site.exists("news/2020/02/volunteers-deliver-masks-0/index.html"));
    assert!(site.exists("news/2020/02/moved/index.html"));
}

#[test]
fn files_an_incremental_build_does_not_change_keep_their_time() {
    let site = site_of(10);
    site.build(&[]);
    let about = site.public().join("about/index.html");
    let before = std::fs::metadata(&about).unwrap().modified().unwrap();
    std::thread::sleep(Duration::from_millis(50));
    site.article(
        "2020/03/item-1.md",
        "title: Volunteers deliver masks again\ndate: 2020-03-02\nregion: kostanay",
        "Text.\n",
    );
    build_noting(&site);
    assert_eq!(
        std::fs::metadata(&about).unwrap().modified().unwrap(),
        before
    );
    assert_same_as_clean(&site);
}

#[test]
fn a_damaged_cache_is_set_aside_with_a_notice() {
    let site = site_of(8);
    site.build(&[]);
    let state = site.root().join(".birge-cache/state.bin");
    let mut bytes = std::fs::read(&state).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&state, bytes).unwrap();
    site.article(
        "2020/02/item-2.md",
        "title: Changed\ndate: 2020-02-03\nregion: astana",
        "Changed.\n",
    );
    let stderr = build_noting(&site);
    let notices: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("build cache"))
        .collect();
    assert_eq!(notices.len(), 1, "{stderr}");
    assert!(
        notices[0].starts_with("note: the build cache is set aside (")
            && notices[0].ends_with("; building everything"),
        "{stderr}"
    );
    assert_same_as_clean(&site);
    // The next build trusts the cache the last one wrote.
    assert!(!build_noting(&site).contains("set aside"));
}

#[test]
fn a_damaged_body_pack_falls_back_to_a_full_build() {
    let site = site_of(8);
    site.build(&[]);
    let cache = site.root().join(".birge-cache");
    for entry in std::fs::read_dir(&cache).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("pack-")
        {
            std::fs::write(&path, b"not a pack").unwrap();
        }
    }
    // A new first article: feeds and the front page read other articles' bodies.
    site.article(
        "2020/03/newest.md",
        "title: Newest\ndate: 2020-03-31\nregion: astana",
        "Newest.\n",
    );
    let stderr = build_noting(&site);
    assert!(stderr.contains("the build cache is damaged"), "{stderr}");
    assert_same_as_clean(&site);
}

/// Retitles article `i` of a [`site_of`] site.
fn retitle(site: &Fixture, i: usize, title: &str) {
    site.article(
        &format!("2020/0{}/item-{i}.md", 2 + i % 2),
        &format!(
            "title: {title}\ndate: 2020-0{}-{:02}\nregion: astana",
            2 + i % 2,
            1 + i % 28
        ),
        "Changed.\n",
    );
}

#[test]
fn an_incremental_build_writes_a_delta_and_the_next_reads_it() {
    let site = site_of(8);
    site.build(&[]);
    let cache = site.root().join(".birge-cache");
    let state = std::fs::read(cache.join("state.bin")).unwrap();
    retitle(&site, 2, "First change");
    assert!(!build_noting(&site).contains("build cache"));
    assert!(cache.join("delta-1.bin").is_file());
    assert_eq!(
        std::fs::read(cache.join("state.bin")).unwrap(),
        state,
        "the state is kept"
    );
    retitle(&site, 5, "Second change");
    assert!(!build_noting(&site).contains("build cache"));
    assert!(cache.join("delta-2.bin").is_file());
    assert_same_as_clean(&site);
    retitle(&site, 2, "Third change");
    build_noting(&site);
    assert_same_as_clean(&site);
}

#[test]
fn a_damaged_delta_is_set_aside_with_a_notice() {
    let site = site_of(8);
    site.build(&[]);
    retitle(&site, 2, "First change");
    build_noting(&site);
    let delta = site.root().join(".birge-cache/delta-1.bin");
    let mut bytes = std::fs::read(&delta).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    std::fs::write(&delta, bytes).unwrap();
    retitle(&site, 5, "Second change");
    let stderr = build_noting(&site);
    let notices: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("build cache"))
        .collect();
    assert_eq!(notices.len(), 1, "{stderr}");
    assert!(
        notices[0].starts_with("note: the build cache is set aside (delta 1: ")
            && notices[0].ends_with("; building everything"),
        "{stderr}"
    );
    assert_same_as_clean(&site);
    assert!(!delta.exists(), "the new state has no deltas");
    assert!(!build_noting(&site).contains("set aside"));
}

#[test]
fn a_delta_left_from_an_earlier_state_is_ignored() {
    // A build that wrote a new state and stopped before removing the old deltas.
    let site = site_of(8);
    site.build(&[]);
    retitle(&site, 2, "First change");
    build_noting(&site);
    let delta = site.root().join(".birge-cache/delta-1.bin");
    let old = std::fs::read(&delta).unwrap();
    site.file(
        "site.yaml",
        &util::SITE_YAML.replace("Test Bulletin", "Another Bulletin"),
    );
    assert!(build_noting(&site).contains("set aside"));
    std::fs::write(&delta, old).unwrap();
    retitle(&site, 5, "Second change");
    assert!(!build_noting(&site).contains("build cache"));
    assert_same_as_clean(&site);
}

#[test]
fn a_cache_from_another_version_is_set_aside() {
    let site = site_of(5);
    site.build(&[]);
    let state = site.root().join(".birge-cache/state.bin");
    let mut bytes = std::fs::read(&state).unwrap();
    // The header leads: the format (one byte), then the version's length and text.
    let version = env!("CARGO_PKG_VERSION").as_bytes();
    assert_eq!(&bytes[2..2 + version.len()], version);
    bytes[2] = if bytes[2] == b'9' { b'8' } else { b'9' };
    std::fs::write(&state, bytes).unwrap();
    let stderr = build_noting(&site);
    assert!(
        stderr.contains(
            "note: the build cache is set aside (it was written by another version of birge); building everything"
        ),
        "{stderr}"
    );
    assert_same_as_clean(&site);
}

#[test]
fn changed_settings_set_the_cache_aside() {
    let site = site_of(5);
    site.build(&[]);
    site.file(
        "site.yaml",
        &util::SITE_YAML.replace("Test Bulletin", "Another Bulletin"),
    );
    let stderr = build_noting(&site);
    assert!(stderr.contains("set aside"), "{stderr}");
    assert_same_as_clean(&site);
    // --quiet prints nothing but errors.
    site.file("site.yaml", util::SITE_YAML);
    let out = site.birge(&["build", "--quiet"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn a_build_with_nothing_changed_writes_nothing() {
    let site = site_of(6);
    site.build(&[]);
    // Past the two seconds in which a file's time is not trusted.
    std::thread::sleep(Duration::from_millis(2100));
    site.build(&[]);
    let state = site.root().join(".birge-cache/state.bin");
    let stamp = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
    let (state_before, page_before) = (stamp(&state), stamp(&site.public().join("index.html")));
    std::thread::sleep(Duration::from_millis(50));
    site.build(&[]);
    assert_eq!(
        stamp(&state),
        state_before,
        "the cache is not written again"
    );
    assert_eq!(stamp(&site.public().join("index.html")), page_before);
    assert_same_as_clean(&site);
}

#[test]
fn no_cache_builds_without_it() {
    let site = site_of(3);
    site.build(&["--no-cache"]);
    assert!(!site.root().join(".birge-cache").exists());
}

#[test]
fn a_build_without_the_cache_leaves_no_cache_of_its_output_behind() {
    let site = site_of(4);
    site.article(
        "2020/03/draft.md",
        "title: Draft\ndate: 2020-03-05\ndraft: true",
        "Secret.\n",
    );
    site.build(&[]);
    site.build(&["--no-cache", "--drafts"]);
    assert!(site.exists("news/2020/03/draft/index.html"));
    let state = site.root().join(".birge-cache/state.bin");
    assert!(!state.exists(), "the cache described the output replaced");
    build_noting(&site);
    assert!(!site.exists("news/2020/03/draft/index.html"));
    assert_same_as_clean(&site);
    // One into another folder leaves the cache of public/ as it is.
    assert!(state.exists());
    let before = std::fs::read(&state).unwrap();
    clean(&site);
    assert_eq!(std::fs::read(&state).unwrap(), before);
}

#[test]
fn a_failed_incremental_build_changes_nothing() {
    let site = site_of(10);
    site.build(&[]);
    let before = util::snapshot(&site.public());
    site.article(
        "2020/02/item-4.md",
        "title: Broken\ndate: 2020-02-40\nregion: astana",
        "Text.\n",
    );
    site.build_fails();
    assert_eq!(util::snapshot(&site.public()), before);
    // Fixed, the edit goes through the cache.
    site.article(
        "2020/02/item-4.md",
        "title: Fixed\ndate: 2020-02-20\nregion: astana",
        "Text.\n",
    );
    build_noting(&site);
    assert_same_as_clean(&site);
}

#[test]
fn a_build_killed_while_writing_is_finished_by_the_next() {
    let site = site_of(400);
    site.build(&[]);
    // Kill incremental builds at different moments; whatever each left, the next build
    // completes or rolls it back.
    for (round, delay) in [5u64, 20, 60, 120].into_iter().enumerate() {
        for i in 0..20 {
            site.article(
                &format!("2020/02/item-{}.md", i * 2),
                &format!(
                    "title: Round {round} item {i}\ndate: 2020-02-{:02}\nregion: atyrau",
                    1 + i
                ),
                "Changed text.\n",
            );
        }
        let mut child = Command::new(BIRGE)
            .args(["build", "--quiet", "--root"])
            .arg(site.root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        build_noting(&site);
        assert_same_as_clean(&site);
        let leftovers: Vec<String> = util::snapshot(&site.public())
            .into_iter()
            .map(|(path, _)| path)
            .filter(|path| path.ends_with(".birge-new"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

/// Builds with the stage timings on; gives what the search stage says it read, per tree
/// that has documents (`en: 1 of 31`).
fn search_reads(site: &Fixture) -> Vec<String> {
    site.build_timed(&[])
        .lines()
        .filter_map(|line| {
            let rest = line.split("search ").nth(1)?;
            let (lang, rest) = rest.split_once(": index (")?;
            let read = rest.split(" documents read").next()?;
            Some(format!("{lang}: {read}")).filter(|_| read != "0 of 0")
        })
        .collect()
}

#[test]
fn an_edit_reads_one_document_for_search_and_damaged_search_pages_are_read_again() {
    let site = site_of(12);
    assert_eq!(search_reads(&site), ["en: 13 of 13"]);
    let pages = site.root().join(".birge-cache/search/en");
    assert!(pages.join("words.bin").is_file());

    retitle(&site, 3, "Masks reach Atyrau");
    assert_eq!(search_reads(&site), ["en: 1 of 13"]);
    assert_same_as_clean(&site);

    // Every kept bucket damaged: the documents are read again, the bundle is the same.
    for entry in std::fs::read_dir(&pages).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() != "words.bin" {
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        }
    }
    retitle(&site, 4, "Masks reach Kostanay");
    assert_eq!(search_reads(&site), ["en: 13 of 13"]);
    assert_same_as_clean(&site);

    // A damaged words file: every page is read again under new ids.
    std::fs::write(pages.join("words.bin"), b"birge search words 1\n").unwrap();
    retitle(&site, 5, "Masks reach Astana");
    assert_eq!(search_reads(&site), ["en: 13 of 13"]);
    assert_same_as_clean(&site);

    // And the pages kept by that build serve the next one.
    retitle(&site, 6, "Masks reach Aktobe");
    assert_eq!(search_reads(&site), ["en: 1 of 13"]);
    assert_same_as_clean(&site);
}
