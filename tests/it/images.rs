//! Photos: published as upright variants with no metadata, offered through `srcset`, kept
//! in the build cache, and refused with the file's name when they cannot be read.

use std::io::Cursor;
use std::process::Command;

use image::{Rgb, RgbImage};

use crate::util::{BIRGE, Fixture};

#[path = "../../examples/photos/exif.rs"]
mod exif_writer;

const BUNDLE: &str = "content/news/2020/volunteers";
const PAGE: &str = "news/2020/03/volunteers-sew-masks";

/// A phone photo of `width` x `height` as seen upright (red on the left, blue on the right,
/// a white top-left corner), stored sideways with EXIF orientation 6, the camera's serial
/// and a GPS position.
fn phone_photo(width: u32, height: u32) -> Vec<u8> {
    let upright = RgbImage::from_fn(width, height, |x, y| {
        if x < width / 10 && y < height / 10 {
            Rgb([255, 255, 255])
        } else if x < width / 2 {
            Rgb([220, 30, 30])
        } else {
            Rgb([30, 30, 220])
        }
    });
    let stored = image::imageops::rotate270(&upright);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode(
            stored.as_raw(),
            stored.width(),
            stored.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("a JPEG");
    exif_writer::with_exif(&jpeg, 6, (47.1167, 51.8833))
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = RgbImage::from_pixel(width, height, Rgb([20, 140, 90]));
    let mut out = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("a PNG");
    out
}

/// A bundle whose lead image is a sideways phone photo, with a PNG, an SVG and a GIF in its
/// text.
fn site() -> Fixture {
    let site = Fixture::new();
    site.file(
        &format!("{BUNDLE}/index.md"),
        "---\ntitle: Volunteers sew masks\ndate: 2020-03-24\nimage: photo.jpg\nimage_alt: Volunteers\n---\n\
         The volunteers.\n\n![A chart](chart.png)\n\n![A mask](masks.svg)\n\n![Sewing](sewing.gif)\n",
    )
    .bytes(&format!("{BUNDLE}/photo.jpg"), &phone_photo(2000, 1000))
    .bytes(&format!("{BUNDLE}/chart.png"), &png(700, 300))
    .file(
        &format!("{BUNDLE}/masks.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 80 40\"/>",
    )
    .bytes(&format!("{BUNDLE}/sewing.gif"), b"GIF89a\x01\x00\x01\x00\x00\x00\x00;");
    site
}

fn decoded(site: &Fixture, rel: &str) -> image::DynamicImage {
    let bytes = std::fs::read(site.public().join(rel)).expect(rel);
    image::load_from_memory(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// What metadata a published image still carries, by the markers of EXIF, XMP and ICC.
fn metadata_in(bytes: &[u8]) -> Vec<&'static str> {
    let mut found = Vec::new();
    if exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .is_ok()
    {
        found.push("EXIF (read back)");
    }
    let markers: [(&[u8], &str); 5] = [
        (b"Exif\0\0", "EXIF"),
        (b"EXIF", "WebP EXIF chunk"),
        (b"http://ns.adobe.com/xap/1.0/", "XMP"),
        (b"XMP ", "WebP XMP chunk"),
        (b"ICC_PROFILE", "ICC"),
    ];
    for (marker, name) in markers {
        if bytes.windows(marker.len()).any(|w| w == marker) {
            found.push(name);
        }
    }
    found
}

/// Runs `birge build` with timings on; gives (encoded, from the cache) as it reports them.
fn build_counting(site: &Fixture, args: &[&str]) -> (usize, usize) {
    let stderr = site.build_timed(args);
    let counts: Vec<(usize, usize)> = stderr
        .lines()
        .filter_map(|line| line.strip_prefix("timing: images"))
        .map(|rest| {
            let numbers: Vec<usize> = rest
                .split_whitespace()
                .filter_map(|word| word.parse().ok())
                .collect();
            (numbers[0], numbers[1])
        })
        .collect();
    (
        counts.iter().map(|c| c.0).sum(),
        counts.iter().map(|c| c.1).sum(),
    )
}

#[test]
fn photos_are_published_as_upright_variants_without_metadata() {
    let site = site();
    site.build(&[]);
    for (width, height) in [(480, 240), (960, 480), (1600, 800)] {
        for ext in ["jpg", "webp"] {
            let rel = format!("{PAGE}/photo-{width}w.{ext}");
            let image = decoded(&site, &rel).into_rgb8();
            assert_eq!(image.dimensions(), (width, height), "{rel}");
            // Upright: the white corner top left, red on the left, blue on the right.
            let at = |x: u32, y: u32| image.get_pixel(x, y).0;
            assert!(at(2, 2).iter().all(|&c| c > 200), "{rel}: {:?}", at(2, 2));
            let [r, _, b] = at(width / 4, height / 2);
            assert!(r > 150 && b < 100, "{rel}: left {r} {b}");
            let [r, _, b] = at(width * 3 / 4, height / 2);
            assert!(b > 150 && r < 100, "{rel}: right {r} {b}");
            let bytes = std::fs::read(site.public().join(&rel)).expect("bytes");
            assert_eq!(metadata_in(&bytes), Vec::<&str>::new(), "{rel}");
        }
    }
    let card = decoded(&site, &format!("{PAGE}/photo-card.jpg"));
    assert_eq!((card.width(), card.height()), (1200, 630));
    assert!(
        !site.exists(&format!("{PAGE}/photo.jpg")),
        "the source is not published"
    );
    assert!(!site.exists(&format!("{PAGE}/chart.png")));
    // No variant is made larger than its source.
    assert_eq!(
        decoded(&site, &format!("{PAGE}/chart-700w.png")).width(),
        700
    );
    assert!(!site.exists(&format!("{PAGE}/chart-960w.png")));
    // SVG and GIF are published as they are.
    for name in ["masks.svg", "sewing.gif"] {
        assert_eq!(
            std::fs::read(site.public().join(format!("{PAGE}/{name}"))).expect(name),
            std::fs::read(site.root().join(format!("{BUNDLE}/{name}"))).expect(name),
        );
    }
}

#[test]
fn pages_offer_the_variants_through_srcset() {
    let site = site();
    site.build(&[]);
    let base = format!("https://example.kz/{PAGE}/");
    let page = site.html(&format!("{PAGE}/index.html"));
    let exists = |url: &str| {
        let rel = url
            .strip_prefix("https://example.kz/")
            .map(str::to_string)
            .unwrap_or_else(|| format!("{PAGE}/{url}"));
        assert!(site.exists(&rel), "{url} is not published");
    };
    let srcset_files = |srcset: &str| -> Vec<String> {
        srcset
            .split(", ")
            .map(|entry| entry.split(' ').next().expect("a URL").to_string())
            .collect()
    };
    // The lead image: the largest JPEG as src, every variant in srcset, WebP offered first.
    assert_eq!(
        page.attrs("figure img", "src"),
        [format!("{base}photo-1600w.jpg")]
    );
    assert_eq!(page.attrs("figure img", "width"), ["1600"]);
    assert_eq!(page.attrs("figure img", "height"), ["800"]);
    assert_eq!(page.attrs("figure img", "sizes").len(), 1);
    let srcset = page.attrs("figure img", "srcset");
    assert_eq!(
        srcset_files(&srcset[0]),
        ["480w.jpg", "960w.jpg", "1600w.jpg"].map(|w| format!("{base}photo-{w}"))
    );
    for srcset in page
        .attrs("figure img", "srcset")
        .iter()
        .chain(&page.attrs("figure source[type='image/webp']", "srcset"))
    {
        srcset_files(srcset).iter().for_each(|url| exists(url));
    }
    assert_eq!(
        page.attrs("meta[property='og:image']", "content"),
        [format!("{base}photo-card.jpg")]
    );
    assert_eq!(
        page.attrs("meta[name='twitter:image']", "content"),
        [format!("{base}photo-card.jpg")]
    );
    assert_eq!(
        page.attrs("meta[property='og:image:width']", "content"),
        ["1200"]
    );
    // The photo in the text, relative to the page like the editor wrote it.
    assert_eq!(
        page.attrs(".article-body picture img", "src"),
        ["chart-700w.png"]
    );
    assert_eq!(
        page.attrs(".article-body picture img", "srcset"),
        ["chart-480w.png 480w, chart-700w.png 700w"]
    );
    for srcset in page.attrs(".article-body picture source", "srcset") {
        srcset_files(&srcset).iter().for_each(|url| exists(url));
    }
    assert_eq!(
        page.attrs(".article-body img:not(picture img)", "src"),
        ["masks.svg", "sewing.gif"]
    );
    // Cards use the small ones: the same srcset, with sizes for a card.
    let front = site.html("index.html");
    let card = front.attrs(".card-image img", "srcset");
    assert_eq!(card.len(), 1);
    srcset_files(&card[0]).iter().for_each(|url| exists(url));
    assert_eq!(
        front.attrs(".card-image img", "sizes"),
        ["(min-width: 36rem) 12rem, 100vw"]
    );
}

#[test]
fn an_unchanged_rebuild_encodes_nothing() {
    let site = site();
    // 6 variants and the card of the photo, 4 of the chart.
    assert_eq!(build_counting(&site, &[]), (11, 0));
    assert_eq!(build_counting(&site, &[]).0, 0);
    // An edit of the text alone makes no variant again.
    site.file(
        &format!("{BUNDLE}/index.md"),
        "---\ntitle: Volunteers sew masks\ndate: 2020-03-24\nimage: photo.jpg\nimage_alt: Volunteers\n---\n\
         The volunteers sewed more.\n\n![A chart](chart.png)\n",
    );
    assert_eq!(build_counting(&site, &[]).0, 0);
    // A build with no output and no build state takes every variant from the cache.
    std::fs::remove_dir_all(site.public()).expect("public removed");
    assert_eq!(build_counting(&site, &[]), (0, 11));
    // An edited photo is encoded again, alone.
    site.bytes(&format!("{BUNDLE}/chart.png"), &png(600, 300));
    assert_eq!(build_counting(&site, &[]).0, 4);
    // Without the cache, everything is encoded and nothing kept.
    assert_eq!(build_counting(&site, &["--no-cache"]), (11, 0));
}

#[test]
fn broken_photos_fail_the_build_naming_the_file() {
    let whole = phone_photo(400, 300);
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "cut short",
            whole[..whole.len() * 2 / 3].to_vec(),
            "error: content/news/2020/volunteers/photo.jpg: this JPEG file is cut short: its image data does not end\n  hint: the file was not copied whole; copy or export it again\n",
        ),
        (
            "not an image",
            b"<html>a web page saved as photo.jpg</html>".to_vec(),
            "error: content/news/2020/volunteers/photo.jpg: this is not a JPEG, PNG or WebP image (or it is damaged)\n  hint: birge publishes JPEG, PNG and WebP photos as resized variants; export the photo again as one of these\n",
        ),
        (
            "a bomb",
            png_claiming(60_000, 60_000),
            "error: content/news/2020/volunteers/photo.jpg: this image is too large to decode safely (at most 20000 pixels a side and 512 MB of pixels)\n  hint: export it smaller; 4000 pixels wide is plenty for the web\n",
        ),
    ];
    for (what, bytes, message) in cases {
        let site = site();
        site.bytes(&format!("{BUNDLE}/photo.jpg"), &bytes);
        let stderr = site.build_fails();
        assert!(stderr.contains(message), "{what}:\n{stderr}");
        assert!(!site.public().exists(), "{what}: nothing published");
        let checked = site.birge(&["check"]);
        assert_eq!(checked.status.code(), Some(1), "{what}: check fails too");
        let stderr = String::from_utf8_lossy(&checked.stderr);
        assert!(stderr.contains(message), "{what}, check:\n{stderr}");
    }
}

/// `birge check` decodes photos to find broken ones, and encodes none.
#[test]
fn check_decodes_photos_and_encodes_none() {
    let site = site();
    let out = Command::new(BIRGE)
        .arg("check")
        .arg("--root")
        .arg(site.root())
        .env("BIRGE_TIMINGS", "1")
        .output()
        .expect("birge runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let images: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("timing: images"))
        .collect();
    assert_eq!(images.len(), 1, "{stderr}");
    assert!(images[0].contains(" 0 encoded"), "{stderr}");
    assert!(!site.public().exists());
}

/// The start of a PNG file that claims `width` x `height` pixels (a decompression bomb's
/// header, with a valid checksum), and no pixels.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut chunk = b"IHDR".to_vec();
    chunk.extend(width.to_be_bytes());
    chunk.extend(height.to_be_bytes());
    chunk.extend([8, 2, 0, 0, 0]);
    let mut crc = flate2::Crc::new();
    crc.update(&chunk);
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0d".to_vec();
    bytes.extend(&chunk);
    bytes.extend(crc.sum().to_be_bytes());
    bytes.extend(b"\0\0\0\0IEND\xae\x42\x60\x82");
    bytes
}

/// `birge serve` takes photo variants from the image cache too: a serve started after a
/// build (or rebuilding everything after a fixed mistake) encodes nothing again.
#[test]
fn serve_takes_variants_from_the_image_cache() {
    let site = site();
    assert_eq!(build_counting(&site, &[]).0, 11);
    let server = crate::serve::DevServer::spawn(|command| {
        command
            .arg("--root")
            .arg(site.root())
            .env("BIRGE_TIMINGS", "1");
    });
    let log = server.stderr();
    let counts: Vec<Vec<usize>> = log
        .lines()
        .filter_map(|line| line.strip_prefix("timing: images"))
        .map(|rest| {
            rest.split_whitespace()
                .filter_map(|word| word.trim_end_matches(',').parse().ok())
                .collect()
        })
        .collect();
    assert_eq!(counts, [[0, 11]], "encoded, from the cache:\n{log}");
}

/// Every file of a folder with its bytes, by path relative to it.
fn snapshot_of(site: &Fixture) -> Vec<(String, Vec<u8>)> {
    crate::util::snapshot(&site.public())
}

/// Builds the site without the cache into a fresh folder; gives every file.
fn clean_build(site: &Fixture) -> Vec<(String, Vec<u8>)> {
    let out = tempfile::tempdir().expect("a folder");
    let output = out.path().join("clean");
    let output = output.to_str().expect("a UTF-8 path");
    site.build(&["--no-cache", "--output", output]);
    crate::util::snapshot(std::path::Path::new(output))
}

fn assert_same_as_clean(site: &Fixture) {
    let (built, clean) = (snapshot_of(site), clean_build(site));
    let names = |files: &[(String, Vec<u8>)]| files.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&built), names(&clean), "the same files");
    for ((path, bytes), (_, expected)) in built.iter().zip(&clean) {
        assert!(bytes == expected, "{path} differs from a clean build");
    }
}

