//! The pixel sizes of an article bundle's images, read from the files' headers (SVG: its
//! `width`/`height` or `viewBox`) when the article is loaded, so that pages get `width` and
//! `height` on their images while rendering reads no file.
//!
//! Takes a bundle's folder and an image's path as written, gives its size in pixels as the
//! page shows it (a photo's EXIF orientation applied), or `None` for site paths, URLs and
//! files whose size cannot be read.

use std::collections::BTreeMap;
use std::path::Path;

use super::walk::relative;

/// The sizes of the image files in a bundle folder and its subfolders, by path relative to
/// the folder (`masks.svg`, `photos/a.jpg`); files whose size cannot be read are left out.
pub(super) fn bundle_image_sizes(dir: &Path) -> BTreeMap<String, (u32, u32)> {
    walkdir::WalkDir::new(dir)
        .follow_links(true)
        .min_depth(1)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .filter_map(|entry| {
            let rel = relative(dir, entry.path());
            let size = file_size(entry.path(), &rel)?;
            Some((rel, size))
        })
        .collect()
}

/// The size of image `src`, a path relative to a bundle folder (site paths and URLs: `None`).
pub(super) fn image_size(dir: Option<&Path>, src: &str) -> Option<(u32, u32)> {
    let rel = bundle_path(src)?;
    let dir = dir?;
    file_size(&dir.join(rel), rel)
}

/// The key of image `src` among a bundle's image sizes: the file it names in the folder as
/// the file system resolves it (`./a.png` is `a.png`, `sub//a.png` and `sub/./a.png` are
/// `sub/a.png`). `None` for site paths, URLs, paths out of the folder and folders.
pub fn bundle_key(src: &str) -> Option<String> {
    let rel = bundle_path(src)?;
    if rel.starts_with('/') || rel.ends_with('/') || rel.ends_with("/.") || rel == "." {
        return None;
    }
    let parts: Vec<&str> = rel
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    Some(parts.join("/"))
}

/// `src` without its leading `./`, when it is a path within a bundle folder rather than a
/// site path, a URL or a path that leaves the folder.
fn bundle_path(src: &str) -> Option<&str> {
    if src.starts_with('/') || src.contains("://") || src.starts_with("data:") {
        return None;
    }
    let rel = src.trim_start_matches("./");
    if rel.is_empty() || rel.split('/').any(|part| part == "..") {
        return None;
    }
    Some(rel)
}

/// The size of the image file at `path`, named `rel` in its folder (whose ending tells an
/// SVG); `None` when it cannot be read or is not an image.
pub fn file_size(path: &Path, rel: &str) -> Option<(u32, u32)> {
    if rel.to_ascii_lowercase().ends_with(".svg") {
        let mut head = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::fs::File::open(path).ok()?, SVG_HEAD_BYTES),
            &mut head,
        )
        .ok()?;
        return svg_size(&String::from_utf8_lossy(&head));
    }
    let size = imagesize::size(path).ok()?;
    let width = u32::try_from(size.width).ok()?;
    let height = u32::try_from(size.height).ok()?;
    if width == 0 || height == 0 {
        return None;
    }
    // Photos are published upright: a quarter-turned one shows with its sides swapped.
    let turned = crate::images::Format::of(rel).is_some() && {
        let file = std::fs::File::open(path).ok()?;
        crate::images::orientation_of(&mut std::io::BufReader::new(file)) >= 5
    };
    Some(if turned {
        (height, width)
    } else {
        (width, height)
    })
}

/// How much of an SVG file is read to find its root element.
const SVG_HEAD_BYTES: u64 = 64 * 1024;

/// The size an SVG declares on its root element: `width` and `height` in pixels (unitless
/// or `px`), else the `viewBox`'s, one side scaled from the other where only one is given.
fn svg_size(text: &str) -> Option<(u32, u32)> {
    let start = text.match_indices("<svg").map(|(i, _)| i).find(|&i| {
        text[i + 4..]
            .chars()
            .next()
            .is_some_and(|c| c.is_whitespace() || c == '>' || c == '/')
    })?;
    let tag = &text[start + 4..];
    let tag = &tag[..tag.find('>')?];
    let attr = |name: &str| svg_attr(tag, name);
    let px = |name: &str| {
        let value = attr(name)?;
        let number = value.trim().trim_end_matches("px").trim();
        number
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n > 0.0)
    };
    let view_box = attr("viewBox").and_then(|v| {
        let numbers: Vec<f64> = v
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|p| !p.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        match numbers[..] {
            [_, _, w, h] if w.is_finite() && h.is_finite() && w > 0.0 && h > 0.0 => Some((w, h)),
            _ => None,
        }
    });
    let (width, height) = match (px("width"), px("height"), view_box) {
        (Some(w), Some(h), _) => (w, h),
        (Some(w), None, Some((vw, vh))) => (w, w * vh / vw),
        (None, Some(h), Some((vw, vh))) => (h * vw / vh, h),
        (None, None, Some(size)) => size,
        _ => return None,
    };
    let round = |n: f64| (n.round() >= 1.0 && n < f64::from(u32::MAX)).then(|| n.round() as u32);
    Some((round(width)?, round(height)?))
}

