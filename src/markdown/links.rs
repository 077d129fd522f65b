//! Links and images of a body: `@/` links resolved to site URLs, and the destinations that
//! point at a path on the site collected for the check that their files exist.
//!
//! Takes a destination as written and the body's [`Context`], gives a URL or a broken-link
//! problem, and tells site paths from URLs ([`has_scheme`]).

use pulldown_cmark::LinkType;

use crate::diagnostics::{Problem, did_you_mean};

use super::{Context, Withheld};

/// A Markdown image or link of a body that points at a path on the site, not a URL.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reference {
    /// The destination as written, e.g. `sewing.jpg`, `/files/report%20March.pdf#page=2`.
    pub dest: String,
    /// Whether it is an image (else a link).
    pub image: bool,
    /// 1-based line of the whole file.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Whether it was written as raw HTML (`<img src="...">`, `<a href="...">`): its file is
    /// published as the page needs it (a photo as its variants), but a missing one is not
    /// reported: only Markdown's images and links are checked, as the contract says.
    pub raw_html: bool,
}

/// The site paths raw HTML points at with `<img src="...">` or `<a href="...">`, the tags
/// that [`super::polish`] rewrites to a photo's variants, with their byte offsets in `html`.
pub(super) fn raw_html_references(html: &str) -> impl Iterator<Item = (usize, String, bool)> + '_ {
    [("<img src=\"", true), ("<a href=\"", false)]
        .into_iter()
        .flat_map(move |(open, image)| {
            memchr::memmem::find_iter(html.as_bytes(), open.as_bytes()).filter_map(move |at| {
                let start = at + open.len();
                let len = html[start..].find('"')?;
                let dest = html[start..start + len].replace("&amp;", "&");
                let on_site = !dest.is_empty() && points_at_site(&dest, LinkType::Inline, image);
                on_site.then_some((at, dest, image))
            })
        })
}

/// Whether a link or image destination is a path on the site (to be checked against its
/// files), rather than a URL with a scheme or host, a `#fragment`, an e-mail address or an
/// `@/` link. An image with no destination at all is kept, to be reported.
pub(super) fn points_at_site(dest: &str, link_type: LinkType, image: bool) -> bool {
    let dest = dest.trim();
    if matches!(link_type, LinkType::Email) {
        return false;
    }
    if dest.is_empty() {
        return image;
    }
    !(dest.starts_with('#') || dest.starts_with("@/") || dest.starts_with("//") || has_scheme(dest))
}

/// Whether a URL starts with a scheme (`https:`, `mailto:`, `data:`, `tel:`).
pub fn has_scheme(url: &str) -> bool {
    let Some(colon) = url.find(':') else {
        return false;
    };
    let scheme = &url[..colon];
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The 1-based line of the whole file and column of byte `offset` in a body.
pub(super) fn position(text: &str, offset: usize, body_line: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = body_line + memchr::memchr_iter(b'\n', before.as_bytes()).count();
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The content path an `@/` link names: `@/news/a.md#part` -> `news/a.md`.
pub(super) fn link_target(dest: &str) -> &str {
    let path = dest.strip_prefix("@/").unwrap_or(dest);
    path.split_once('#').map_or(path, |(p, _)| p)
}

/// Turns `@/news/a.md#part` into the target's URL, or reports the broken link.
pub(super) fn resolve_link(
    dest: &str,
    offset: usize,
    text: &str,
    cx: &Context,
    problems: &mut Vec<Problem>,
) -> String {
    let path = &dest[2..];
    let (path, fragment) = match path.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (path, None),
    };
    if let Some(site_path) = cx.link_targets.get(path) {
        let mut url = format!("{}{site_path}", cx.base_url);
        if let Some(fragment) = fragment {
            url.push('#');
            url.push_str(fragment);
        }
        return url;
    }
    let (line, column) = position(text, offset, cx.body_line);
    let (message, hint) = match cx.withheld.get(path) {
        Some(Withheld::Failed) => return dest.to_string(),
        Some(Withheld::Draft) => (
            format!("broken link `{dest}`: content/{path} is a draft"),
            "publish it (delete its line `draft: true`), or link to it once it is published"
                .to_string(),
        ),
        Some(Withheld::Scheduled(when)) => (
            format!("broken link `{dest}`: content/{path} is dated in the future ({when})"),
            "link to it once it is published, or build with --future".to_string(),
        ),
        None if !path.ends_with(".md") => (
            format!("broken link `{dest}`: @/ links point at articles and pages"),
            "link to an article or page by its Markdown file (`@/news/2020/03/masks.md`); other \
             files by their site path"
                .to_string(),
        ),
        None => (
            format!("broken link `{dest}`: there is no content/{path}"),
            not_found_hint(path, cx),
        ),
    };
    problems.push(Problem::new(cx.source, message).at(line, column).hint(hint));
    dest.to_string()
}

/// The hint for an `@/` link to a path that is no content file: the closest target, if any.
fn not_found_hint(path: &str, cx: &Context) -> String {
    let itself = cx.source.strip_prefix("content/");
    let targets = cx
        .link_targets
        .keys()
        .map(String::as_str)
        .filter(|target| Some(*target) != itself);
    match did_you_mean(path, targets) {
        Some(close) => format!("did you mean `@/{close}`? Paths in @/ links start from content/"),
        None => "paths in @/ links start from content/, e.g. @/news/2020/03/masks.md".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::super::render;
    use super::super::tests::cx;

    #[test]
    fn links_resolve_or_are_reported_at_their_line() {
        let t = HashMap::from([("news/b.md".to_string(), "/news/2020/03/b/".to_string())]);
        let p = HashSet::new();
        let (r, problems) = render(
            "See [b](@/news/b.md#x).\n\nAnd [c](@/news/c.md).\n",
            &cx(&t, &p),
        );
        assert!(r.html.contains("href=\"https://x.kz/news/2020/03/b/#x\""));
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].to_string(),
            "error: content/news/a.md:7:5: broken link `@/news/c.md`: there is no content/news/c.md\n  hint: did you mean `@/news/b.md`? Paths in @/ links start from content/"
        );
    }

    #[test]
    fn references_to_site_paths_are_collected_with_their_positions() {
        let (t, p) = (HashMap::new(), HashSet::new());
        let body = "![A](a.jpg) [b](/files/b.pdf) [c](https://x.kz/c.pdf) [d](#d)\n\n\
                    - [e](mailto:e@x.kz) <f@x.kz> [g](@/news/g.md) ![](<h h.png>)\n\n[i]\n\n[i]: ../i.png\n";
        let (r, _) = render(body, &cx(&t, &p));
        let found: Vec<(&str, bool, usize, usize)> = r
            .references
            .iter()
            .map(|r| (r.dest.as_str(), r.image, r.line, r.column))
            .collect();
        assert_eq!(
            found,
            [
                ("a.jpg", true, 5, 1),
                ("/files/b.pdf", false, 5, 13),
                ("h h.png", true, 7, 48),
                ("../i.png", false, 9, 1),
            ]
        );
    }
}
