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
        "error: content/news/a.md:2:8: front matter: the quote opened here is never closed\n  hint: end the value with the same quote it starts with, on the same line",
    );
}

/// The mistake of the editor's day: a title's closing quote forgotten, with quotes further
/// down (`birge new` writes `author: ""`), which the parser pairs with the open one.
#[test]
fn a_quote_left_open_is_shown_on_its_line() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: \"Volunteers deliver medicine\ndate: 2020-03-20\nauthor: \"\"\ntags: [\"aid\"]",
        "Body\n",
    );
    fails_with(
        &site,
        "error: content/news/a.md:2:8: front matter: the quote opened here is not closed on its line\n  hint: end the value with the same quote it starts with, on the same line",
    );
}

/// A hurried edit after the closing quote (`'...' edited`), or a `"` used inside `"..."`: the
/// parser's "did not find expected key" is shown as the text that follows the quote.
#[test]
fn text_after_a_closing_quote_is_shown_where_it_starts() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: 'Less talk, more action' edited\ndate: 2020-03-20",
        "Body\n",
    );
    site.article(
        "b.md",
        "date: 2020-03-20\ntitle: \"Volunteers say \"thank you\" to doctors\"",
        "Body\n",
    );
    let hint = "  hint: put the whole value inside its quotes: inside '...' a ' is written '', \
                inside \"...\" a \" is written \\\"";
    fails_with(
        &site,
        &format!(
            "error: content/news/a.md:2:33: front matter: text after the closing quote of a \
             value\n{hint}"
        ),
    );
    fails_with(
        &site,
        &format!(
            "error: content/news/b.md:3:25: front matter: text after the closing quote of a \
             value\n{hint}"
        ),
    );
}

/// Quotes that close before what YAML allows after them are not mistaken for the slip above.
#[test]
fn quoted_keys_lists_and_comments_after_quotes_still_build() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: 'It''s \"ours\"'   # the headline\ndate: \"2020-03-20\"\ntags: ['aid', \"masks\"]\nextra:\n  \"quoted key\": 'x'",
        "Body\n",
    );
    site.build(&[]);
    let page = site.html("news/2020/03/it-s-ours/index.html");
    assert_eq!(page.text("h1"), "It's \"ours\"");
    assert!(site.exists("tags/masks/index.html"));
}

/// An alias would write its redirect over what the build makes at that path: the front page,
/// a feed, a theme file, or another article's alias. Each is named, and nothing is written.
#[test]
fn an_alias_never_replaces_a_page_a_file_or_another_alias() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-26\naliases: [/old/]",
        "Body\n",
    );
    site.article(
        "b.md",
        "title: B\ndate: 2020-03-26\naliases: [/, /atom.xml, /style.css, /archive/, /old/]",
        "Body\n",
    );
    let stderr = site.build_fails();
    let hint = "  hint: an alias must be an old URL that no page or file uses now: remove it from \
                `aliases:`";
    for message in [
        "alias / would replace the front page (/)",
        "alias /atom.xml would replace the site's feed (/atom.xml)",
        "alias /style.css would replace the file /style.css",
        "alias /archive/ would replace an archive page (/archive/)",
        "alias /old/ is an alias of content/news/a.md too",
    ] {
        let expected = format!("error: content/news/b.md: {message}\n{hint}");
        assert!(
            stderr.contains(&expected),
            "expected:\n{expected}\ngot:\n{stderr}"
        );
    }
    assert!(stderr.contains("5 problems found"), "{stderr}");
    assert!(!site.public().exists());
}

