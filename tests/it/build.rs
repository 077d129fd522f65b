//! Builds small fixture sites with the real binary and checks the pages, lists, feeds,
//! sitemap and output handling by parsing what it wrote.

use super::util;

use super::util::{Fixture, snapshot};

fn bulletin() -> Fixture {
    let site = Fixture::new();
    site.article(
        "2020/03/capital.md",
        "title: Capital assembly hands out 3,500 masks\ndate: 2020-03-19\nregion: astana\ntags: [masks, Volunteers]\nauthor: APK press service\npinned: true",
        "Members of the capital’s assembly handed out masks.\n\nSecond paragraph.\n",
    )
    .article(
        "2020/03/atyrau.md",
        "title: Atyrau volunteers sew masks\ndate: 2020-03-21\nregions: [atyrau, kostanay]\ntags: [masks]\ntranslation: atyrau\npoll: mothers-forum\naliases: [\"/2020/03/old-atyrau/\"]",
        "Volunteers of [the capital](@/news/2020/03/capital.md) and Atyrau sewed masks.\n\n## How it went\n\nWell.\n",
    )
    .article(
        "2020/03/atyrau-kk.md",
        "title: Атырау еріктілері бетперде тікті\ndate: 2020-03-21\nregion: atyrau\nlang: kk\ntranslation: atyrau",
        "Еріктілер бетперде тікті.\n",
    )
    .article(
        "2020/03/karaganda-ru.md",
        "title: Совет матерей при Ассамблее народа Казахстана\ndate: 2020-03-22\nlang: ru",
        "Текст.\n",
    )
    .article(
        "2020/02/kostanay.md",
        "title: Kostanay volunteers help polyclinics\ndate: 2020-02-10T10:30:00+06:00\nregion: kostanay\nsummary: Volunteers *deliver* medicines.\nupdated: 2020-02-11\nupdate_note: The number of addresses was corrected.",
        "Lead.\n\n<!-- more -->\n\nRest.\n",
    )
    .file("content/pages/about.md", "---\ntitle: About the Assembly\n---\nThe assembly unites ethno-cultural associations.\n");
    site
}

#[test]
fn builds_every_page_kind() {
    let site = bulletin();
    let out = site.build(&[]);
    assert!(
        out.trim_end().lines().last().unwrap().starts_with("built "),
        "{out}"
    );
    assert!(out.contains(" pages from 5 articles in "), "{out}");

    let front = site.html("index.html");
    let titles = front.texts(".card-list article .card-title a");
    assert_eq!(
        titles,
        [
            "Capital assembly hands out 3,500 masks",
            "Atyrau volunteers sew masks",
            "Kostanay volunteers help polyclinics"
        ],
        "pinned first, then newest first, default language only"
    );

    let article = site.html("news/2020/03/atyrau-volunteers-sew-masks/index.html");
    assert_eq!(article.count("h1"), 1);
    assert_eq!(article.text("h1"), "Atyrau volunteers sew masks");
    assert_eq!(
        article.attrs(".article-body a", "href"),
        ["https://example.kz/news/2020/03/capital-assembly-hands-out-3-500-masks/"]
    );
    assert_eq!(article.attrs(".article-body h2", "id"), ["how-it-went"]);
    assert_eq!(
        article.texts(".article-regions a"),
        ["Atyrau Region", "Kostanay Region"]
    );
    assert_eq!(
        article.count("form[data-poll=mothers-forum]"),
        1,
        "the article's poll, and no sidebar copy of it"
    );
    assert_eq!(
        article.texts(".prev-next .prev .title"),
        ["Capital assembly hands out 3,500 masks"]
    );
    assert_eq!(article.attrs(".article-translations a", "hreflang"), ["kk"]);
    assert_eq!(
        article.texts(".more-from h2"),
        ["More from Kostanay Region"]
    );

    let kk = site.html("kk/news/2020/03/atyrau-eriktileri-betperde-tikti/index.html");
    assert_eq!(kk.attrs("html", "lang"), ["kk"]);
    assert!(
        site.exists("ru/news/2020/03/sovet-materey-pri-assamblee-naroda-kazakhstana/index.html")
    );

    let region = site.html("regions/atyrau/index.html");
    assert_eq!(region.text("h1"), "Atyrau Region");
    assert_eq!(
        region.text(".page-description"),
        "The regional assembly of Atyrau."
    );
    assert_eq!(
        region.texts(".card-title a"),
        ["Atyrau volunteers sew masks"]
    );
    let empty = site.html("regions/astana/index.html");
    assert_eq!(empty.count(".card"), 1, "the capital has one article");
    let regions = site.html("regions/index.html");
    assert!(regions.texts("a").contains(&"Kostanay Region".to_string()));

    let archive = site.html("archive/index.html");
    assert_eq!(archive.texts(".archive-year h2 a"), ["2020"]);
    assert_eq!(archive.texts(".archive-months a"), ["March", "February"]);
    let month = site.html("archive/2020/02/index.html");
    assert_eq!(
        month.texts(".card-title a"),
        ["Kostanay volunteers help polyclinics"]
    );
    assert!(site.exists("archive/2020/index.html"));

    let tags = site.html("tags/index.html");
    assert_eq!(tags.texts(".tag-cloud a.tag"), ["masks", "Volunteers"]);
    let tag = site.html("tags/masks/index.html");
    assert_eq!(tag.texts(".card-title a").len(), 2);

    let about = site.html("about/index.html");
    assert_eq!(about.text("h1"), "About the Assembly");
    assert!(site.exists("404.html"));
    assert!(
        site.read("robots.txt")
            .contains("Sitemap: https://example.kz/sitemap.xml")
    );
}

