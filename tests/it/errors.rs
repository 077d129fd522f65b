//! Bad inputs: each problem is reported with its file, line, column, message and hint, all
//! problems of a build together, exit code 1, and no panic.

use super::util::{self, Fixture};

fn fails_with(site: &Fixture, expected: &str) {
    let stderr = site.build_fails();
    assert!(
        stderr.contains(expected),
        "expected:\n{expected}\ngot:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn malformed_yaml() {
    let site = Fixture::new();
    site.article("a.md", "title: \"Unclosed\ndate: 2020-03-20", "Body\n");
    fails_with(
        &site,
        "error: content/news/a.md:4:1: front matter: found unexpected end of stream\n  hint: check quotes, brackets and indentation on this line and the one before",
    );
}

#[test]
fn front_matter_never_closed() {
    let site = Fixture::new();
    site.file(
        "content/news/a.md",
        "---\ntitle: A\ndate: 2020-03-20\n\nBody\n",
    );
    fails_with(
        &site,
        "error: content/news/a.md:1:1: the front matter is never closed\n  hint: end it with a line `---` between the last key and the article's text",
    );
}

#[test]
fn no_front_matter() {
    let site = Fixture::new();
    site.file("content/news/a.md", "Just text\n");
    fails_with(
        &site,
        "error: content/news/a.md:1:1: the file does not start with front matter",
    );
}

#[test]
fn missing_title() {
    let site = Fixture::new();
    site.article("a.md", "date: 2020-03-20", "Body\n");
    fails_with(
        &site,
        "error: content/news/a.md:1:1: the article has no `title`\n  hint: add a line like `title: Volunteers of Atyrau sew masks` to the front matter",
    );
}

#[test]
fn impossible_date() {
    let site = Fixture::new();
    site.article("a.md", "title: A\ndate: 2020-02-30", "Body\n");
    fails_with(
        &site,
        "error: content/news/a.md:3:1: `2020-02-30` is not a real date: February 2020 has no day 30",
    );
}

#[test]
fn unknown_region_with_suggestion() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20\nregion: atyraw",
        "Body\n",
    );
    fails_with(
        &site,
        "error: content/news/a.md:4:9: unknown region `atyraw`\n  hint: did you mean `atyrau`? Regions are defined in content/regions.yaml",
    );
}

#[test]
fn former_region_slugs_are_accepted() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20\nregion: nur-sultan",
        "Body\n",
    );
    site.build(&[]);
    assert_eq!(site.html("regions/astana/index.html").count(".card"), 1);
}

#[test]
fn misspelled_key_with_suggestion() {
    let site = Fixture::new();
    site.article("a.md", "title: A\ndate: 2020-03-20\ntgas: [x]", "Body\n");
    fails_with(
        &site,
        "error: content/news/a.md:4:1: unknown key `tgas` in front matter\n  hint: did you mean `tags`?",
    );
}

#[test]
fn two_articles_with_one_url() {
    let site = Fixture::new();
    site.article("a.md", "title: Same\ndate: 2020-03-20", "Body\n")
        .article("b.md", "title: Same\ndate: 2020-03-21", "Body\n");
    let stderr = site.build_fails();
    assert!(
        stderr.contains("two articles have the URL /news/2020/03/same/"),
        "{stderr}"
    );
    assert!(
        stderr.contains("content/news/a.md") && stderr.contains("content/news/b.md"),
        "{stderr}"
    );
}

#[test]
fn unknown_poll() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20\npoll: mothers-forun",
        "Body\n",
    );
    fails_with(
        &site,
        "error: content/news/a.md:4:7: unknown poll `mothers-forun`\n  hint: did you mean `mothers-forum`? Polls are the files in content/polls/",
    );
}

#[test]
fn broken_internal_link() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20",
        "First line.\n\nSee [b](@/news/b.md).\n",
    );
    fails_with(
        &site,
        "error: content/news/a.md:7:5: broken link `@/news/b.md`: there is no content/news/b.md",
    );
}

