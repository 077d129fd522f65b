//! Hints that name the fix: each editor-facing problem says what was wrong in words that are
//! true of what was written, and a hint whose example can be copied as it is.

use super::util::Fixture;

/// The regions of the audit's site: Atyrau and Karaganda.
const REGIONS_YAML: &str = "\
- slug: atyrau
  name: {en: Atyrau Region, kk: Атырау облысы, ru: Атырауская область}
  former: [guryev]
- slug: karaganda
  name: {en: Karaganda Region, kk: Қарағанды облысы, ru: Карагандинская область}
";

fn site() -> Fixture {
    let site = Fixture::new();
    site.file("content/regions.yaml", REGIONS_YAML);
    site
}

/// Runs `birge args`, expects exit code `code`, gives stderr.
fn fails(site: &Fixture, args: &[&str], code: i32) -> String {
    let out = site.birge(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "stderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// Builds expecting content errors and checks that each expected problem is reported.
fn build_reports(site: &Fixture, expected: &[&str]) -> String {
    let stderr = fails(site, &["build"], 1);
    for problem in expected {
        assert!(
            stderr.contains(problem),
            "expected:\n{problem}\ngot:\n{stderr}"
        );
    }
    stderr
}

#[test]
fn a_list_of_one_name_under_region_suggests_the_slug() {
    let site = site();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20\nregion: [Atyrau Region]",
        "Body\n",
    );
    site.article(
        "b.md",
        "title: B\ndate: 2020-03-20\nregion: [Atyrau Region, Қарағанды облысы]",
        "Body\n",
    );
    build_reports(
        &site,
        &[
            "error: content/news/a.md:4:1: `region` takes one region, not a list\n  hint: write `region: atyrau`, or use `regions:` for several regions\n",
            "error: content/news/b.md:4:1: `region` takes one region, not a list\n  hint: use `regions:` for several regions: `regions: [atyrau, karaganda]`\n",
        ],
    );
}

#[test]
fn a_name_in_a_list_of_regions_suggests_the_whole_list() {
    let site = site();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20\nregions: [atyrau, Қарағанды облысы]",
        "Body\n",
    );
    site.article(
        "b.md",
        "title: B\ndate: 2020-03-20\nregions:\n  - KARAGANDA\n  - guryev",
        "Body\n",
    );
    build_reports(
        &site,
        &[
            "error: content/news/a.md:4:19: unknown region `Қарағанды облысы`\n  hint: `Қарағанды облысы` is the name of the region `karaganda`; front matter names regions by their slug: `regions: [atyrau, karaganda]`\n",
            "error: content/news/b.md:5:5: unknown region `KARAGANDA`\n  hint: `KARAGANDA` is the slug `karaganda` in the wrong case; region slugs are lowercase: `regions: [karaganda, guryev]`\n",
        ],
    );
}

#[test]
fn a_region_in_capitals_or_part_of_a_name_is_told_truthfully() {
    let site = site();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20\nregion: ATYRAU",
        "Body\n",
    );
    site.article(
        "b.md",
        "title: B\ndate: 2020-03-20\nregion: Атырау",
        "Body\n",
    );
    site.article(
        "c.md",
        "title: C\ndate: 2020-03-20\nregion: Karaganda",
        "Body\n",
    );
    build_reports(
        &site,
        &[
            "error: content/news/a.md:4:9: unknown region `ATYRAU`\n  hint: `ATYRAU` is the slug `atyrau` in the wrong case; region slugs are lowercase: `region: atyrau`\n",
            "error: content/news/b.md:4:9: unknown region `Атырау`\n  hint: `Атырау` is not a region slug; did you mean `atyrau` (Атырау облысы)? Front matter names regions by their slug: `region: atyrau`\n",
            "error: content/news/c.md:4:9: unknown region `Karaganda`\n  hint: `Karaganda` is the slug `karaganda` in the wrong case; region slugs are lowercase: `region: karaganda`\n",
        ],
    );
}

