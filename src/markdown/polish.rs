//! Touch-ups of rendered HTML for the web: quotes as the language writes them, images
//! loaded lazily with their sizes, labelled task-list check boxes, and sanitising for
//! `safe_html: true`.
//!
//! Takes rendered HTML, its language and a way to know an image's size, gives the HTML a
//! page shows.

use std::borrow::Cow;
use std::sync::OnceLock;

use super::find;
use super::shortcodes::poll_marker;
use crate::images;

/// Double quotes as the language writes them: smart punctuation gives English “…”; Russian
/// and Kazakh use «…», with „…“ inside. Code (`<pre>`, `<code>`) keeps its characters.
pub fn localize_quotes<'a>(html: &'a str, lang: &str) -> Cow<'a, str> {
    let guillemets = matches!(lang, "ru" | "kk");
    if !guillemets || (find(html, "“").is_none() && find(html, "”").is_none()) {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut depth = 0usize;
    let mut rest = html;
    while !rest.is_empty() {
        let next_code = ["<pre", "<code"]
            .iter()
            .filter_map(|open| find(rest, open).map(|at| (at, *open)))
            .min();
        let (text, code) = match next_code {
            Some((at, open)) => (&rest[..at], Some((at, open))),
            None => (rest, None),
        };
        for c in text.chars() {
            match c {
                '“' => {
                    depth += 1;
                    out.push(if depth == 1 { '«' } else { '„' });
                }
                '”' => {
                    out.push(if depth <= 1 { '»' } else { '“' });
                    depth = depth.saturating_sub(1);
                }
                _ => out.push(c),
            }
        }
        let Some((at, open)) = code else { break };
        let close = if open == "<pre" { "</pre>" } else { "</code>" };
        let end = find(&rest[at..], close).map_or(rest.len(), |e| at + e + close.len());
        out.push_str(&rest[at..end]);
        rest = &rest[end..];
    }
    Cow::Owned(out)
}

/// Finishes rendered HTML for the web: quotes as the language writes them
/// ([`localize_quotes`]); images get `loading="lazy"` and, where `size_of`
/// knows them, `width` and `height`, and a photo becomes a `<picture>` of its variants at
/// `image_widths` ([`images::picture`]); task-list check boxes get a label in `lang`; void
/// elements lose the XHTML-style ` />`.
pub fn polish(
    html: &str,
    lang: &str,
    size_of: impl Fn(&str) -> Option<(u32, u32)>,
    image_widths: &[u32],
) -> String {
    let quoted = localize_quotes(html, lang);
    let linked = photo_links(quoted.as_ref(), &size_of, image_widths);
    let html = linked.as_ref();
    let has_checkboxes = find(html, "type=\"checkbox\"").is_some();
    if !has_checkboxes && find(html, "<img ").is_none() {
        return html.to_string();
    }
    let (done, open) = match lang {
        "ru" => ("выполнено", "не выполнено"),
        "kk" => ("орындалды", "орындалмады"),
        _ => ("done", "not done"),
    };
    let html = if !has_checkboxes {
        Cow::Borrowed(html)
    } else {
        Cow::Owned(checkboxes_labelled(html, done, open))
    };
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html.as_ref();
    while let Some(at) = find(rest, "<img src=\"") {
        out.push_str(&rest[..at]);
        let tag_end = rest[at..].find('>').map_or(rest.len(), |e| at + e + 1);
        let tag = &rest[at..tag_end];
        let src = tag["<img src=\"".len()..].split('"').next().unwrap_or("");
        let mut tag = tag
            .trim_end_matches('>')
            .trim_end_matches('/')
            .trim_end()
            .to_string();
        if !tag.contains(" loading=") {
            tag.push_str(" loading=\"lazy\"");
        }
        let src = decode_entities(src);
        // A query or fragment names the same file (a web server ignores them).
        let size = size_of(src.split(['?', '#']).next().unwrap_or_default());
        let set = size
            .filter(|_| !tag.contains(" width=") && !tag.contains(" srcset="))
            .and_then(|size| images::ImageSet::of(&src, size, image_widths, false));
        if let Some(set) = set {
            let attrs_at = tag.find("\" ").map_or(tag.len(), |end| end + 1);
            out.push_str(&images::picture(&set, &tag[attrs_at..], images::BODY_SIZES));
            rest = &rest[tag_end..];
            continue;
        }
        if !tag.contains(" width=")
            && let Some((width, height)) = size
        {
            tag.push_str(&format!(" width=\"{width}\" height=\"{height}\""));
        }
        tag.push('>');
        out.push_str(&tag);
        rest = &rest[tag_end..];
    }
    out.push_str(rest);
    out
}