#[test]
fn summaries_come_from_front_matter_more_marker_or_first_paragraph() {
    let site = bulletin();
    site.build(&[]);
    let front = site.html("index.html");
    let summaries = front.texts(".card-summary");
    assert_eq!(
        summaries,
        [
            "Members of the capital’s assembly handed out masks.",
            "Volunteers of the capital and Atyrau sewed masks.",
            "Volunteers deliver medicines."
        ]
    );
    let kostanay = site.html("news/2020/02/kostanay-volunteers-help-polyclinics/index.html");
    assert_eq!(
        kostanay.text("[role=note] .notice-text"),
        "The number of addresses was corrected."
    );
}

#[test]
fn redirects_for_aliases_and_former_region_slugs() {
    let site = bulletin();
    site.build(&[]);
    let alias = site.html("2020/03/old-atyrau/index.html");
    assert_eq!(
        alias.attrs("link[rel=canonical]", "href"),
        ["https://example.kz/news/2020/03/atyrau-volunteers-sew-masks/"]
    );
    let former = site.html("regions/guryev/index.html");
    assert_eq!(
        former.attrs("meta[http-equiv=refresh]", "content"),
        ["0; url=https://example.kz/regions/atyrau/"]
    );
}

#[test]
fn featured_poll_in_the_sidebar_except_where_shown() {
    let site = bulletin();
    site.build(&[]);
    let front = site.html("index.html");
    assert_eq!(front.count("aside form[data-poll=mothers-forum]"), 1);
    assert_eq!(front.attrs("form[data-poll]", "data-total"), ["0"]);
    let ids = front.attrs("form[data-poll] input[type=radio]", "id");
    assert_eq!(ids.len(), 3);
    let article = site.html("news/2020/03/atyrau-volunteers-sew-masks/index.html");
    assert_eq!(article.count("aside form[data-poll]"), 0);
}

#[test]
fn a_poll_placed_twice_gets_two_forms_with_ids_of_their_own() {
    let site = bulletin();
    site.article(
        "2020/03/twice.md",
        "title: Twice\ndate: 2020-03-22",
        "Before.\n\n{{ poll(id=\"mothers-forum\") }}\n\nBetween.\n\n{{ poll(id=\"mothers-forum\") }}\n",
    );
    site.build(&[]);
    let page = site.html("news/2020/03/twice/index.html");
    let forms = page.attrs("form[data-poll=mothers-forum]", "id");
    assert_eq!(forms.len(), 2, "{forms:?}");
    let mut ids = page.attrs("[id]", "id");
    let all = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all, "every id on the page is unique");
}