#[test]
fn an_empty_slug_suggests_the_title_s() {
    let site = site();
    site.article(
        "a.md",
        "title: Volunteers of Atyrau sew masks\ndate: 2020-03-20\nslug: \"\"",
        "Body\n",
    );
    site.article(
        "b.md",
        "title: Волонтёры\ndate: 2020-03-20\nslug: «»",
        "Body\n",
    );
    site.file(
        "content/pages/about.md",
        "---\ntitle: About\nslug: ''\n---\nText\n",
    );
    build_reports(
        &site,
        &[
            "error: content/news/a.md:4:1: `slug` is empty\n  hint: remove the `slug` line to make it from the title (`volunteers-of-atyrau-sew-masks`), or write one like `slug: volunteers-of-atyrau-sew-masks`\n",
            "error: content/news/b.md:4:1: slug `«»` is not a URL slug\n  hint: use lowercase a-z, digits and single hyphens, e.g. `volontery`\n",
            "error: content/pages/about.md:3:1: `slug` is empty\n  hint: remove the `slug` line to make it from the file name (`about`), or write one like `slug: about`\n",
        ],
    );
}

#[test]
fn dates_that_cannot_be_read_say_how_to_write_one() {
    let site = site();
    site.article("a.md", "title: A\ndate: 2020-13-45", "Body\n");
    site.article(
        "b.md",
        "title: B\ndate: 2020-03-20\nupdated: \"\"",
        "Body\n",
    );
    site.article("c.md", "title: C\ndate: \"\"", "Body\n");
    site.article("d.md", "title: D\ndate: yesterday", "Body\n");
    build_reports(
        &site,
        &[
            "error: content/news/a.md:3:1: `2020-13-45` is not a real date: there is no month 13\n  hint: write `YYYY-MM-DD` or RFC 3339, e.g. `2020-03-26` or `2020-03-26T10:00:00+05:00`\n",
            "error: content/news/b.md:4:1: `updated` is empty\n  hint: write a date like `updated: 2020-03-26`, or remove the line\n",
            "error: content/news/c.md:3:1: `date` is empty\n  hint: write a date like `date: 2020-03-26`\n",
            "error: content/news/d.md:3:1: `yesterday` is not a date\n  hint: write `YYYY-MM-DD` or RFC 3339, e.g. `2020-03-26` or `2020-03-26T10:00:00+05:00`\n",
        ],
    );
}

#[test]
fn a_poll_that_closes_before_it_opens() {
    let site = site();
    site.file(
        "content/polls/mothers-forum.yaml",
        "question: Q?\noptions: [a, b]\nopens: 2020-04-30\ncloses: 2020-03-01\n",
    );
    build_reports(
        &site,
        &[
            "error: content/polls/mothers-forum.yaml:4:1: the poll closes before it opens: `closes: 2020-03-01` is earlier than `opens: 2020-04-30`\n  hint: `closes` is the last day of voting, so it cannot come before `opens`: correct the one that is wrong, or swap them\n",
        ],
    );
}

#[test]
fn an_unknown_poll_kind_names_the_kinds() {
    let site = site();
    site.file(
        "content/polls/mothers-forum.yaml",
        "question: Q?\noptions: [a, b]\nkind: quizz\nanswer: 1\n",
    );
    site.file(
        "content/polls/other.yaml",
        "question: Q?\noptions: [a, b]\nkind: poll\n",
    );
    let stderr = build_reports(
        &site,
        &[
            "error: content/polls/mothers-forum.yaml:3:7: unknown poll kind `quizz`\n  hint: did you mean `quiz`? A poll's kind is `single`, `multiple` or `quiz`\n",
            "error: content/polls/other.yaml:3:7: unknown poll kind `poll`\n  hint: a poll's kind is `single`, `multiple` or `quiz`\n",
        ],
    );
    assert!(!stderr.contains("unknown variant"), "{stderr}");
    assert!(!stderr.contains("only a quiz"), "{stderr}");
    assert!(stderr.trim_end().ends_with("2 problems found"), "{stderr}");
}

#[test]
fn a_base_url_that_is_not_a_url() {
    let site = site();
    site.file(
        "site.yaml",
        &super::util::SITE_YAML.replace("https://example.kz", "not a url"),
    );
    build_reports(
        &site,
        &[
            "error: site.yaml:2:1: `base_url` must start with http:// or https://, not `not a url`\n  hint: write the site's public address, e.g. `base_url: https://assembly.example.kz`\n",
        ],
    );
}