/// `html` with its links to photos published as variants (a bundle's or a static photo, as
/// `size_of` knows them) pointing at the largest variant in the photo's own format, the
/// file its `image.src` names: the photo itself is not published.
fn photo_links<'h>(
    html: &'h str,
    size_of: &impl Fn(&str) -> Option<(u32, u32)>,
    image_widths: &[u32],
) -> Cow<'h, str> {
    const OPEN: &str = "<a href=\"";
    if find(html, OPEN).is_none() {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len() + 16);
    let mut rest = html;
    while let Some(at) = find(rest, OPEN) {
        let start = at + OPEN.len();
        let Some(len) = rest[start..].find('"') else {
            break;
        };
        out.push_str(&rest[..start]);
        let href = &rest[start..start + len];
        let decoded = decode_entities(href);
        let cut = decoded.find(['?', '#']).unwrap_or(decoded.len());
        let (path, tail) = decoded.split_at(cut);
        let set =
            size_of(path).and_then(|size| images::ImageSet::of(path, size, image_widths, false));
        match set {
            Some(set) => {
                let target = format!("{}{tail}", set.src);
                out.push_str(&target.replace('&', "&amp;").replace('"', "&quot;"));
            }
            None => out.push_str(href),
        }
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// `html` with pulldown-cmark's task-list check boxes written as HTML5 with a label.
fn checkboxes_labelled(html: &str, done: &str, open: &str) -> String {
    html.replace(
        "<input disabled=\"\" type=\"checkbox\" checked=\"\"/>",
        &format!("<input disabled type=\"checkbox\" checked aria-label=\"{done}\">"),
    )
    .replace(
        "<input disabled=\"\" type=\"checkbox\"/>",
        &format!("<input disabled type=\"checkbox\" aria-label=\"{open}\">"),
    )
}

fn decode_entities(text: &str) -> String {
    text.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// Sanitises rendered HTML for `safe_html: true` (ammonia): scripts, styles, event handlers,
/// `javascript:` URLs, forms and frames go; text, links, images, tables, code highlighting
/// (`class`), heading anchors (`id`) and disabled task-list checkboxes stay. Poll markers
/// (see [`poll_marker`]) are kept: they stand between blocks, so each piece between them is
/// sanitised on its own.
pub fn sanitize(html: &str) -> String {
    static SANITIZER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    let sanitizer = SANITIZER.get_or_init(|| {
        let mut builder = ammonia::Builder::default();
        builder
            .add_generic_attributes(["id", "class"])
            .add_tags(["input"])
            .add_tag_attributes("input", ["type", "checked", "disabled", "aria-label"])
            .add_tags(["picture", "source"])
            .add_tag_attributes("img", ["loading", "srcset", "sizes"])
            .add_tag_attributes("source", ["type", "srcset", "sizes"])
            .add_tag_attributes("pre", ["data-lang"])
            .attribute_filter(|element, attribute, value| {
                if element == "input" && attribute == "type" && value != "checkbox" {
                    None
                } else {
                    Some(value.into())
                }
            });
        builder
    });
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<!--birge:poll:") {
        let end = rest[at..].find("-->").map(|e| at + e + 3);
        let Some(end) = end else { break };
        let id = &rest[at + "<!--birge:poll:".len()..end - 3];
        out.push_str(&sanitizer.clean(&rest[..at]).to_string());
        if crate::slug::is_valid_poll_id(id) {
            out.push_str(&poll_marker(id));
        }
        rest = &rest[end..];
    }
    out.push_str(&sanitizer.clean(rest).to_string());
    out
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::super::render;
    use super::super::tests::cx;
    use super::*;

    #[test]
    fn quotes_follow_the_language() {
        let html =
            "<p>“Biz “birgemiz” forum”</p><pre><code>“x”</code></pre><p><code>“y”</code> “z”</p>";
        assert_eq!(
            localize_quotes(html, "ru"),
            "<p>«Biz „birgemiz“ forum»</p><pre><code>“x”</code></pre><p><code>“y”</code> «z»</p>"
        );
        assert_eq!(localize_quotes(html, "kk").matches('«').count(), 2);
        assert_eq!(localize_quotes(html, "en"), html);
    }

    #[test]
    fn links_to_photos_point_at_their_largest_variant() {
        let size_of = |src: &str| (src == "a.jpg" || src == "chart.svg").then_some((2000, 1000));
        let html =
            "<p><a href=\"a.jpg#x\">a</a> <a href=\"chart.svg\">c</a> <a href=\"b.pdf\">b</a></p>";
        assert_eq!(
            polish(html, "en", size_of, &[480, 960]),
            "<p><a href=\"a-960w.jpg#x\">a</a> <a href=\"chart.svg\">c</a> <a href=\"b.pdf\">b</a></p>"
        );
    }

    #[test]
    fn sanitize_removes_active_content_and_keeps_the_rest() {
        let (t, p) = (HashMap::new(), HashSet::from(["mothers-forum".to_string()]));
        let body = "## Part\n\n<script>alert(1)</script>\n\n<p onclick=\"x()\">Hi <a href=\"javascript:alert(1)\">a</a></p>\n\n{{ poll(id=\"mothers-forum\") }}\n\n- [x] done\n\n```rust\nfn main() {}\n```\n\n<iframe src=\"https://evil.example\"></iframe>\n";
        let (r, _) = render(body, &cx(&t, &p));
        let clean = sanitize(&r.html);
        for gone in ["<script", "onclick", "javascript:", "<iframe"] {
            assert!(!clean.contains(gone), "{gone} in {clean}");
        }
        assert!(clean.contains("<h2 id=\"part\">Part</h2>"), "{clean}");
        assert!(clean.contains(&poll_marker("mothers-forum")), "{clean}");
        assert!(clean.contains("type=\"checkbox\""), "{clean}");
        assert!(clean.contains("class=\"hl-"), "{clean}");
        assert!(
            sanitize("<!--birge:poll:x\"><script>-->")
                .find("<script")
                .is_none()
        );
        let clean = sanitize(&polish(&r.html, "en", |_| None, &[]));
        assert!(clean.contains("aria-label=\"done\""), "{clean}");
        let image = sanitize(&polish(
            "<p><img src=\"a.png\" alt=\"A\" onerror=\"x()\" /></p>",
            "en",
            |_| Some((8, 4)),
            &crate::images::DEFAULT_WIDTHS,
        ));
        assert_eq!(
            image,
            "<p><picture><source type=\"image/webp\" srcset=\"a-8w.webp 8w\" sizes=\"(min-width: 44rem) 42rem, 100vw\">\
             <img src=\"a-8w.png\" srcset=\"a-8w.png 8w\" sizes=\"(min-width: 44rem) 42rem, 100vw\" width=\"8\" height=\"4\" alt=\"A\" loading=\"lazy\"></picture></p>"
        );
    }

    #[test]
    fn images_and_check_boxes_are_finished() {
        let html = "<p><img src=\"masks.svg\" alt=\"A mask\" /> <img src=\"/x.png\" alt=\"\" /></p>\n<li><input disabled=\"\" type=\"checkbox\" checked=\"\"/>\nSew</li>";
        let out = polish(
            html,
            "en",
            |src| (src == "masks.svg").then_some((800, 450)),
            &crate::images::DEFAULT_WIDTHS,
        );
        assert_eq!(
            out,
            "<p><img src=\"masks.svg\" alt=\"A mask\" loading=\"lazy\" width=\"800\" height=\"450\"> <img src=\"/x.png\" alt=\"\" loading=\"lazy\"></p>\n<li><input disabled type=\"checkbox\" checked aria-label=\"done\">\nSew</li>"
        );
    }
}
