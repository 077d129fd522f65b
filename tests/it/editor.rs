//! An editor's first day: `birge new` and drafts, what a build leaves out and says so,
//! slugs of Russian titles with Kazakh names, the site's title per language, standalone
//! pages with dates, and words and quotes in the reader's language.

use super::util::{self, Fixture};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn new_writes_a_draft_and_says_how_to_publish_it() {
    let site = Fixture::new();
    let out = site.birge(&[
        "new",
        "Volunteers of Atyrau sew masks",
        "--region",
        "atyrau",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let path = stdout(&out);
    assert!(
        path.ends_with(".md\n") && path.lines().count() == 1,
        "{path:?}"
    );
    let path = path.trim();
    assert!(
        path.ends_with("/volunteers-of-atyrau-sew-masks.md"),
        "{path}"
    );
    let text = std::fs::read_to_string(site.root().join(path)).unwrap();
    assert!(text.contains("\ndraft: true\n"), "{text}");
    assert!(
        text.contains("\nslug: volunteers-of-atyrau-sew-masks\n"),
        "{text}"
    );
    let hint = stderr(&out);
    assert!(
        hint.contains("as a draft") && hint.contains("draft: true"),
        "{hint}"
    );

    let built = site.build(&[]);
    assert!(built.contains("built "), "{built}");
    assert_eq!(built.lines().last(), Some("left out: 1 draft"), "{built}");
    let with_drafts = site.build(&["--drafts"]);
    assert!(!with_drafts.contains("left out"), "{with_drafts}");
}

#[test]
fn new_publish_and_bundle() {
    let site = Fixture::new();
    let out = site.birge(&[
        "new",
        "Біз біргеміз",
        "--lang",
        "kk",
        "--bundle",
        "--publish",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let path = stdout(&out).trim().to_string();
    assert!(path.ends_with("/biz-birgemiz/index.md"), "{path}");
    let text = std::fs::read_to_string(site.root().join(&path)).unwrap();
    assert!(!text.contains("draft:"), "{text}");
    assert!(text.contains("\nlang: kk\n"), "{text}");
    let built = site.build(&[]);
    assert!(!built.contains("left out"), "{built}");
    let page = site.html(&format!(
        "kk/news/{}",
        path.trim_start_matches("content/news/")
            .replace("biz-birgemiz/index.md", "biz-birgemiz/index.html")
    ));
    assert_eq!(page.text("h1"), "Біз біргеміз");
}

#[test]
fn new_refuses_a_country_code_for_a_language() {
    let site = Fixture::new();
    let out = site.birge(&["new", "Title", "--lang", "kz"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim(),
        "error: `kz` is not one of the site's languages (en, kk, ru): did you mean `kk`?"
    );
}

/// `new` refuses a title whose article would take another's URL (the next build would fail
/// on the two), takes a region's former slug as the build does, and names the slug meant
/// when given a region's name.
#[test]
fn new_keeps_urls_unique_and_reads_regions_as_the_build_does() {
    let site = Fixture::new();
    let first = site.birge(&["new", "Masks", "--publish"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let first_path = stdout(&first).trim().to_string();
    let again = site.birge(&["new", "Masks", "--bundle", "--publish"]);
    assert_eq!(again.status.code(), Some(1));
    let url = first_path
        .trim_start_matches("content")
        .trim_end_matches(".md")
        .to_string()
        + "/";
    assert_eq!(
        stderr(&again).trim(),
        format!(
            "error: {first_path} already has the URL {url}; give the new article another title, \
             or edit that one"
        )
    );
    site.build(&["--quiet"]);

    let regions = "- slug: atyrau\n  name: {en: Atyrau Region, kk: Атырау облысы, ru: \
                   Атырауская область}\n  former: [guryev]\n";
    site.file("content/regions.yaml", regions);
    let former = site.birge(&["new", "Guryev volunteers", "--region", "guryev"]);
    assert!(former.status.success(), "{}", stderr(&former));
    let text = std::fs::read_to_string(site.root().join(stdout(&former).trim())).unwrap();
    assert!(text.contains("\nregion: atyrau\n"), "{text}");
    assert!(
        stderr(&former).contains("note: `guryev` is a former slug of `atyrau`"),
        "{}",
        stderr(&former)
    );
    let named = site.birge(&["new", "Atyrau news", "--region", "Атырау облысы"]);
    assert_eq!(named.status.code(), Some(2));
    assert_eq!(
        stderr(&named).trim(),
        "error: unknown region `Атырау облысы`: did you mean `--region atyrau` (Atyrau Region)? \
         Regions are named by their slugs in content/regions.yaml"
    );
}

#[test]
fn build_and_check_say_what_they_left_out() {
    let site = Fixture::new();
    site.article("2020/03/a.md", "title: A\ndate: 2020-03-20", "Body\n")
        .article(
            "2020/03/b.md",
            "title: B\ndate: 2020-03-21\ndraft: true",
            "Body\n",
        )
        .article("2027/03/typo.md", "title: Typo\ndate: 2027-03-26", "Body\n")
        .article(
            "2028/01/later.md",
            "title: Later\ndate: 2028-01-02T10:30:00",
            "Body\n",
        )
        .file(
            "content/pages/draft.md",
            "---\ntitle: Draft page\ndraft: true\n---\nBody\n",
        );
    let built = site.build(&[]);
    let lines: Vec<&str> = built.lines().collect();
    assert_eq!(lines.len(), 2, "{built}");
    assert!(
        lines[0].starts_with("built ") && lines[0].contains(" from 1 article in "),
        "{built}"
    );
    assert_eq!(
        lines[1],
        "left out: 2 drafts, 2 dated in the future (next: content/news/2027/03/typo.md on 2027-03-26 00:00)"
    );
    let checked = site.birge(&["check"]);
    assert!(checked.status.success(), "{}", stderr(&checked));
    assert_eq!(
        stdout(&checked),
        "checked 1 article and 0 pages: no problems found\nleft out: 2 drafts, 2 dated in the future (next: content/news/2027/03/typo.md on 2027-03-26 00:00)\n"
    );
    let everything = site.build(&["--drafts", "--future"]);
    assert!(everything.contains(" from 4 articles in "), "{everything}");
    assert!(!everything.contains("left out"), "{everything}");
}

#[test]
fn drafts_are_marked_and_kept_out_of_feeds_and_the_sitemap() {
    let site = Fixture::new();
    site.article("a.md", "title: Published\ndate: 2020-03-20", "Body\n")
        .article(
            "b.md",
            "title: Unfinished\ndate: 2020-03-21\ndraft: true",
            "Body\n",
        )
        .file(
            "content/pages/plans.md",
            "---\ntitle: Plans\ndraft: true\n---\nBody\n",
        );
    site.build(&["--drafts"]);
    let draft = site.html("news/2020/03/unfinished/index.html");
    assert_eq!(draft.count(".draft-notice"), 1);
    assert_eq!(draft.attrs("meta[name=robots]", "content"), ["noindex"]);
    let published = site.html("news/2020/03/published/index.html");
    assert_eq!(published.count(".draft-notice"), 0);
    assert_eq!(site.html("plans/index.html").count(".draft-notice"), 1);
    let front = site.html("index.html");
    assert_eq!(front.count(".card--draft"), 1);
    assert_eq!(front.text(".card--draft .badge--draft"), "Draft");

    let atom = feed_rs::parser::parse(site.read("atom.xml").as_bytes()).unwrap();
    let titles: Vec<String> = atom
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(titles, ["Published"]);
    let rss = feed_rs::parser::parse(site.read("rss.xml").as_bytes()).unwrap();
    assert_eq!(rss.entries.len(), 1);
    let sitemap = site.read("sitemap.xml");
    let doc = roxmltree::Document::parse(&sitemap).unwrap();
    let locs: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("loc"))
        .filter_map(|n| n.text())
        .collect();
    assert!(locs.contains(&"https://example.kz/news/2020/03/published/"));
    assert!(
        !locs
            .iter()
            .any(|l| l.contains("unfinished") || l.contains("plans")),
        "{locs:?}"
    );
}

#[test]
fn russian_titles_keep_kazakh_letters_in_slugs() {
    let site = Fixture::new();
    site.article(
        "ru.md",
        "title: \"Молодёжь «Жаңғыру жолы» и «Біз біргеміз!» Өскемен\"\ndate: 2020-03-20\nlang: ru",
        "Текст.\n",
    )
    .article(
        "kk.md",
        "title: Атырау еріктілері\ndate: 2020-03-20\nlang: kk",
        "Мәтін.\n",
    )
    .article(
        "en.md",
        "title: Youth of «Жаңғыру жолы» in Өскемен\ndate: 2020-03-20",
        "Text.\n",
    );
    site.build(&[]);
    for page in [
        "ru/news/2020/03/molodezh-zhangyru-zholy-i-biz-birgemiz-oskemen/index.html",
        "kk/news/2020/03/atyrau-eriktileri/index.html",
        "news/2020/03/youth-of-zhangyru-zholy-in-oskemen/index.html",
    ] {
        assert!(site.exists(page), "{page}");
    }
}

#[test]
fn the_site_title_speaks_each_language() {
    let site = Fixture::new();
    site.file(
        "site.yaml",
        &util::SITE_YAML.replace(
            "title: Test Bulletin",
            "title: {en: Assembly of People of Kazakhstan, kk: Қазақстан халқы Ассамблеясы, ru: Ассамблея народа Казахстана}\ndescription: {en: News, kk: Жаңалықтар}\npublisher: {name: {en: APK, ru: АНК}}",
        ),
    )
    .article("a.md", "title: A\ndate: 2020-03-20", "Body\n");
    site.build(&[]);
    assert_eq!(
        site.html("kk/index.html").text("title"),
        "Қазақстан халқы Ассамблеясы"
    );
    assert_eq!(
        site.html("ru/index.html").text("title"),
        "Ассамблея народа Казахстана"
    );
    assert_eq!(
        site.html("index.html").text("title"),
        "Assembly of People of Kazakhstan"
    );
    let kk = site.html("kk/index.html");
    assert_eq!(
        kk.attrs("meta[name=description]", "content"),
        ["Жаңалықтар"]
    );
    let ru = site.html("ru/index.html");
    assert_eq!(ru.attrs("meta[name=description]", "content"), ["News"]);
    let feed = feed_rs::parser::parse(site.read("ru/atom.xml").as_bytes()).unwrap();
    assert_eq!(feed.title.unwrap().content, "Ассамблея народа Казахстана");
}

#[test]
fn a_title_in_an_unknown_language_is_an_error() {
    let site = Fixture::new();
    site.file(
        "site.yaml",
        &util::SITE_YAML.replace("title: Test Bulletin", "title: {en: APK, kz: ҚХА}"),
    );
    assert_eq!(
        site.build_fails().trim(),
        "error: site.yaml:1:1: `title` has text in `kz`, which is not one of the site's languages (en, kk, ru)\n  hint: did you mean `kk`?\n1 problem found"
    );
}

#[test]
fn standalone_pages_take_a_date_and_an_image() {
    let site = Fixture::new();
    site.file(
        "content/pages/about.md",
        "---\ntitle: About\ndate: 2020-03-01\nupdated: 2020-03-26\nimage: /logo.png\nimage_alt: The logo\nimage_credit: \"Photo: APK\"\n---\nBody\n",
    );
    site.build(&[]);
    let page = site.html("about/index.html");
    assert_eq!(
        page.attrs(".page-meta .published time", "datetime"),
        ["2020-03-01"]
    );
    assert_eq!(page.attrs(".article-figure img", "alt"), ["The logo"]);
    assert_eq!(page.text(".article-figure .credit"), "Photo: APK");
}

#[test]
fn a_credit_written_with_its_label_is_not_labelled_twice() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20\nimage: https://media.example.kz/a.jpg\nimage_credit: \"Photo: Aigerim Bekova\"",
        "Body\n",
    );
    site.build(&[]);
    let page = site.html("news/2020/03/a/index.html");
    assert_eq!(
        page.text(".article-figure .credit"),
        "Photo: Aigerim Bekova"
    );
}

#[test]
fn russian_and_kazakh_text_gets_guillemets() {
    let site = Fixture::new();
    site.article(
        "ru.md",
        "title: Маски\ndate: 2020-03-20\nlang: ru\nupdate_note: Исправлено \"название\".",
        "Акция \"Біз біргеміз\" прошла в \"Доме дружбы\".\n\n`\"код\"`\n",
    )
    .article(
        "en.md",
        "title: Masks\ndate: 2020-03-20",
        "The \"Biz birgemiz\" campaign.\n",
    );
    site.build(&[]);
    let ru = site.html("ru/news/2020/03/maski/index.html");
    assert_eq!(
        ru.text(".article-body p"),
        "Акция «Біз біргеміз» прошла в «Доме дружбы»."
    );
    assert_eq!(ru.text(".article-body code"), "\"код\"");
    assert_eq!(ru.text(".notice-text"), "Исправлено «название».");
    let en = site.html("news/2020/03/masks/index.html");
    assert_eq!(en.text(".article-body p"), "The “Biz birgemiz” campaign.");
}

#[test]
fn init_sends_editors_to_serve_not_to_a_file_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("bulletin");
    let out = std::process::Command::new(util::BIRGE)
        .arg("init")
        .arg(&site)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains("birge serve"), "{}", stdout(&out));
    let year = jiff::ZonedDateTime::now().year();
    let welcome =
        std::fs::read_to_string(site.join(format!("content/news/{year}/welcome.md"))).unwrap();
    assert!(!welcome.contains("public/index.html"), "{welcome}");
    assert!(welcome.contains("birge serve"), "{welcome}");
}