fn numbered(site: &Fixture, n: usize) {
    for i in 0..n {
        site.article(
            &format!("2020/04/item-{i:02}.md"),
            &format!(
                "title: Item {i:02}\ndate: 2020-04-{:02}\nregion: atyrau\ntags: [masks]",
                i + 1
            ),
            "Text.\n",
        );
    }
}

#[test]
fn pagination_edges() {
    let site = Fixture::new();
    site.file(
        "site.yaml",
        &util::SITE_YAML.replace("paginate: 20", "paginate: 3"),
    );
    numbered(&site, 3);
    site.build(&[]);
    assert_eq!(site.html("index.html").count(".card"), 3);
    assert!(!site.exists("page/2/index.html"));
    assert!(!site.exists("page/1/index.html"));

    numbered(&site, 4);
    site.build(&[]);
    assert_eq!(site.html("index.html").count(".card"), 3);
    let second = site.html("page/2/index.html");
    assert_eq!(second.texts(".card-title a"), ["Item 00"]);
    assert!(!site.exists("page/1/index.html"));
    assert!(!site.exists("page/3/index.html"));
    assert_eq!(
        site.html("regions/atyrau/page/2/index.html").count(".card"),
        1
    );
    assert_eq!(site.html("tags/masks/page/2/index.html").count(".card"), 1);
    assert_eq!(
        site.html("archive/2020/04/index.html").count(".card"),
        4,
        "the archive is never paginated"
    );
}

#[test]
fn drafts_and_future_articles_only_on_request() {
    let site = Fixture::new();
    site.article("a.md", "title: Published\ndate: 2020-03-20", "Text.\n")
        .article(
            "b.md",
            "title: Draft\ndate: 2020-03-21\ndraft: true",
            "Text.\n",
        )
        .article("c.md", "title: Scheduled\ndate: 2999-01-01", "Text.\n");
    site.build(&[]);
    assert_eq!(
        site.html("index.html").texts(".card-title a"),
        ["Published"]
    );
    site.build(&["--drafts", "--future"]);
    assert_eq!(
        site.html("index.html").texts(".card-title a"),
        ["Scheduled", "Draft", "Published"]
    );
    assert!(site.exists("news/2999/01/scheduled/index.html"));
}

#[test]
fn pinned_until_expires() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: Old pin\ndate: 2020-03-01\npinned: true\npinned_until: 2020-04-01",
        "Text.\n",
    )
    .article("b.md", "title: Newer\ndate: 2020-03-10", "Text.\n");
    site.build(&[]);
    assert_eq!(
        site.html("index.html").texts(".card-title a"),
        ["Newer", "Old pin"]
    );
}