/// The "did you mean" of a broken `@/` link is the same in every run and never the linking
/// file itself; a link to a data file says that `@/` links point at articles and pages.
#[test]
fn broken_link_hints_are_stable_and_true() {
    let site = Fixture::new();
    for name in ["a", "b"] {
        site.article(
            &format!("{name}.md"),
            &format!("title: {name}\ndate: 2020-03-26"),
            "Body\n",
        );
    }
    site.article(
        "c.md",
        "title: C\ndate: 2020-03-26",
        "See [x](@/news/missing.md) and [r](@/regions.yaml).\n",
    );
    let expected = "error: content/news/c.md:5:5: broken link `@/news/missing.md`: there is no \
                    content/news/missing.md\n  hint: did you mean `@/news/a.md`? Paths in @/ links \
                    start from content/\n\
                    error: content/news/c.md:5:32: broken link `@/regions.yaml`: @/ links point at \
                    articles and pages\n  hint: link to an article or page by its Markdown file \
                    (`@/news/2020/03/masks.md`); other files by their site path";
    for _ in 0..4 {
        fails_with(&site, expected);
    }
}

/// A file whose front matter has problems does not load, but its body is checked all the
/// same: the build reports its broken links and unknown polls with the front matter's.
#[test]
fn a_file_that_fails_to_load_still_has_its_body_checked() {
    let site = Fixture::new();
    site.article(
        "b.md",
        "title: B\ndate: 2020-03-26\nregion: nowhere",
        "Body [x](@/news/missing.md)\n\n{{ poll(id=\"nopoll\") }}\n",
    );
    let stderr = site.build_fails();
    for expected in [
        "error: content/news/b.md:4:9: unknown region `nowhere`",
        "error: content/news/b.md:6:6: broken link `@/news/missing.md`: there is no \
         content/news/missing.md",
        "error: content/news/b.md:8:1: unknown poll `nopoll`",
        "3 problems found",
    ] {
        assert!(
            stderr.contains(expected),
            "expected:\n{expected}\ngot:\n{stderr}"
        );
    }
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
        .article(
            "b.md",
            "title: Same\ndate: 2020-03-21",
            "See [x](@/news/missing.md).\n",
        );
    let stderr = site.build_fails();
    // The clash does not hide what the rest of the build finds.
    assert!(
        stderr.contains("content/news/b.md:5:5: broken link `@/news/missing.md`"),
        "{stderr}"
    );
    assert!(stderr.contains("2 problems found"), "{stderr}");
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
fn a_link_to_a_draft_or_a_scheduled_article_says_why_it_is_missing() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20",
        "See [the draft](@/news/draft.md).\n\nAnd [the next one](@/news/next.md).\n",
    )
    .article(
        "draft.md",
        "title: D\ndate: 2020-03-20\ndraft: true",
        "Body\n",
    )
    .article(
        "next.md",
        "title: N\ndate: 2099-03-20T09:00:00+05:00",
        "Body\n",
    );
    let stderr = site.build_fails();
    assert_eq!(
        stderr.trim_end(),
        "error: content/news/a.md:5:5: broken link `@/news/draft.md`: content/news/draft.md is a draft\n  \
         hint: publish it (delete its line `draft: true`), or link to it once it is published\n\
         error: content/news/a.md:7:5: broken link `@/news/next.md`: content/news/next.md is dated in the future (2099-03-20 09:00)\n  \
         hint: link to it once it is published, or build with --future\n\
         2 problems found"
    );
    // Built with drafts and the future, both links resolve.
    site.build(&["--drafts", "--future"]);
}

#[test]
fn a_link_to_a_file_that_fails_to_load_is_not_reported_twice() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20",
        "See [b](@/news/b.md).\n",
    )
    .article("b.md", "title: 'B' and more\ndate: 2020-03-20", "Body\n");
    let stderr = site.build_fails();
    assert!(
        stderr.starts_with("error: content/news/b.md:2:12: "),
        "{stderr}"
    );
    assert!(!stderr.contains("broken link"), "{stderr}");
    assert!(stderr.trim_end().ends_with("1 problem found"), "{stderr}");
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
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "error: site.yaml: there is no site.yaml in {}\n  hint: --root names the site's folder, the one with site.yaml; create a site with `birge init DIR`",
            dir.path().display()
        )),
        "{stderr}"
    );
    let here = std::process::Command::new(util::BIRGE)
        .arg("build")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&here.stderr)
            .contains("error: site.yaml: there is no site.yaml here")
    );
    let nowhere = dir.path().join("no-such-folder");
    let out = std::process::Command::new(util::BIRGE)
        .args(["build", "--root"])
        .arg(&nowhere)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!(
        "error: site.yaml: there is no folder {}",
        nowhere.display()
    )));
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