#[test]
fn template_syntax_error_names_the_template() {
    let site = Fixture::new();
    site.article("a.md", "title: A\ndate: 2020-03-20", "Body\n")
        .file("templates/article.html", "{% extends \"base.html\" %}\n{% block content %}{{ article.title }\n{% endblock content %}\n");
    fails_with(
        &site,
        "error: templates/article.html:2:37: template syntax error: Found `}` but expected }}.",
    );
}

#[test]
fn file_that_is_not_utf8() {
    let site = Fixture::new();
    site.bytes(
        "content/news/a.md",
        b"---\ntitle: A\ndate: 2020-03-20\n---\nBody \xff\xfe here\n",
    );
    fails_with(
        &site,
        "error: content/news/a.md:5:6: the file is not UTF-8 text\n  hint: save it as UTF-8",
    );
}

#[test]
fn poll_with_one_option() {
    let site = Fixture::new();
    site.file(
        "content/polls/mothers-forum.yaml",
        "question: Q?\noptions: [only]\n",
    );
    fails_with(
        &site,
        "error: content/polls/mothers-forum.yaml:2:1: a poll needs 2 to 10 options, this one has 1",
    );
}

#[test]
fn duplicate_region_slug() {
    let site = Fixture::new();
    site.file("content/regions.yaml", "- slug: atyrau\n  name: {en: A}\n- slug: kostanay\n  name: {en: K}\n- slug: atyrau\n  name: {en: B}\n");
    fails_with(
        &site,
        "error: content/regions.yaml:5:3: region slug `atyrau` is defined twice",
    );
}

#[test]
fn unknown_setting_in_site_yaml() {
    let site = Fixture::new();
    site.file(
        "site.yaml",
        "title: T\nbase_url: https://example.kz\npaginte: 5\n",
    );
    fails_with(
        &site,
        "error: site.yaml:3:1: unknown setting `paginte`\n  hint: did you mean `paginate`?",
    );
}

#[test]
fn all_problems_are_reported_together_sorted_by_file() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20\nregion: atyraw",
        "Body\n",
    )
    .article("b.md", "date: 2020-03-20", "Body\n")
    .article("c.md", "title: C\ndate: 2020-03-20", "[x](@/nope.md)\n");
    let stderr = site.build_fails();
    let a = stderr.find("content/news/a.md:4:9").expect("a reported");
    let b = stderr.find("content/news/b.md:1:1").expect("b reported");
    let c = stderr.find("content/news/c.md:5:1").expect("c reported");
    assert!(a < b && b < c, "{stderr}");
    assert!(stderr.trim_end().ends_with("3 problems found"), "{stderr}");
}

#[test]
fn hostile_and_odd_inputs_do_not_panic() {
    let site = Fixture::new();
    site.bytes("content/news/empty.md", b"")
        .file("content/news/only-fence.md", "---\n")
        .file("content/news/list.md", "---\n- a\n- b\n---\nBody\n")
        .file(
            "content/news/types.md",
            "---\ntitle: [1, 2]\ndate: {a: 1}\n---\n",
        )
        .file(
            "content/news/deep.md",
            &format!(
                "---\ntitle: Deep\ndate: 2020-03-20\n---\n{}x\n",
                ">".repeat(5000)
            ),
        );
    let stderr = site.build_fails();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("content/news/empty.md"), "{stderr}");
}

#[test]
fn usage_errors_exit_with_2() {
    let site = Fixture::new();
    let out = site.birge(&["build", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    let out = site.birge(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn missing_site_yaml_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(util::BIRGE)
        .args(["build", "--root"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("error: site.yaml: there is no site.yaml here")
    );
}

#[test]
fn build_never_writes_under_content() {
    let site = Fixture::new();
    site.article("a.md", "title: A\ndate: 2020-03-20", "Body\n");
    let out = site.birge(&[
        "build",
        "--output",
        site.root().join("content/out").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!site.root().join("content/out").exists());
}
