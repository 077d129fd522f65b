//! Local images and files that articles and pages point at must be published: each missing
//! one is reported at the reference, compared case-sensitively as a web server compares, with
//! a hint naming the nearest existing file. URLs, pages and birge's own files are not checked.

use super::util::Fixture;

/// A bundle `content/news/2020/03/sewing/index.md` with `sewing.jpg` beside it.
fn sewing(body: &str) -> Fixture {
    let site = Fixture::new();
    site.article(
        "2020/03/sewing/index.md",
        "title: Volunteers sew masks\ndate: 2020-03-20",
        body,
    )
    .bytes("content/news/2020/03/sewing/sewing.jpg", &tiny_jpeg());
    site
}

/// A real JPEG (the build publishes a photo's variants, so it decodes it).
fn tiny_jpeg() -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut out)
        .encode(&[128; 8 * 8 * 3], 8, 8, image::ExtendedColorType::Rgb8)
        .expect("a JPEG");
    out
}

fn fails_with(site: &Fixture, expected: &[&str]) {
    let stderr = site.build_fails();
    for line in expected {
        assert!(stderr.contains(line), "expected:\n{line}\ngot:\n{stderr}");
    }
    let n = expected.len();
    let summary = format!("{n} problem{} found", if n == 1 { "" } else { "s" });
    assert!(stderr.trim_end().ends_with(&summary), "{stderr}");
}

#[test]
fn an_image_named_in_another_case_is_an_error() {
    let site = sewing("First line.\n\n![Volunteers at work](Sewing.JPG)\n");
    fails_with(
        &site,
        &[
            "error: content/news/2020/03/sewing/index.md:7:1: image `Sewing.JPG` does not exist\n  hint: did you mean `sewing.jpg`? (file names are case-sensitive on a web server)",
        ],
    );
}

#[test]
fn a_missing_lead_image_is_reported_at_its_key() {
    let site = sewing("Body\n");
    site.article(
        "2020/03/sewing/index.md",
        "title: Volunteers sew masks\ndate: 2020-03-20\nimage: sewin.jpg\nimage_alt: Volunteers",
        "Body\n",
    );
    fails_with(
        &site,
        &[
            "error: content/news/2020/03/sewing/index.md:4:8: image `sewin.jpg` does not exist\n  hint: did you mean `sewing.jpg`?",
        ],
    );
}

#[test]
fn a_missing_bundle_file_says_where_to_put_it() {
    let site = sewing(
        "![Volunteers](volunteers.jpg)\n\nThe [full report](docs/report.pdf \"Report\") is attached.\n",
    );
    fails_with(
        &site,
        &[
            "error: content/news/2020/03/sewing/index.md:5:1: image `volunteers.jpg` does not exist\n  hint: put `volunteers.jpg` in the article's folder content/news/2020/03/sewing/, or correct the name",
            "error: content/news/2020/03/sewing/index.md:7:5: file `docs/report.pdf` does not exist\n  hint: put `docs/report.pdf` in the article's folder content/news/2020/03/sewing/, or correct the name",
        ],
    );
}

#[test]
fn a_single_file_article_has_no_files_of_its_own() {
    let site = Fixture::new();
    site.article(
        "2020/03/masks.md",
        "title: Masks\ndate: 2020-03-20\nimage: photo.jpg",
        "Body\n",
    )
    .article(
        "2020/03/beside.md",
        "title: Beside\ndate: 2020-03-20",
        "![A photo](beside.jpg)\n",
    )
    .bytes("content/news/2020/03/beside.jpg", b"jpeg");
    fails_with(
        &site,
        &[
            "error: content/news/2020/03/beside.md:5:1: image `beside.jpg` is not published: files beside a single-file article are not copied\n  hint: only an article bundle publishes its files: move this article to content/news/2020/03/beside/index.md and keep `beside.jpg` beside it, or put the file under static/ and write `/beside.jpg`",
            "error: content/news/2020/03/masks.md:4:8: image `photo.jpg` does not exist\n  hint: only an article bundle has files of its own: move this article to content/news/2020/03/masks/index.md and put `photo.jpg` beside it, or put the file under static/ and write `/photo.jpg`",
        ],
    );
}