#[test]
fn damaged_variants_in_the_cache_are_made_again_not_published() {
    let site = site();
    site.build(&[]);
    let kept = site.root().join(".birge-cache/images");
    let files: Vec<_> = std::fs::read_dir(&kept)
        .expect("the image cache")
        .map(|e| e.expect("an entry").path())
        .collect();
    assert!(files.len() > 4, "{files:?}");
    for (i, file) in files.iter().enumerate() {
        let bytes = std::fs::read(file).expect("a kept variant");
        let damaged = match i % 3 {
            0 => bytes[..bytes.len() / 2].to_vec(),
            1 => b"garbage".to_vec(),
            _ => bytes.iter().map(|b| b ^ 1).collect(),
        };
        std::fs::write(file, damaged).expect("written");
    }
    // Other settings: everything is built again, the variants looked up in the cache.
    site.file(
        "site.yaml",
        &crate::util::SITE_YAML.replace("paginate: 20", "paginate: 19"),
    );
    let (encoded, reused) = build_counting(&site, &[]);
    assert_eq!((encoded, reused), (files.len(), 0));
    assert_same_as_clean(&site);
}

const ARTICLE: &str = "news/2020/03/team-at-work";

/// A site whose article and page show photos of `static/` (a lead image, an image and a
/// link in the text), with a static photo no page shows and a static logo of the site.
fn static_site() -> Fixture {
    let site = Fixture::new();
    site.article(
        "2020/team.md",
        "title: Team at work\ndate: 2020-03-24\nimage: /photos/team.jpg\nimage_alt: The team",
        "The team.\n\n![The hall](/photos/hall.png)\n\n[Full size](/photos/team.jpg) and [the logo](/logo.png).\n",
    )
    .file(
        "content/pages/about.md",
        "---\ntitle: About\nimage: /photos/hall.png\nimage_alt: The hall\n---\n![The team](../photos/team.jpg)\n",
    )
    .bytes("static/photos/team.jpg", &phone_photo(2000, 1000))
    .bytes("static/photos/hall.png", &png(700, 300))
    .bytes("static/photos/unused.jpg", &phone_photo(100, 50))
    .bytes("static/logo.png", &png(64, 64));
    site
}