#[test]
fn base_url_flag_is_checked_like_site_yaml_s() {
    let site = site();
    site.article("a.md", "title: A\ndate: 2020-03-20", "Body\n");
    let stderr = fails(&site, &["build", "--base-url", "notaurl"], 2);
    assert!(
        stderr.starts_with("error: invalid value 'notaurl' for '--base-url <URL>': a base URL must start with http:// or https://, e.g. `--base-url https://assembly.example.kz`\n"),
        "{stderr}"
    );
    assert!(!site.exists("index.html"));
    site.build(&["--base-url", "https://preview.example.kz/"]);
    assert!(
        site.read("index.html")
            .contains("https://preview.example.kz/news/2020/03/a/")
    );
}

#[test]
fn polls_results_without_a_store_says_where_to_find_one() {
    let site = site();
    let root = site.root().display().to_string();
    let stderr = fails(&site, &["polls", "results"], 1);
    assert_eq!(
        stderr,
        format!(
            "error: there is no vote store at {root}/polls.sqlite\n  hint: pass `--db FILE` (a SQLite file or a postgres:// URL) or set `polls.database` in site.yaml; votes are there once the vote service (`birge polls serve --db FILE`) has run\n"
        )
    );
    let stderr = fails(&site, &["polls", "results", "--db", "votes.sqlite"], 1);
    assert_eq!(
        stderr,
        "error: there is no vote store at votes.sqlite\n  hint: check the path given to `--db`: a store is there once the vote service (`birge polls serve --db FILE`) has run with it\n"
    );
}

#[test]
fn a_template_syntax_error_has_a_hint() {
    let site = site();
    site.article("a.md", "title: A\ndate: 2020-03-20", "Body\n")
        .file(
            "templates/article.html",
            "{% extends \"base.html\" %}\n{% block content %}\n{% if %}yes{% endif %}\n{% endblock content %}\n",
        )
        .file(
            "templates/page.html",
            "{% extends \"base.html\" %}\n{% block content %}{% if page.title %}{{ page.title }}\n{% endblock content %}\n",
        )
        .file(
            "templates/tag.html",
            "{% extends \"base.html\" %}\n{% block content %}{{ tag.name }\n{% endblock content %}\n",
        );
    build_reports(
        &site,
        &[
            "error: templates/article.html:3:7: template syntax error: Found `%}` but expected one of: integer, float, string, bool, ident, `-`, `not`, `<`, `{`, `[` or `(`\n  hint: this tag or value ends before it says what it works on: write e.g. `{% if article.image %}`, `{% for tag in article.tags %}` or `{{ article.title }}`\n",
            "error: templates/page.html:3:4: template syntax error: Unknown tag\n  hint: this tag is not one Tera knows here: check its name (`if`, `for`, `block`, `set`, `include`, `macro`, `filter`, `raw`), and close an `{% if %}` or `{% for %}` still open above it with `{% endif %}` or `{% endfor %}`\n",
            "error: templates/tag.html:2:32: template syntax error: Found `}` but expected }}.\n  hint: close a value with `}}` and a tag with `%}`, e.g. `{{ article.title }}`, `{% if article.image %}`\n",
        ],
    );
}

#[test]
fn a_country_code_for_a_language_in_site_yaml() {
    let site = site();
    site.file(
        "site.yaml",
        &super::util::SITE_YAML.replace("languages: [en, kk, ru]", "languages: [en, kz, ru]"),
    );
    let stderr = build_reports(
        &site,
        &[
            "error: site.yaml:4:17: `kz` is Kazakhstan's country code, not a language code\n  hint: did you mean `kk`?\n",
        ],
    );
    assert!(stderr.trim_end().ends_with("1 problem found"), "{stderr}");
    site.file(
        "site.yaml",
        &super::util::SITE_YAML.replace("language: en", "language: kz"),
    );
    build_reports(
        &site,
        &[
            "error: site.yaml:3:11: `kz` is Kazakhstan's country code, not a language code\n  hint: did you mean `kk`?\n",
        ],
    );
}