#[test]
fn country_code_for_a_language() {
    let site = Fixture::new();
    site.article("a.md", "title: A\ndate: 2020-03-20\nlang: kz", "Body\n")
        .file(
            "content/pages/about.md",
            "---\ntitle: About\nlang: KK\n---\nBody\n",
        );
    fails_with(
        &site,
        "error: content/news/a.md:4:7: language `kz` is not one of the site's languages\n  hint: did you mean `kk`?",
    );
    fails_with(
        &site,
        "error: content/pages/about.md:3:7: language `KK` is not one of the site's languages\n  hint: did you mean `kk`?",
    );
}

/// `/search/` is each tree's search page.
#[test]
fn a_page_cannot_take_the_search_page() {
    let site = Fixture::new();
    site.file(
        "content/pages/find.md",
        "---\ntitle: Find\nslug: search\n---\nBody\n",
    );
    fails_with(
        &site,
        "error: content/pages/find.md:3:1: a page cannot take the URL /search/: birge builds its own pages there\n  hint: give it another `slug:`",
    );
}

#[test]
fn region_written_as_its_name() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20\nregion: Атырау облысы",
        "Body\n",
    )
    .article(
        "b.md",
        "title: B\ndate: 2020-03-20\nregion: Atyrau Region",
        "Body\n",
    )
    .article(
        "c.md",
        "title: C\ndate: 2020-03-20\nregion: atyrau oblast",
        "Body\n",
    )
    .article(
        "d.md",
        "title: D\ndate: 2020-03-20\nregions: [Костанайская область, astana]",
        "Body\n",
    );
    let stderr = site.build_fails();
    for expected in [
        "error: content/news/a.md:4:9: unknown region `Атырау облысы`\n  hint: `Атырау облысы` is the name of the region `atyrau`; front matter names regions by their slug: `region: atyrau`",
        "error: content/news/b.md:4:9: unknown region `Atyrau Region`\n  hint: `Atyrau Region` is the name of the region `atyrau`; front matter names regions by their slug: `region: atyrau`",
        "error: content/news/c.md:4:9: unknown region `atyrau oblast`\n  hint: `atyrau oblast` is not a region slug; did you mean `atyrau` (Atyrau Region)? Front matter names regions by their slug: `region: atyrau`",
        "error: content/news/d.md:4:11: unknown region `Костанайская область`\n  hint: `Костанайская область` is the name of the region `kostanay`; front matter names regions by their slug: `regions: [kostanay, astana]`",
    ] {
        assert!(
            stderr.contains(expected),
            "expected:\n{expected}\ngot:\n{stderr}"
        );
    }
    assert!(stderr.trim_end().ends_with("4 problems found"), "{stderr}");
}