#[test]
fn static_photos_that_pages_show_are_published_as_variants() {
    let site = static_site();
    site.build(&[]);
    for (width, height) in [(480, 240), (960, 480), (1600, 800)] {
        for ext in ["jpg", "webp"] {
            let rel = format!("photos/team-{width}w.{ext}");
            let image = decoded(&site, &rel).into_rgb8();
            assert_eq!(image.dimensions(), (width, height), "{rel}");
            let [r, _, b] = image.get_pixel(width / 4, height / 2).0;
            assert!(r > 150 && b < 100, "{rel} is upright: left {r} {b}");
            let bytes = std::fs::read(site.public().join(&rel)).expect("bytes");
            assert_eq!(metadata_in(&bytes), Vec::<&str>::new(), "{rel}");
        }
    }
    let card = decoded(&site, "photos/team-card.jpg");
    assert_eq!((card.width(), card.height()), (1200, 630));
    assert_eq!(decoded(&site, "photos/hall-700w.png").width(), 700);
    assert_eq!(decoded(&site, "photos/hall-card.png").width(), 571);
    for source in ["photos/team.jpg", "photos/hall.png"] {
        assert!(!site.exists(source), "{source} is not published as it is");
    }
    // A static photo no page shows keeps its path, without the camera's serial and the GPS
    // position: its EXIF holds the orientation alone, so it still shows upright.
    let unused = std::fs::read(site.public().join("photos/unused.jpg")).expect("unused.jpg");
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(&unused))
        .expect("the orientation is kept");
    let tags: Vec<exif::Tag> = exif.fields().map(|field| field.tag).collect();
    assert_eq!(tags, [exif::Tag::Orientation]);
    assert_eq!(
        image::load_from_memory(&unused).expect("decodes").width(),
        50,
        "stored sideways, as the source"
    );
    // The publisher's logo keeps its file although a page links to it (it has no metadata).
    assert_eq!(
        std::fs::read(site.public().join("logo.png")).expect("logo"),
        std::fs::read(site.root().join("static/logo.png")).expect("logo")
    );
    assert!(site.exists("logo-64w.png"));
    assert!(!site.exists("photos/unused-100w.jpg"));

    let page = site.html(&format!("{ARTICLE}/index.html"));
    let base = "https://example.kz/photos";
    assert_eq!(
        page.attrs("figure img", "src"),
        [format!("{base}/team-1600w.jpg")]
    );
    assert_eq!(
        page.attrs("figure img", "srcset"),
        [format!(
            "{base}/team-480w.jpg 480w, {base}/team-960w.jpg 960w, {base}/team-1600w.jpg 1600w"
        )]
    );
    assert_eq!(
        page.attrs("meta[property='og:image']", "content"),
        [format!("{base}/team-card.jpg")]
    );
    assert_eq!(
        page.attrs(".article-body picture img", "src"),
        ["/photos/hall-700w.png"]
    );
    assert_eq!(
        page.attrs(".article-body picture img", "srcset"),
        ["/photos/hall-480w.png 480w, /photos/hall-700w.png 700w"]
    );
    assert_eq!(page.attrs(".article-body picture img", "width"), ["700"]);
    assert_eq!(
        page.attrs(".article-body a", "href"),
        ["/photos/team-1600w.jpg", "/logo-64w.png"]
    );

    let about = site.html("about/index.html");
    assert_eq!(
        about.attrs("figure img", "src"),
        [format!("{base}/hall-700w.png")]
    );
    assert_eq!(
        about.attrs("figure source[type='image/webp']", "srcset"),
        [format!(
            "{base}/hall-480w.webp 480w, {base}/hall-700w.webp 700w"
        )]
    );
    assert_eq!(
        about.attrs("meta[property='og:image']", "content"),
        [format!("{base}/hall-card.png")]
    );
    assert_eq!(
        about.attrs(".page-body picture img", "src"),
        ["../photos/team-1600w.jpg"]
    );
}