#[test]
fn other_real_language_codes_are_accepted() {
    let site = site();
    site.file(
        "site.yaml",
        &super::util::SITE_YAML.replace("languages: [en, kk, ru]", "languages: [en, kk, ru, de]"),
    );
    site.article("a.md", "title: A\ndate: 2020-03-20\nlang: de", "Body\n");
    site.build(&[]);
    assert!(site.exists("de/news/2020/03/a/index.html"));
}

#[test]
fn an_unknown_key_does_not_hide_the_other_mistakes_of_its_file() {
    let site = site();
    site.article(
        "a.md",
        "title: Masks\ndate: 2020-03-22\nupdated: 2020-03-01\ntags: masks, volunteers\nsumary: x\nlang: kz\nregion: Атырау облысы\nauthr: me",
        "Text.\n",
    );
    site.file(
        "content/polls/p.yaml",
        "question: Q\noptions: [a]\nkindd: single\nopens: 2020-13-45\n",
    );
    let stderr = build_reports(
        &site,
        &[
            "error: content/news/a.md:4:1: `updated` (2020-03-01) is earlier than `date` (2020-03-22)",
            "error: content/news/a.md:5:7: `tags` is one text, `masks, volunteers`, so it would be a single tag",
            "error: content/news/a.md:6:1: unknown key `sumary` in front matter\n  hint: did you mean `summary`?",
            "error: content/news/a.md:7:7: language `kz` is not one of the site's languages\n  hint: did you mean `kk`?",
            "error: content/news/a.md:8:9: unknown region `Атырау облысы`",
            "error: content/news/a.md:9:1: unknown key `authr` in front matter\n  hint: did you mean `author`?",
            "error: content/polls/p.yaml:2:1: a poll needs 2 to 10 options, this one has 1",
            "error: content/polls/p.yaml:3:1: unknown key `kindd` in poll\n  hint: did you mean `kind`?",
            "error: content/polls/p.yaml:4:1: `2020-13-45` is not a real date",
        ],
    );
    assert!(stderr.contains("9 problems found"), "{stderr}");
}

#[test]
fn a_key_written_twice_in_a_poll_is_shown_where_it_is_repeated() {
    let site = site();
    site.file(
        "content/polls/p.yaml",
        "question: Q\noptions: [a, b]\nkind: single\nquestion: again\n",
    );
    build_reports(
        &site,
        &[
            "error: content/polls/p.yaml:4:1: `question` is written twice in the poll\n  hint: keep one of the two `question:` lines",
        ],
    );
}

#[test]
fn a_broken_regions_file_is_reported_alone() {
    let site = site();
    site.file("content/regions.yaml", "- slug: atyrau\n  name: {en: A\n");
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-22\nregion: atyrau",
        "Text.\n",
    );
    site.article(
        "b.md",
        "title: B\ndate: 2020-03-23\nregions: [karaganda]",
        "Text.\n",
    );
    let stderr = build_reports(&site, &["error: content/regions.yaml:3:1:"]);
    assert!(!stderr.contains("unknown region"), "{stderr}");
    assert!(stderr.contains("1 problem found"), "{stderr}");
}

#[test]
fn unknown_filters_tests_and_functions_are_shown_in_their_template() {
    let site = site();
    site.file(
        "templates/tags.html",
        "{% extends \"base.html\" %}{% block content %}{{ \"x\" | upperr }}\n{% if 3 is oddd %}{% endif %}{{ nofun() }}{% endblock content %}\n",
    );
    let stderr = build_reports(
        &site,
        &[
            "error: templates/tags.html:1:54: template error: Unknown filter `upperr`\n  hint: did you mean `upper`?",
            "error: templates/tags.html:2:12: template error: Unknown test `oddd`\n  hint: did you mean `odd`?",
            "error: templates/tags.html:2:33: template error: Unknown function `nofun`\n  hint: the functions templates can use are: resize, range, throw",
        ],
    );
    assert!(stderr.contains("3 problems found"), "{stderr}");
}