#[test]
fn several_regions_under_region() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20\nregion: [atyrau, kostanay]",
        "Body\n",
    )
    .article(
        "b.md",
        "title: B\ndate: 2020-03-20\nregion:\n  - atyrau\n  - astana",
        "Body\n",
    )
    .article(
        "c.md",
        "title: C\ndate: 2020-03-20\nregion: atyrau, Kostanay Region",
        "Body\n",
    )
    .article(
        "d.md",
        "title: D\ndate: 2020-03-20\nregions: atyrau, astana",
        "Body\n",
    );
    let stderr = site.build_fails();
    for expected in [
        "error: content/news/a.md:4:1: `region` takes one region, not a list\n  hint: use `regions:` for several regions: `regions: [atyrau, kostanay]`",
        "error: content/news/b.md:4:1: `region` takes one region, not a list\n  hint: use `regions:` for several regions: `regions: [atyrau, astana]`",
        "error: content/news/c.md:4:9: unknown region `atyrau, Kostanay Region`\n  hint: use `regions:` for several regions: `regions: [atyrau, kostanay]`",
        "error: content/news/d.md:4:10: unknown region `atyrau, astana`\n  hint: regions is a list: `regions: [atyrau, astana]`",
    ] {
        assert!(
            stderr.contains(expected),
            "expected:\n{expected}\ngot:\n{stderr}"
        );
    }
    assert!(stderr.trim_end().ends_with("4 problems found"), "{stderr}");
}

#[test]
fn tags_written_as_one_text() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20\ntags: masks, volunteers",
        "Body\n",
    )
    .article("b.md", "title: B\ndate: 2020-03-20\ntags: masks", "Body\n");
    let stderr = site.build_fails();
    let expected = "error: content/news/a.md:4:7: `tags` is one text, `masks, volunteers`, so it would be a single tag\n  hint: tags is a list: `tags: [masks, volunteers]`";
    assert!(
        stderr.contains(expected),
        "expected:\n{expected}\ngot:\n{stderr}"
    );
    // One tag written as text is unambiguous and stays accepted.
    assert!(stderr.trim_end().ends_with("1 problem found"), "{stderr}");
}

#[test]
fn updated_before_date() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-26\nupdated: 2020-03-20",
        "Body\n",
    )
    .article(
        "b.md",
        "title: B\ndate: 2020-03-26T10:00:00+05:00\nupdated: 2020-03-26T09:30:00+05:00",
        "Body\n",
    )
    // The same day, written without a time: not earlier.
    .article(
        "c.md",
        "title: C\ndate: 2020-03-26T10:00:00+05:00\nupdated: 2020-03-26",
        "Body\n",
    )
    .file(
        "content/pages/about.md",
        "---\ntitle: About\ndate: 2020-03-26\nupdated: 2019-12-31\n---\nBody\n",
    );
    let stderr = site.build_fails();
    for expected in [
        "error: content/news/a.md:4:1: `updated` (2020-03-20) is earlier than `date` (2020-03-26)\n  hint: `updated` says when it was last changed, so it cannot come before `date`: correct the one that is wrong, or remove `updated`",
        "error: content/news/b.md:4:1: `updated` (2020-03-26T09:30:00+05:00) is earlier than `date` (2020-03-26T10:00:00+05:00)",
        "error: content/pages/about.md:4:1: `updated` (2019-12-31) is earlier than `date` (2020-03-26)",
    ] {
        assert!(
            stderr.contains(expected),
            "expected:\n{expected}\ngot:\n{stderr}"
        );
    }
    assert!(stderr.trim_end().ends_with("3 problems found"), "{stderr}");
}

#[test]
fn tab_in_front_matter() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20\ntags:\n\t- masks",
        "Body\n",
    );
    fails_with(
        &site,
        "error: content/news/a.md:5:1: front matter: a tab in the indentation\n  hint: front matter is indented with spaces, not tabs",
    );
}

#[test]
fn poll_named_and_placed() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20\npoll: mothers-forum",
        "Text.\n\n{{ poll(id=\"mothers-forum\") }}\n",
    );
    fails_with(
        &site,
        "error: content/news/a.md:8:1: poll `mothers-forum` is placed here and also named by `poll:` in the front matter, so it would be shown twice\n  hint: remove this line, or the `poll:` line of the front matter",
    );
}