#[test]
fn a_static_photo_shown_by_raw_html_has_every_variant_its_tag_names() {
    let site = Fixture::new();
    site.article(
        "2020/team.md",
        "title: Team at work\ndate: 2020-03-24",
        "The team.\n\n<img src=\"/photos/team.jpg\" alt=\"The team\">\n\n<p>See <a href=\"/photos/hall.png\">the hall</a>.</p>\n\n<img src=\"/nowhere.png\" alt=\"not checked\">\n",
    )
    .bytes("static/photos/team.jpg", &phone_photo(1200, 600))
    .bytes("static/photos/hall.png", &png(700, 300));
    site.build(&[]);
    let page = site.html(&format!("{ARTICLE}/index.html"));
    let mut named: Vec<String> = page
        .attrs(".article-body img, .article-body source", "srcset")
        .iter()
        .flat_map(|srcset| {
            srcset
                .split(", ")
                .map(|c| c.split(' ').next().unwrap().to_string())
        })
        .collect();
    named.extend(page.attrs(".article-body a", "href"));
    assert!(
        named.contains(&"/photos/team-1200w.webp".to_string()),
        "{named:?}"
    );
    assert!(
        named.contains(&"/photos/hall-700w.png".to_string()),
        "{named:?}"
    );
    for url in &named {
        assert!(
            site.exists(url.trim_start_matches('/')),
            "{url} is published"
        );
    }
    for source in ["photos/team.jpg", "photos/hall.png"] {
        assert!(!site.exists(source), "{source} is not published as it is");
    }
}