#[test]
fn site_paths_must_be_static_files() {
    let site = Fixture::new();
    site.bytes("static/files/report March.pdf", b"%PDF")
        .bytes("static/img/seal.png", b"png")
        .article(
            "a.md",
            "title: A\ndate: 2020-03-20\nimage: /Logo.png",
            "![Seal](/img/seal.png) ![Logo](/logo.png)\n\n\
             [Report](/files/report%20March.pdf?download=1#page=2), [agenda](/files/agenda.pdf),\n\
             [seal](/img/Seal.png), [seal](/seal.png).\n",
        );
    fails_with(
        &site,
        &[
            "error: content/news/a.md:4:8: image `/Logo.png` does not exist\n  hint: did you mean `/logo.png`? (file names are case-sensitive on a web server)",
            "error: content/news/a.md:8:56: file `/files/agenda.pdf` does not exist\n  hint: files under static/ are published at the site's root: put it at static/files/agenda.pdf, or correct the path",
            "error: content/news/a.md:9:1: file `/img/Seal.png` does not exist\n  hint: did you mean `/img/seal.png`? (file names are case-sensitive on a web server)",
            "error: content/news/a.md:9:24: file `/seal.png` does not exist\n  hint: did you mean `/img/seal.png`?",
        ],
    );
}

#[test]
fn urls_pages_and_birges_own_files_are_not_checked() {
    let site = sewing(
        "![Photo](https://media.assembly.example.kz/images/atyrau/sewing-01.jpg)\n\
         ![Sewing](sewing.jpg) ![Again](./sewing.jpg?v=2#top) ![Spaced](<sewing.jpg>)\n\n\
         [About](/about/), [archive](/archive), [March](/news/2020/03/), [feed](/atom.xml),\n\
         [Kazakh feed](/kk/rss.xml), [region feed](/regions/atyrau/atom.xml),\n\
         [polls](/polls/index.json), [sitemap](/sitemap.xml), [robots](/robots.txt),\n\
         [page](/news/2020/03/other/index.html), [old](/old-masks.php), [vote](/api/polls/x),\n\
         [mail](mailto:apk@example.kz), [top](#top), [cdn](//cdn.example.kz/x.js),\n\
         [phone](tel:+77172000000), <https://assembly.kz>, <apk@example.kz>,\n\
         [the other article's photo](../other/masks.svg), [same](/news/2020/03/other/masks.svg).\n",
    );
    site.article(
        "2020/03/other/index.md",
        "title: Other\ndate: 2020-03-21\naliases: [/old-masks.php]",
        "Body\n",
    )
    .file(
        "content/news/2020/03/other/masks.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    );
    site.build(&[]);
}

#[test]
fn a_page_points_at_static_files() {
    let site = Fixture::new();
    site.file(
        "content/pages/about.md",
        "---\ntitle: About\nimage: /Logo.svg\n---\n![The seal](seal.png)\n\n![Logo](/logo.svg)\n",
    );
    fails_with(
        &site,
        &[
            "error: content/pages/about.md:3:8: image `/Logo.svg` does not exist\n  hint: did you mean `/logo.svg`? (file names are case-sensitive on a web server)",
            "error: content/pages/about.md:5:1: image `seal.png` does not exist\n  hint: pages have no folder of their own: put the file under static/ and write its site path, e.g. `/seal.png`",
        ],
    );
}

#[test]
fn theme_folders_publish_their_static_files() {
    let site = Fixture::new();
    site.article(
        "a.md",
        "title: A\ndate: 2020-03-20",
        "![Seal](/img/seal.png)\n",
    );
    let out = site.birge(&["theme", "eject"]);
    assert!(out.status.success());
    let mut seal = Vec::new();
    image::RgbImage::new(8, 8)
        .write_to(
            &mut std::io::Cursor::new(&mut seal),
            image::ImageFormat::Png,
        )
        .expect("a PNG");
    site.bytes("themes/birge/static/img/seal.png", &seal);
    site.build(&[]);
    // A photo a page shows is published as its variants.
    assert!(site.exists("img/seal-8w.png"));
}

#[test]
fn check_reports_missing_files_like_build() {
    let site = sewing("First line.\n\n![Volunteers at work](Sewing.JPG)\n");
    let out = site.birge(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: content/news/2020/03/sewing/index.md:7:1: image `Sewing.JPG` does not exist\n  hint: did you mean `sewing.jpg`? (file names are case-sensitive on a web server)"),
        "{stderr}"
    );
}

#[test]
fn an_image_of_an_unpublished_article_is_missing() {
    // The draft's bundle is not published, so its photo would not be there either.
    let site = Fixture::new();
    site.article(
        "2020/03/draft/index.md",
        "title: Draft\ndate: 2020-03-20\ndraft: true",
        "Body\n",
    )
    .file("content/news/2020/03/draft/a.svg", "<svg/>")
    .article(
        "2020/03/b.md",
        "title: B\ndate: 2020-03-21",
        "![A](/news/2020/03/draft/a.svg)\n",
    );
    let stderr = site.build_fails();
    assert!(
        stderr.contains(
            "error: content/news/2020/03/b.md:5:1: image `/news/2020/03/draft/a.svg` does not exist"
        ),
        "{stderr}"
    );
    site.build(&["--drafts"]);
}