#[test]
fn poll_shortcode_inside_a_sentence() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20",
        "Vote here {{ poll(id=\"mothers-forum\") }} please.\n\nWritten as `{{ poll(id=\"mothers-forum\") }}` in code.\n\n{{ poll(mothers-forum) }}\n",
    );
    let stderr = site.build_fails();
    for expected in [
        "error: content/news/a.md:5:11: poll shortcode `{{ poll(id=\"mothers-forum\") }}` inside a sentence would be printed as text\n  hint: a shortcode stands on a line of its own: move `{{ poll(id=\"mothers-forum\") }}` to a line by itself",
        "error: content/news/a.md:9:1: cannot read the poll shortcode `{{ poll(mothers-forum) }}`: it would be printed as text\n  hint: write it as `{{ poll(id=\"ID\") }}` on a line of its own, ID being the name of a file in content/polls/ without `.yaml`",
    ] {
        assert!(
            stderr.contains(expected),
            "expected:\n{expected}\ngot:\n{stderr}"
        );
    }
    assert!(stderr.trim_end().ends_with("2 problems found"), "{stderr}");
}

#[test]
fn an_invalid_poll_is_not_called_missing() {
    let site = Fixture::new();
    site.file(
        "content/polls/mothers-forum.yaml",
        "question: Q?\noptions: [only]\n",
    )
    .article(
        "a.md",
        "title: A\ndate: 2020-03-20\npoll: mothers-forum",
        "Body\n",
    )
    .article(
        "b.md",
        "title: B\ndate: 2020-03-20",
        "{{ poll(id=\"mothers-forum\") }}\n",
    );
    let stderr = site.build_fails();
    assert!(
        stderr.contains(
            "error: content/polls/mothers-forum.yaml:2:1: a poll needs 2 to 10 options, this one has 1"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("there is no content/polls"), "{stderr}");
    assert!(!stderr.contains("does not exist"), "{stderr}");
    assert!(stderr.trim_end().ends_with("1 problem found"), "{stderr}");
}

#[test]
fn check_reports_front_matter_mistakes_like_build() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20\nlang: kz\nregion: Atyrau",
        "Vote here {{ poll(id=\"mothers-forum\") }} please.\n",
    );
    let out = site.birge(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "error: content/news/a.md:4:7: language `kz` is not one of the site's languages\n  hint: did you mean `kk`?",
        "error: content/news/a.md:5:9: unknown region `Atyrau`\n  hint: `Atyrau` is the slug `atyrau` in the wrong case; region slugs are lowercase: `region: atyrau`",
    ] {
        assert!(
            stderr.contains(expected),
            "expected:\n{expected}\ngot:\n{stderr}"
        );
    }
}

#[test]
fn a_key_written_twice_is_placed_at_its_second_line() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\nslug: a\ndate: 2020-03-20\nslug: b",
        "Body\n",
    );
    assert_eq!(
        site.build_fails(),
        "error: content/news/a.md:5:1: `slug` is written twice in the front matter\n  hint: keep one of the two `slug:` lines\n1 problem found\n"
    );
}

#[test]
fn editors_lock_files_and_hidden_files_are_not_content() {
    let site = Fixture::new();
    site.article("2020/a.md", "title: A\ndate: 2020-03-20", "Text.\n");
    let folder = site.root().join("content/news/2020");
    // Emacs marks a file being edited with a link to nowhere named `.#a.md`.
    std::os::unix::fs::symlink("editor@host.1234:1700000000", folder.join(".#a.md")).unwrap();
    std::fs::write(folder.join(".notes.md"), "no front matter").unwrap();
    site.build(&[]);
    // A link to nowhere under another name is reported, by its site path alone.
    std::os::unix::fs::symlink("nowhere.md", folder.join("b.md")).unwrap();
    let stderr = site.build_fails();
    assert!(
        stderr.contains(
            "error: content/news/2020/b.md: cannot read: No such file or directory (os error 2)\n  hint: a symbolic link here points at a file that does not exist; remove it or point it at the file"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("1 problem found"), "{stderr}");
}