#[test]
fn broken_static_photos_fail_the_build_naming_the_file() {
    let site = static_site();
    site.bytes(
        "static/photos/team.jpg",
        b"<html>a web page saved as team.jpg</html>",
    );
    let stderr = site.build_fails();
    assert!(
        stderr.contains(
            "error: static/photos/team.jpg: this is not a JPEG, PNG or WebP image (or it is damaged)\n  hint: birge publishes JPEG, PNG and WebP photos as resized variants; export the photo again as one of these\n"
        ),
        "{stderr}"
    );
    assert!(!site.public().exists(), "nothing published");
}

#[test]
fn an_edited_static_photo_is_encoded_again_alone() {
    let site = static_site();
    // team: 6 variants and the card; hall: 4 and the card; the logo: 2.
    assert_eq!(build_counting(&site, &[]), (14, 0));
    assert_eq!(build_counting(&site, &[]).0, 0);
    site.bytes("static/photos/hall.png", &png(600, 300));
    assert_eq!(build_counting(&site, &[]).0, 5);
    assert_eq!(decoded(&site, "photos/hall-600w.png").width(), 600);
    assert!(!site.exists("photos/hall-700w.png"));
    assert_same_as_clean(&site);
    // A page that stops showing a static photo publishes it as it is again.
    site.article(
        "2020/team.md",
        "title: Team at work\ndate: 2020-03-24\nimage: /photos/team.jpg\nimage_alt: The team",
        "The team.\n",
    );
    site.file(
        "content/pages/about.md",
        "---\ntitle: About\n---\nAbout us.\n",
    );
    site.build(&[]);
    assert!(site.exists("photos/hall.png"));
    assert!(!site.exists("photos/hall-600w.png"));
    assert_same_as_clean(&site);
}