#[test]
fn bundles_copy_their_files() {
    let site = Fixture::new();
    site.file(
        "content/news/2020/semey/index.md",
        "---\ntitle: Semey masks\ndate: 2020-03-24\nimage: masks.svg\nimage_alt: A mask\nimage_caption: Masks\nimage_credit: APK\n---\n![A mask](masks.svg)\n",
    )
    .file("content/news/2020/semey/masks.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    site.build(&[]);
    assert!(site.exists("news/2020/03/semey-masks/masks.svg"));
    let page = site.html("news/2020/03/semey-masks/index.html");
    assert_eq!(
        page.attrs("figure img", "src"),
        ["https://example.kz/news/2020/03/semey-masks/masks.svg"]
    );
    assert_eq!(page.text("figcaption .credit"), "Photo: APK");
    assert_eq!(page.attrs(".article-body img", "src"), ["masks.svg"]);
}

#[test]
fn cyrillic_slugs_follow_the_tables() {
    let site = Fixture::new();
    site.article(
        "kk.md",
        "title: Қарағанды жастары\ndate: 2020-03-20\nlang: kk",
        "Мәтін.\n",
    )
    .article(
        "ru.md",
        "title: Щедрый подъезд\ndate: 2020-03-20\nlang: ru",
        "Текст.\n",
    )
    .article(
        "en.md",
        "title: Майдан Қазақстан\ndate: 2020-03-20",
        "Text.\n",
    );
    site.build(&[]);
    assert!(site.exists("kk/news/2020/03/qaragandy-zhastary/index.html"));
    assert!(site.exists("ru/news/2020/03/shchedryy-podezd/index.html"));
    assert!(site.exists("news/2020/03/maydan-qazaqstan/index.html"));
}

#[test]
fn feeds_parse_and_carry_the_articles() {
    let site = bulletin();
    site.build(&[]);
    let atom = feed_rs::parser::parse(site.read("atom.xml").as_bytes()).expect("atom parses");
    assert_eq!(atom.feed_type, feed_rs::model::FeedType::Atom);
    let titles: Vec<String> = atom
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(
        titles,
        [
            "Atyrau volunteers sew masks",
            "Capital assembly hands out 3,500 masks",
            "Kostanay volunteers help polyclinics"
        ]
    );
    assert!(
        atom.entries
            .iter()
            .all(|e| e.updated.is_some() && !e.links.is_empty())
    );
    let rss = feed_rs::parser::parse(site.read("rss.xml").as_bytes()).expect("rss parses");
    assert_eq!(rss.feed_type, feed_rs::model::FeedType::RSS2);
    assert_eq!(rss.entries.len(), 3);
    assert!(rss.entries.iter().all(|e| e.published.is_some()));
    let region = feed_rs::parser::parse(site.read("regions/kostanay/atom.xml").as_bytes())
        .expect("region feed parses");
    assert_eq!(region.entries.len(), 2);
}

#[test]
fn feed_entries_carry_absolute_urls() {
    let site = Fixture::new();
    site.file(
        "content/news/2020/03/sewing/index.md",
        "---\ntitle: Sewing\ndate: 2020-03-21\n---\n![A mask](masks.svg) [the plan](plan.pdf) \
         [home](/about/) [up](../) [part](#how) [elsewhere](https://example.org/x) \
         ![logo](/logo.svg)\n",
    )
    .file(
        "content/news/2020/03/sewing/masks.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .file("content/news/2020/03/sewing/plan.pdf", "%PDF-1.4")
    .file("content/pages/about.md", "---\ntitle: About\n---\nUs.\n");
    site.build(&[]);
    let page = "https://example.kz/news/2020/03/sewing/";
    let expected = [
        format!("{page}masks.svg"),
        format!("{page}plan.pdf"),
        "https://example.kz/about/".to_string(),
        "https://example.kz/news/2020/03/".to_string(),
        format!("{page}#how"),
        "https://example.org/x".to_string(),
        "https://example.kz/logo.svg".to_string(),
    ];
    for feed in ["atom.xml", "rss.xml"] {
        let parsed = feed_rs::parser::parse(site.read(feed).as_bytes()).expect(feed);
        let entry = &parsed.entries[0];
        let html = entry
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .or_else(|| entry.summary.as_ref().map(|s| s.content.clone()))
            .expect("the entry's HTML");
        let body = util::Page(scraper::Html::parse_fragment(&html));
        let mut urls = body.attrs("img", "src");
        urls.extend(body.attrs("a", "href"));
        let mut wanted = expected.to_vec();
        wanted.sort();
        urls.sort();
        assert_eq!(urls, wanted, "{feed}");
    }
}

#[test]
fn feeds_have_the_elements_their_specs_require() {
    let site = bulletin();
    site.build(&[]);
    // Atom (RFC 4287): id, title, updated, author and a self link on the feed; id, title,
    // updated, author and a link on every entry; dates in RFC 3339.
    let ids = super::web::check_atom(&site.read("atom.xml"), "https://example.kz/atom.xml");
    assert_eq!(
        ids[0],
        "https://example.kz/news/2020/03/atyrau-volunteers-sew-masks/"
    );
    let kk = super::web::check_atom(&site.read("kk/atom.xml"), "https://example.kz/kk/atom.xml");
    assert_eq!(kk.len(), 1);
    super::web::check_atom(
        &site.read("regions/kostanay/atom.xml"),
        "https://example.kz/regions/kostanay/atom.xml",
    );
    // An entry without an author of its own names the publisher.
    let atom = feed_rs::parser::parse(site.read("atom.xml").as_bytes()).unwrap();
    let kostanay = atom
        .entries
        .iter()
        .find(|e| e.id.contains("kostanay"))
        .unwrap();
    assert_eq!(kostanay.authors[0].name.as_deref(), Some("Test Bulletin"));
    assert_eq!(
        kostanay.updated.unwrap().to_rfc3339(),
        "2020-02-10T18:00:00+00:00",
        "updated is the article's update date, with its offset"
    );
    // RSS 2.0: title, link and description on the channel, an atom:link to itself, and a
    // guid and an RFC 822 pubDate on every item.
    let guids = super::web::check_rss(&site.read("rss.xml"), "https://example.kz/rss.xml");
    assert_eq!(guids, ids, "RSS guids are the Atom ids: the article URLs");
    let rss = site.read("rss.xml");
    assert!(
        rss.contains("<pubDate>Sat, 21 Mar 2020 00:00:00 +0600</pubDate>"),
        "{rss}"
    );
    super::web::check_rss(&site.read("ru/rss.xml"), "https://example.kz/ru/rss.xml");
}

#[test]
fn sitemap_lists_pages_in_its_namespace() {
    let site = bulletin();
    site.build(&[]);
    let text = site.read("sitemap.xml");
    let doc = roxmltree::Document::parse(&text).expect("sitemap parses");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "urlset");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.sitemaps.org/schemas/sitemap/0.9")
    );
    let locs: Vec<&str> = root
        .descendants()
        .filter(|n| n.has_tag_name("loc"))
        .filter_map(|n| n.text())
        .collect();
    assert!(locs.contains(&"https://example.kz/news/2020/03/atyrau-volunteers-sew-masks/"));
    assert!(locs.contains(&"https://example.kz/about/"));
    assert!(
        !locs.iter().any(|l| l.contains("old-atyrau")),
        "redirects are not in the sitemap"
    );
}

