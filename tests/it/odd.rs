//! Large and odd inputs: a 20 MB article, 50,000 tags, deeply nested Markdown, YAML alias
//! bombs, empty files and symlink loops. Each builds or fails with a clear message, within
//! generous bounds of time and memory (measured per build and printed; the bounds are there to
//! catch a hang or a blow-up, not to time the build).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::util::{BIRGE, Fixture};

/// What one measured run did.
struct Run {
    code: Option<i32>,
    stderr: String,
    elapsed: Duration,
    max_rss_mb: u64,
}

/// Runs `birge build` on the site, measuring wall time and the child's peak memory.
fn measured_build(site: &Fixture) -> Run {
    let started = Instant::now();
    // Waited for below with wait4, which also gives the child's peak memory.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(BIRGE)
        .args(["build", "--quiet", "--root"])
        .arg(site.root())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("birge runs");
    let pid = child.id() as libc::pid_t;
    let mut stderr_pipe = child.stderr.expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr_pipe, &mut text);
        text
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting for our own child, with pointers to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "waited for the build");
    let elapsed = started.elapsed();
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let run = Run {
        code,
        stderr: reader.join().unwrap(),
        elapsed,
        max_rss_mb: usage.ru_maxrss as u64 / 1024,
    };
    eprintln!(
        "build: exit {:?} in {:.2} s, peak {} MB",
        run.code,
        run.elapsed.as_secs_f64(),
        run.max_rss_mb
    );
    run
}

/// Asserts the run stayed within bounds that only a hang or a blow-up would cross.
fn assert_bounded(run: &Run, seconds: u64, megabytes: u64) {
    assert!(
        run.elapsed < Duration::from_secs(seconds),
        "took {:?}",
        run.elapsed
    );
    assert!(run.max_rss_mb < megabytes, "peak {} MB", run.max_rss_mb);
}

fn assert_builds(run: &Run) {
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}

/// Asserts a failed build with a located, explained message mentioning `needle`.
fn assert_clear_error(run: &Run, file: &str, needle: &str) {
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("error: {file}")) && run.stderr.contains(needle),
        "expected an error about {file} mentioning `{needle}`:\n{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("panicked"),
        "a panic, not an error:\n{}",
        run.stderr
    );
}

#[test]
fn a_20_mb_article_builds() {
    let site = Fixture::new();
    let paragraph = "The volunteers of the Atyrau regional assembly sewed masks for the elderly, and the youth wing delivered them door to door. ";
    let mut body = String::with_capacity(21 << 20);
    let mut n = 0;
    while body.len() < 20 << 20 {
        n += 1;
        if n % 50 == 0 {
            body.push_str(&format!("## Part {n}\n\n"));
        }
        body.push_str(paragraph);
        body.push_str(paragraph);
        body.push_str("\n\n");
    }
    site.article(
        "2020/03/huge.md",
        "title: A very long report\ndate: 2020-03-26\nregion: atyrau",
        &body,
    );
    let run = measured_build(&site);
    assert_builds(&run);
    assert_bounded(&run, 300, 4096);
    let page = site.read("news/2020/03/a-very-long-report/index.html");
    assert!(page.len() > 20 << 20);
}

#[test]
fn fifty_thousand_tags() {
    let site = Fixture::new();
    let tags: Vec<String> = (0..50_000).map(|i| format!("tag-{i}")).collect();
    site.article(
        "2020/03/tags.md",
        &format!(
            "title: Tagged to the hilt\ndate: 2020-03-26\ntags: [{}]",
            tags.join(", ")
        ),
        "Text.\n",
    );
    let run = measured_build(&site);
    assert_bounded(&run, 600, 4096);
    if run.code == Some(0) {
        assert!(site.exists("tags/tag-49999/index.html"));
    } else {
        assert_clear_error(&run, "content/news/2020/03/tags.md", "tags");
    }
}

#[test]
fn deeply_nested_markdown_builds() {
    let site = Fixture::new();
    let depth = 50_000;
    let quotes = format!("{} quoted\n", ">".repeat(depth));
    let lists: String = (0..2_000)
        .map(|i| format!("{}- item {i}\n", "  ".repeat(i)))
        .collect();
    let emphasis = format!("{}text{}\n", "*".repeat(depth), "*".repeat(depth));
    let links = format!("{}x{}\n", "[".repeat(depth), "](/a)".repeat(depth));
    let html = format!("{}\n", "<div>".repeat(depth));
    site.article(
        "2020/03/deep.md",
        "title: Deep\ndate: 2020-03-26",
        &format!("{quotes}\n{lists}\n{emphasis}\n{links}\n{html}\n"),
    );
    // Deeply nested YAML too: a clear error, not a stack overflow.
    site.article(
        "2020/03/deep-yaml.md",
        &format!(
            "title: Deep YAML\ndate: 2020-03-26\nextra: {}{}",
            "[".repeat(depth),
            "]".repeat(depth)
        ),
        "Text.\n",
    );
    site.article(
        "2020/03/deep-block.md",
        &format!(
            "title: Deep block YAML\ndate: 2020-03-26\nextra:\n  {}x",
            "- ".repeat(depth)
        ),
        "Text.\n",
    );
    let run = measured_build(&site);
    // Flow nesting once took 23 s here: the YAML scanner is quadratic in its depth.
    assert_bounded(&run, 60, 4096);
    assert_clear_error(
        &run,
        "content/news/2020/03/deep-yaml.md",
        "nested more than",
    );
    assert_clear_error(
        &run,
        "content/news/2020/03/deep-block.md",
        "recursion limit",
    );
    for file in ["deep-yaml.md", "deep-block.md"] {
        std::fs::remove_file(site.root().join("content/news/2020/03").join(file)).unwrap();
    }
    let run = measured_build(&site);
    assert_builds(&run);
    assert_bounded(&run, 300, 4096);
    assert!(site.exists("news/2020/03/deep/index.html"));
}