#[test]
fn links_to_a_bundles_photo_point_at_its_largest_variant() {
    let site = site();
    site.file(
        &format!("{BUNDLE}/index.md"),
        "---\ntitle: Volunteers sew masks\ndate: 2020-03-24\nimage: photo.jpg\n---\n\
         See [the photo in full](photo.jpg) and [the chart](./chart.png#top).\n\n\
         ![The chart again](chart.png?v=2)\n",
    );
    site.build(&[]);
    let page = site.html(&format!("{PAGE}/index.html"));
    // A query names the same photo: it is shown by its variants too.
    assert_eq!(
        page.attrs(".article-body picture img", "src"),
        ["chart-700w.png"]
    );
    let hrefs = page.attrs(".article-body a", "href");
    assert_eq!(hrefs, ["photo-1600w.jpg", "./chart-700w.png#top"]);
    assert!(site.exists(&format!("{PAGE}/photo-1600w.jpg")));
    assert!(site.exists(&format!("{PAGE}/chart-700w.png")));
}

#[test]
fn a_bundles_photo_named_from_elsewhere_is_an_error() {
    let site = site();
    site.article(
        "2020/other.md",
        "title: Other news\ndate: 2020-03-25",
        &format!("Text.\n\n[The volunteers](/{PAGE}/photo.jpg)\n"),
    );
    let stderr = site.build_fails();
    assert!(
        stderr.contains(&format!(
            "error: content/news/2020/other.md:7:1: file `/{PAGE}/photo.jpg` is a photo that is published only as resized variants\n  hint: show it from its own article, or link to its largest variant, `/{PAGE}/photo-1600w.jpg`\n"
        )),
        "{stderr}"
    );
}