#[test]
fn a_failed_build_leaves_the_previous_output_byte_identical() {
    let site = bulletin();
    site.build(&[]);
    let before = snapshot(&site.public());
    site.article(
        "2020/03/broken.md",
        "title: Broken\ndate: 2020-03-40",
        "Text.\n",
    );
    site.build_fails();
    assert_eq!(snapshot(&site.public()), before);
    let leftovers: Vec<_> = std::fs::read_dir(site.root())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(".birge-build-") || name.starts_with(".birge-old-")
        })
        .collect();
    assert!(leftovers.is_empty(), "no staging folder is left behind");
}

#[test]
fn unchanged_files_keep_their_modification_time() {
    let site = bulletin();
    site.build(&[]);
    let about = site.public().join("about/index.html");
    let front = site.public().join("index.html");
    let about_before = std::fs::metadata(&about).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    site.article(
        "2020/03/new.md",
        "title: A new one\ndate: 2020-03-25",
        "Text.\n",
    );
    site.build(&[]);
    assert_eq!(
        std::fs::metadata(&about).unwrap().modified().unwrap(),
        about_before
    );
    assert!(
        site.html("index.html")
            .texts(".card-title a")
            .contains(&"A new one".to_string())
    );
    assert!(std::fs::metadata(&front).unwrap().modified().unwrap() > about_before);
}