/// A "billion laughs" YAML document: nine levels of nine aliases each.
fn alias_bomb(key: &str) -> String {
    let mut text = format!(
        "{key}:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let (prev, next) = (pair[0], pair[1]);
        text.push_str(&format!(
            "  {next}: &{next} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
    }
    text
}

#[test]
fn yaml_alias_bombs_fail_fast() {
    let site = Fixture::new();
    site.article(
        "2020/03/bomb.md",
        &format!(
            "title: Bomb\ndate: 2020-03-26\n{}",
            alias_bomb("extra").trim_end()
        ),
        "Text.\n",
    );
    let run = measured_build(&site);
    assert_bounded(&run, 60, 1024);
    assert_clear_error(&run, "content/news/2020/03/bomb.md", "front matter");
    std::fs::remove_file(site.root().join("content/news/2020/03/bomb.md")).unwrap();

    site.file(
        "site.yaml",
        &format!("{}{}", super::util::SITE_YAML, alias_bomb("extra")),
    );
    let run = measured_build(&site);
    assert_bounded(&run, 60, 1024);
    assert_clear_error(&run, "site.yaml", "");
    site.file("site.yaml", super::util::SITE_YAML);

    site.file(
        "content/regions.yaml",
        &format!(
            "- slug: atyrau\n  name: Atyrau\n  description: x\n  former: []\n- {}",
            alias_bomb("slug").replace("\n  ", "\n    ")
        ),
    );
    let run = measured_build(&site);
    assert_bounded(&run, 60, 1024);
    assert_clear_error(&run, "content/regions.yaml", "");
    site.file("content/regions.yaml", super::util::REGIONS_YAML);

    site.file(
        "content/polls/mothers-forum.yaml",
        &format!("{}{}", super::util::POLL_YAML, alias_bomb("lang")),
    );
    let run = measured_build(&site);
    assert_bounded(&run, 60, 1024);
    assert_clear_error(&run, "content/polls/mothers-forum.yaml", "");
}

#[test]
fn empty_files_are_explained() {
    let site = Fixture::new();
    site.file("content/news/2020/03/empty.md", "");
    let run = measured_build(&site);
    assert_clear_error(
        &run,
        "content/news/2020/03/empty.md",
        "does not start with front matter",
    );
    std::fs::remove_file(site.root().join("content/news/2020/03/empty.md")).unwrap();

    site.file("content/pages/empty.md", "");
    assert_clear_error(
        &measured_build(&site),
        "content/pages/empty.md",
        "does not start with front matter",
    );
    std::fs::remove_file(site.root().join("content/pages/empty.md")).unwrap();

    site.file("content/polls/empty.yaml", "");
    assert_clear_error(
        &measured_build(&site),
        "content/polls/empty.yaml",
        "question",
    );
    std::fs::remove_file(site.root().join("content/polls/empty.yaml")).unwrap();

    // An empty regions file is no regions; an empty site.yaml lacks its title.
    site.file("content/regions.yaml", "");
    assert_builds(&measured_build(&site));
    site.file("site.yaml", "");
    assert_clear_error(&measured_build(&site), "site.yaml", "title");
}

#[test]
fn tags_without_a_slug_are_errors_not_lost() {
    let site = Fixture::new();
    site.article(
        "2020/03/a.md",
        "title: A\ndate: 2020-03-26\ntags: [masks, \"!!!\", 中文]",
        "Text.\n",
    );
    let run = measured_build(&site);
    assert_clear_error(
        &run,
        "content/news/2020/03/a.md:4:",
        "tag `!!!` cannot be made",
    );
    assert!(run.stderr.contains("tag `中文`"), "{}", run.stderr);
}

#[test]
fn symlink_loops_in_content_end() {
    let site = Fixture::new();
    site.article("2020/03/a.md", "title: A\ndate: 2020-03-26", "Text.\n");
    let news = site.root().join("content/news");
    std::os::unix::fs::symlink(&news, news.join("2020/loop")).unwrap();
    std::os::unix::fs::symlink("self", news.join("self")).unwrap();
    std::os::unix::fs::symlink("self.md", news.join("self.md")).unwrap();
    std::os::unix::fs::symlink("../polls", site.root().join("content/polls/loop.yaml")).unwrap();
    let run = measured_build(&site);
    assert_bounded(&run, 60, 1024);
    assert!(!run.stderr.contains("panicked"), "a panic:\n{}", run.stderr);
    // Links are followed; loops are reported, each with its path and a hint.
    for path in [
        "content/news/2020/loop",
        "content/news/self",
        "content/polls/loop.yaml",
    ] {
        assert_clear_error(&run, path, "cannot read");
    }
    assert!(
        run.stderr.contains("points back at itself"),
        "{}",
        run.stderr
    );
}