/// A site whose page template asks `resize` for the photo its page names in `extra`.
fn resize_site(thumb: &str) -> Fixture {
    let site = static_site();
    site.file(
        "templates/page.html",
        "{% extends \"base.html\" %}{% block content %}<h1>{{ page.title }}</h1>\
         {% if page.extra.thumb %}{% set t = resize(path=page.extra.thumb, width=300, format=\"webp\") %}\
         <img class=\"thumb\" src=\"{{ t.src | url }}\" width=\"{{ t.width }}\" height=\"{{ t.height }}\">\
         {% set sq = resize(path=page.extra.thumb, width=200, height=200) %}\
         <img class=\"square\" src=\"{{ sq.src }}\" width=\"{{ sq.width }}\" height=\"{{ sq.height }}\">{% endif %}\
         {% endblock content %}",
    );
    site.file(
        "content/pages/about.md",
        &format!("---\ntitle: About\nextra:\n  thumb: {thumb}\n---\nAbout us.\n"),
    );
    site
}

#[test]
fn resize_publishes_the_variants_templates_ask_for() {
    let site = resize_site("/photos/unused.jpg");
    site.build(&[]);
    let about = site.html("about/index.html");
    assert_eq!(
        about.attrs(".thumb", "src"),
        ["https://example.kz/photos/unused-100w.webp"]
    );
    assert_eq!(about.attrs(".thumb", "height"), ["50"]);
    assert_eq!(about.attrs(".square", "src"), ["/photos/unused-50x50.jpg"]);
    let thumb = decoded(&site, "photos/unused-100w.webp");
    assert_eq!((thumb.width(), thumb.height()), (100, 50));
    let square = std::fs::read(site.public().join("photos/unused-50x50.jpg")).expect("square");
    assert_eq!(metadata_in(&square), Vec::<&str>::new());
    // The photo itself is still copied: no page shows it through its content.
    assert!(site.exists("photos/unused.jpg"));

    let site = resize_site("/photos/team.jpg");
    assert_eq!(build_counting(&site, &[]).0, 13 + 2);
    let square = decoded(&site, "photos/team-200x200.jpg");
    assert_eq!((square.width(), square.height()), (200, 200));
    assert_eq!(decoded(&site, "photos/team-300w.webp").height(), 150);
    assert_eq!(build_counting(&site, &[]).0, 0);
    // Another photo asked for: the old variants go, the new ones come, as a clean build.
    site.file(
        "content/pages/about.md",
        "---\ntitle: About\nextra:\n  thumb: /photos/unused.jpg\n---\nAbout us.\n",
    );
    site.build(&[]);
    assert!(!site.exists("photos/team-300w.webp"));
    assert!(site.exists("photos/unused-100w.webp"));
    assert_same_as_clean(&site);
}