/// The value of attribute `name` in the inside of a start tag.
fn svg_attr<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let mut rest = tag;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + name.len()..].trim_start();
        rest = &rest[at + name.len()..];
        if !before.is_some_and(char::is_whitespace) {
            continue;
        }
        let Some(after) = after.strip_prefix('=') else {
            continue;
        };
        let after = after.trim_start();
        let quote = after.chars().next()?;
        if quote != '"' && quote != '\'' {
            continue;
        }
        let value = &after[1..];
        return value.find(quote).map(|end| &value[..end]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The start of a PNG file: enough for its size to be read.
    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        bytes.extend(width.to_be_bytes());
        bytes.extend(height.to_be_bytes());
        bytes.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
        bytes
    }

    #[test]
    fn the_sizes_read_at_load_are_those_of_the_files_the_paths_name() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = dir.path();
        std::fs::create_dir(root.join("sub")).expect("sub");
        std::fs::write(root.join("chart.png"), png(37, 19)).expect("chart");
        std::fs::write(root.join("sub/tiny.png"), png(3, 5)).expect("tiny");
        std::fs::write(root.join("photo"), png(16, 16)).expect("photo");
        std::fs::write(
            root.join("masks.svg"),
            "<svg viewBox=\"0 0 800 450\"></svg>",
        )
        .expect("masks");
        std::fs::write(root.join("notes.txt"), "not an image").expect("notes");
        let sizes = bundle_image_sizes(root);
        assert_eq!(
            sizes.keys().collect::<Vec<_>>(),
            ["chart.png", "masks.svg", "photo", "sub/tiny.png"]
        );
        let written = [
            "chart.png",
            "./chart.png",
            "././chart.png",
            "sub/tiny.png",
            "sub//tiny.png",
            "./sub/./tiny.png",
            "photo",
            "masks.svg",
            "MASKS.SVG",
            "notes.txt",
            "missing.png",
            "chart.png/",
            "chart.png/.",
            "sub",
            "sub/",
            ".",
            "./",
            "",
            "../chart.png",
            "sub/../chart.png",
            "/chart.png",
            "https://x.kz/chart.png",
            "data:image/png;base64,AAAA",
        ];
        for src in written {
            let looked_up = bundle_key(src).and_then(|key| sizes.get(&key).copied());
            assert_eq!(looked_up, image_size(Some(root), src), "{src:?}");
        }
        assert_eq!(image_size(Some(root), "./sub/./tiny.png"), Some((3, 5)));
        assert_eq!(image_size(None, "chart.png"), None);
    }

    #[test]
    fn svg_sizes_come_from_width_and_height_or_the_view_box() {
        let svg = |attrs: &str| {
            svg_size(&format!(
                "<?xml version=\"1.0\"?>\n<!-- a mask -->\n<svg xmlns=\"http://www.w3.org/2000/svg\" {attrs}><title>x</title></svg>"
            ))
        };
        assert_eq!(svg(r#"width="800" height="450""#), Some((800, 450)));
        assert_eq!(svg(r#"width='120px' height='60px'"#), Some((120, 60)));
        assert_eq!(svg(r#"viewBox="0 0 800 450""#), Some((800, 450)));
        assert_eq!(svg(r#"viewBox="0,0,1200.4,600""#), Some((1200, 600)));
        assert_eq!(
            svg(r#"width="400" viewBox="0 0 800 450""#),
            Some((400, 225))
        );
        assert_eq!(svg(r#"height="90" viewBox="0 0 800 450""#), Some((160, 90)));
        assert_eq!(
            svg(r#"width="100%" height="100%" viewBox="0 0 32 16""#),
            Some((32, 16))
        );
        assert_eq!(
            svg(r#"stroke-width="3" data-height="5" viewBox="0 0 10 20""#),
            Some((10, 20))
        );
        assert_eq!(svg(r#"width="10em" height="5em""#), None);
        assert_eq!(svg(r#"viewBox="0 0 0 10""#), None);
        assert_eq!(svg(""), None);
        assert_eq!(svg_size("<svgfoo width=\"1\" height=\"1\">"), None);
        assert_eq!(svg_size("no svg here"), None);
    }
}