#[test]
fn output_and_base_url_flags() {
    let site = bulletin();
    let out = site.root().join("elsewhere");
    site.build(&[
        "--output",
        out.to_str().unwrap(),
        "--base-url",
        "http://127.0.0.1:8000/",
        "--quiet",
    ]);
    let text = std::fs::read_to_string(out.join("index.html")).unwrap();
    let page = util::Page(scraper::Html::parse_document(&text));
    assert!(
        page.attrs(".card-title a", "href")
            .iter()
            .all(|h| h.starts_with("http://127.0.0.1:8000/news/"))
    );
    assert!(!site.public().exists());
}

#[test]
fn the_sample_site_builds() {
    let sample = util::sample();
    let target = &sample.out;
    let front = util::Page(scraper::Html::parse_document(
        &std::fs::read_to_string(target.join("index.html")).unwrap(),
    ));
    assert!(front.count(".card") >= 10);
    assert!(
        target.join("logo.png").exists(),
        "the theme ships the publisher logo"
    );
}

#[test]
fn code_blocks_are_highlighted_with_the_stylesheet_linked() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: Code\ndate: 2020-03-20",
        "```rust\nfn main() {}\n```\n",
    )
    .article("b.md", "title: Prose\ndate: 2020-03-21", "Text.\n");
    site.build(&[]);
    let page = site.html("news/2020/03/code/index.html");
    assert_eq!(
        page.attrs("link[rel=stylesheet][href$='highlight.css']", "href"),
        ["https://example.kz/highlight.css"]
    );
    assert!(page.count("pre.code span[class^=hl-]") > 0);
    assert!(site.read("highlight.css").contains(".hl-"));
    assert_eq!(
        site.html("news/2020/03/prose/index.html")
            .count("link[href$='highlight.css']"),
        0
    );
}

#[test]
fn template_values_carry_permalinks_counts_and_pager_links() {
    let site = Fixture::new();
    site.file(
        "site.yaml",
        &util::SITE_YAML.replace("paginate: 20", "paginate: 1"),
    );
    numbered(&site, 3);
    site.article(
        "2020/05/kostanay.md",
        "title: Kostanay\ndate: 2020-05-01\nregion: kostanay",
        "Text.\n",
    );
    site.file(
        "templates/regions.html",
        "<ul id=display>{% for r in regions %}<li data-slug=\"{{ r.slug }}\" data-url=\"{{ r.url | url }}\" data-permalink=\"{{ r.permalink }}\">{{ r.count_text }}</li>{% endfor %}</ul>\
         <ul id=nav>{% for r in nav_regions %}<li>{{ r.slug }}</li>{% endfor %}</ul>",
    );
    site.file(
        "templates/tag.html",
        "<ol>{% for p in paginator.pages %}<li data-url=\"{{ p.url | url }}\" data-permalink=\"{{ p.permalink }}\"{% if p.number == paginator.current %} class=current{% endif %}>{{ p.number }}</li>{% endfor %}</ol>",
    );
    site.build(&[]);

    let regions = site.html("regions/index.html");
    assert_eq!(
        regions.attrs("#display li", "data-url"),
        regions.attrs("#display li", "data-permalink")
    );
    let slugs = regions.attrs("#display li", "data-slug");
    let counts = regions.texts("#display li");
    let count_of = |slug: &str| counts[slugs.iter().position(|s| s == slug).unwrap()].clone();
    assert_eq!(count_of("atyrau"), "3 articles");
    assert_eq!(count_of("kostanay"), "1 article");
    assert_eq!(count_of("astana"), "0 articles");
    let nav = regions.texts("#nav li");
    let active: Vec<&String> = slugs
        .iter()
        .filter(|s| ["atyrau", "kostanay"].contains(&s.as_str()))
        .collect();
    assert_eq!(
        nav.iter().take(2).collect::<Vec<_>>(),
        active,
        "regions with articles come first, in display order"
    );
    assert_eq!(nav.len(), slugs.len());

    for (page, current) in [
        ("tags/masks/", "1"),
        ("tags/masks/page/2/", "2"),
        ("tags/masks/page/3/", "3"),
    ] {
        let pager = site.html(&format!("{page}index.html"));
        assert_eq!(pager.texts("li"), ["1", "2", "3"], "{page}");
        assert_eq!(pager.texts("li.current"), [current], "{page}");
        assert_eq!(
            pager.attrs("li", "data-url"),
            pager.attrs("li", "data-permalink"),
            "{page}"
        );
    }
}