#[test]
fn resize_refuses_what_is_not_a_static_photo() {
    for (thumb, message) in [
        (
            "/photos/missing.jpg",
            "resize: `/photos/missing.jpg` is not a JPEG, PNG or WebP photo of the site's or the theme's static/ or of an article's bundle",
        ),
        (
            "/logo.svg",
            "resize: `/logo.svg` is not a JPEG, PNG or WebP photo",
        ),
    ] {
        let site = resize_site(thumb);
        let stderr = site.build_fails();
        assert!(stderr.contains("templates/page.html"), "{stderr}");
        assert!(stderr.contains(message), "{thumb}:\n{stderr}");
    }
}

/// `birge serve` publishes static photos as variants too, and follows edits of them (a full
/// rebuild) and of the pages that show them (an update), as a clean build would.
#[test]
fn serve_follows_edits_of_static_photos_and_of_what_shows_them() {
    let site = static_site();
    let server = crate::serve::DevServer::start(site.root());
    crate::serve::assert_served_equals_clean_build(&site, &server);
    let status = |path: &str| crate::http::get(&server.addr, path, &[]).status;
    assert_eq!(status("/photos/hall-700w.png"), 200);
    assert_eq!(status("/photos/hall.png"), 404);

    server.edit(|| {
        site.bytes("static/photos/hall.png", &png(600, 300));
    });
    assert_eq!(status("/photos/hall-600w.png"), 200);
    assert_eq!(status("/photos/hall-700w.png"), 404);
    crate::serve::assert_served_equals_clean_build(&site, &server);

    // An article that starts showing a photo no page showed.
    server.edit(|| {
        site.article(
            "2020/team.md",
            "title: Team at work\ndate: 2020-03-24\nimage: /photos/team.jpg\nimage_alt: The team",
            "The team.\n\n![Before](/photos/unused.jpg)\n",
        );
    });
    assert_eq!(status("/photos/unused-100w.jpg"), 200);
    assert_eq!(status("/photos/unused.jpg"), 404);
    crate::serve::assert_served_equals_clean_build(&site, &server);
}

/// `resize` takes a bundle's photo too, by the `src` of its image view, and the variant
/// follows edits of the photo as a clean build would.
#[test]
fn resize_takes_an_articles_lead_photo_by_its_src() {
    let site = site();
    site.file(
        "templates/article.html",
        "{% extends \"base.html\" %}{% block content %}<h1>{{ article.title }}</h1>\
         {% if article.image %}{% set sq = resize(path=article.image.src, width=100, height=100, format=\"webp\") %}\
         <img class=\"square\" src=\"{{ sq.src }}\" width=\"{{ sq.width }}\" height=\"{{ sq.height }}\">{% endif %}\
         {% endblock content %}",
    );
    site.build(&[]);
    let page = site.html(&format!("{PAGE}/index.html"));
    assert_eq!(
        page.attrs(".square", "src"),
        [format!("/{PAGE}/photo-100x100.webp")]
    );
    let square = decoded(&site, &format!("{PAGE}/photo-100x100.webp")).into_rgb8();
    assert_eq!(square.dimensions(), (100, 100));
    // Cut from the middle of the upright photo: red on the left, blue on the right.
    let [r, _, b] = square.get_pixel(20, 50).0;
    assert!(r > 150 && b < 100, "left {r} {b}");
    // The photo replaced by a smaller one: the square shrinks to fit, as in a clean build.
    site.bytes(&format!("{BUNDLE}/photo.jpg"), &phone_photo(80, 60));
    site.build(&[]);
    assert!(site.exists(&format!("{PAGE}/photo-60x60.webp")));
    assert!(!site.exists(&format!("{PAGE}/photo-100x100.webp")));
    assert_same_as_clean(&site);
}