#[test]
fn region_counts_sit_in_the_sidebar_of_list_pages_only() {
    let site = bulletin();
    site.build(&[]);
    for list in [
        "index.html",
        "regions/atyrau/index.html",
        "tags/masks/index.html",
        "archive/index.html",
        "archive/2020/index.html",
        "archive/2020/03/index.html",
    ] {
        let page = site.html(list);
        assert_eq!(page.count("aside .region-list li"), 3, "{list}");
    }
    let article = site.html("news/2020/03/capital-assembly-hands-out-3-500-masks/index.html");
    assert_eq!(article.count("aside .region-list"), 0);
    assert_eq!(article.count("aside form[data-poll=mothers-forum]"), 1);
    assert_eq!(article.count(".region-nav li"), 3, "the region bar stays");

    site.file(
        "site.yaml",
        &util::SITE_YAML.replace("polls:\n  featured: mothers-forum\n", ""),
    );
    site.build(&[]);
    let article = site.html("news/2020/03/capital-assembly-hands-out-3-500-masks/index.html");
    assert_eq!(article.count("aside"), 0, "no empty sidebar");
    assert_eq!(site.html("about/index.html").count("aside"), 0);
    assert_eq!(site.html("index.html").count("aside .region-list li"), 3);
}

/// The `<loc>`s of a sitemap file, and whether it is an index.
fn sitemap_locs(xml: &str) -> (bool, Vec<String>) {
    let doc = roxmltree::Document::parse(xml).expect("sitemap XML");
    let is_index = doc.root_element().has_tag_name("sitemapindex");
    let locs = doc
        .descendants()
        .filter(|n| n.has_tag_name("loc"))
        .filter_map(|n| n.text().map(str::to_string))
        .collect();
    (is_index, locs)
}

#[test]
fn a_sitemap_too_large_for_one_file_becomes_an_index_of_years() {
    let site = Fixture::new();
    for (i, date) in [
        "2019-05-01",
        "2019-06-01",
        "2020-03-20",
        "2020-03-21",
        "2020-04-01",
    ]
    .iter()
    .enumerate()
    {
        site.article(
            &format!("a{i}.md"),
            &format!("title: Article {i}\ndate: {date}\nregion: atyrau"),
            "Body\n",
        );
    }
    site.build(&["--quiet"]);
    let (is_index, whole) = sitemap_locs(&site.read("sitemap.xml"));
    assert!(!is_index);
    assert!(whole.len() > 12, "{whole:?}");

    let out = std::process::Command::new(super::util::BIRGE)
        .args(["build", "--quiet", "--root"])
        .arg(site.root())
        .env("BIRGE_SITEMAP_LIMIT", "12")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (is_index, parts) = sitemap_locs(&site.read("sitemap.xml"));
    assert!(is_index);
    let names: Vec<&str> = parts
        .iter()
        .map(|p| p.trim_start_matches("https://example.kz/"))
        .collect();
    assert!(names.contains(&"sitemap-2019.xml"), "{names:?}");
    assert!(names.contains(&"sitemap-2020.xml"), "{names:?}");
    assert!(
        names.iter().any(|n| n.starts_with("sitemap-pages")),
        "{names:?}"
    );
    let mut split = Vec::new();
    for name in &names {
        let (nested, locs) = sitemap_locs(&site.read(name));
        assert!(!nested && locs.len() <= 12, "{name}: {}", locs.len());
        if name.starts_with("sitemap-2019") {
            assert!(locs.iter().all(|l| l.contains("2019")), "{locs:?}");
        }
        split.extend(locs);
    }
    let (mut split, mut whole) = (split, whole);
    split.sort();
    whole.sort();
    assert_eq!(split, whole, "the parts hold every URL once");
}
