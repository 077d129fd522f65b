//! Photos: every raster image a page shows is published as resized variants, upright, with
//! no metadata, never as the file the editor gave.
//!
//! Takes an image's path as the site publishes it, its upright size and the theme's
//! `image_widths`, gives the variants to publish ([`variants`]) and what a page says of them
//! ([`ImageSet`], [`picture`]); [`Encoder`] makes one variant's bytes from the source file
//! (decode with limits, EXIF orientation, colour to sRGB, resize, encode), kept in the build
//! cache's `images/` folder by a hash of the source bytes and the settings.
//!
//! JPEG and PNG get variants in their own format and in WebP, a WebP source in WebP alone;
//! SVG, GIF and other files are published as they are. A raster file of `static/` that no
//! page shows is published at its own path, with its metadata taken out ([`without_metadata`]). A lead image also gets a 1200x630
//! crop for link previews ([`CARD`]).

mod encode;
mod strip;

use serde::{Deserialize, Serialize};

pub use encode::{Encoder, Job, jpeg_is_complete, orientation_of};
pub use strip::without_metadata;

/// The widths of variants when the theme names none.
pub const DEFAULT_WIDTHS: [u32; 3] = [480, 960, 1600];

/// The size of the link-preview crop of a lead image (Open Graph, Twitter cards).
pub const CARD: (u32, u32) = (1200, 630);

/// The version of how variants are made; part of every cached variant's key, so a change in
/// the encoding makes each variant again.
pub const FORMAT_VERSION: u32 = 1;

/// Lossy quality of JPEG variants (libjpeg's scale): 80 keeps photos clean at a third of
/// the bytes of 95.
pub const JPEG_QUALITY: u8 = 80;

/// Lossy quality of WebP variants (libwebp's scale); about the bytes of JPEG at 70 for the
/// look of JPEG at 80 on the sample photos.
pub const WEBP_QUALITY: f32 = 75.0;

/// The `sizes` of an image in an article's text: the text is at most 42rem wide.
pub const BODY_SIZES: &str = "(min-width: 44rem) 42rem, 100vw";

/// An encoded format of a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jpeg,
    Png,
    Webp,
}

impl Format {
    /// The format of a raster file birge resizes, by the ending of its name (any case);
    /// `None` for SVG, GIF and everything else, which are published as they are.
    pub fn of(path: &str) -> Option<Format> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let (_, ext) = name.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "jpg" | "jpeg" => Some(Format::Jpeg),
            "png" => Some(Format::Png),
            "webp" => Some(Format::Webp),
            _ => None,
        }
    }

    /// The ending of a variant's file name.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
        }
    }

    /// The format a template names (`jpeg` or `jpg`, `png`, `webp`, any case).
    pub fn named(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "jpeg" | "jpg" => Some(Format::Jpeg),
            "png" => Some(Format::Png),
            "webp" => Some(Format::Webp),
            _ => None,
        }
    }

    /// The media type, for `<source type>`.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
        }
    }
}

/// One published variant of a source image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    pub format: Format,
    /// Cut to `width:height` from the middle (the link-preview crop) rather than scaled whole.
    pub crop: bool,
}

impl Variant {
    /// The variant's path beside its source's: `photos/a.jpg` -> `photos/a-960w.webp`, the
    /// crop `photos/a-card.jpg`.
    pub fn path(&self, source: &str) -> String {
        let (dir, name) = match source.rfind('/') {
            Some(at) => source.split_at(at + 1),
            None => ("", source),
        };
        let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
        let ext = self.format.ext();
        if self.crop {
            format!("{dir}{stem}-card.{ext}")
        } else {
            format!("{dir}{stem}-{}w.{ext}", self.width)
        }
    }
}

/// A variant of a photo that a template asked for with `resize`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Resized {
    /// The photo's output path (`photos/a.jpg`, no leading `/`).
    pub source: String,
    pub variant: Variant,
}

impl Resized {
    /// The variant asked of a photo at `source` of upright `size`: `width` wide, or `height`
    /// high, keeping its shape; both, cut from the middle to that shape. Never larger than
    /// the photo (a box larger than the photo is scaled down to fit in it). `format`
    /// defaults to the photo's own. `None` when neither side is given or the photo's
    /// format is not one birge resizes.
    pub fn of(
        source: &str,
        (sw, sh): (u32, u32),
        (width, height): (Option<u32>, Option<u32>),
        format: Option<Format>,
    ) -> Option<Resized> {
        let format = format.or_else(|| Format::of(source))?;
        Format::of(source)?;
        let scale = |side: u32, of: u32, to: u32| {
            ((u64::from(side) * u64::from(to) + u64::from(of) / 2) / u64::from(of)).max(1) as u32
        };
        let (width, height, crop) = match (width, height) {
            (Some(w), None) => {
                let w = w.clamp(1, sw);
                (w, scale(sh, sw, w), false)
            }
            (None, Some(h)) => {
                let h = h.clamp(1, sh);
                (scale(sw, sh, h), h, false)
            }
            (Some(w), Some(h)) => {
                let (w, h) = (w.max(1), h.max(1));
                if w <= sw && h <= sh {
                    (w, h, true)
                } else {
                    // The largest box of that shape inside the photo.
                    let by_width = u64::from(sw) * u64::from(h) <= u64::from(sh) * u64::from(w);
                    if by_width {
                        (sw, scale(h, w, sw).min(sh), true)
                    } else {
                        (scale(w, h, sh).min(sw), sh, true)
                    }
                }
            }
            (None, None) => return None,
        };
        Some(Resized {
            source: source.trim_start_matches('/').to_string(),
            variant: Variant {
                width,
                height,
                format,
                crop,
            },
        })
    }

    /// Its output path beside the photo: `photos/a-300w.webp` scaled, `photos/a-300x200.jpg`
    /// cut to a shape.
    pub fn path(&self) -> String {
        let v = self.variant;
        if !v.crop {
            return v.path(&self.source);
        }
        let (dir, name) = match self.source.rfind('/') {
            Some(at) => self.source.split_at(at + 1),
            None => ("", self.source.as_str()),
        };
        let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
        format!("{dir}{stem}-{}x{}.{}", v.width, v.height, v.format.ext())
    }
}

/// The widths (with heights) of the variants of an image of upright `size`: each of `widths`
/// narrower than the image, and the image's own width when it is narrower than the largest
/// of `widths` (nothing is made larger than its source, nor wider than the largest width).
pub fn scaled_sizes((width, height): (u32, u32), widths: &[u32]) -> Vec<(u32, u32)> {
    let largest = widths.iter().copied().max().unwrap_or(width);
    let mut chosen: Vec<u32> = widths.iter().copied().filter(|&w| w < width).collect();
    if width <= largest {
        chosen.push(width);
    }
    chosen.sort_unstable();
    chosen.dedup();
    chosen
        .into_iter()
        .map(|w| {
            let h = (u64::from(height) * u64::from(w) + u64::from(width) / 2) / u64::from(width);
            (w, (h as u32).max(1))
        })
        .collect()
}

/// The size of the link-preview crop of an image of upright `size`: [`CARD`]'s shape, at
/// most [`CARD`]'s size, never larger than the image.
pub fn card_size((width, height): (u32, u32)) -> (u32, u32) {
    let (cw, ch) = CARD;
    // The largest CARD-shaped box inside the image, scaled down to CARD when larger.
    let by_width = (
        width,
        (u64::from(width) * u64::from(ch) / u64::from(cw)) as u32,
    );
    let (w, h) = if by_width.1 <= height {
        by_width
    } else {
        (
            (u64::from(height) * u64::from(cw) / u64::from(ch)) as u32,
            height,
        )
    };
    if w > cw { CARD } else { (w.max(1), h.max(1)) }
}

/// Every variant of a source of `format` and upright `size`: the scaled ones in its own
/// format and in WebP, and the link-preview crop when `card`.
pub fn variants(format: Format, size: (u32, u32), widths: &[u32], card: bool) -> Vec<Variant> {
    let formats: &[Format] = match format {
        Format::Webp => &[Format::Webp],
        own => &[own, Format::Webp],
    };
    let mut out = Vec::new();
    for (width, height) in scaled_sizes(size, widths) {
        for &format in formats {
            out.push(Variant {
                width,
                height,
                format,
                crop: false,
            });
        }
    }
    if card {
        let (width, height) = card_size(size);
        out.push(Variant {
            width,
            height,
            format,
            crop: true,
        });
    }
    out
}

/// One variant as a template sees it.
#[derive(Debug, Clone, Serialize)]
pub struct VariantView {
    /// Its path, as the image's `src` was written (a site path, or relative to the page).
    pub src: String,
    pub width: u32,
    pub height: u32,
    pub format: Format,
}

/// What a page says of a published raster image: its largest variant in the source's
/// format, the `srcset`s, and every variant.
#[derive(Debug, Clone, Serialize)]
pub struct ImageSet {
    /// The largest variant in the source's format.
    pub src: String,
    pub width: u32,
    pub height: u32,
    /// The variants in the source's format, `a-480w.jpg 480w, ...`.
    pub srcset: String,
    /// The WebP variants.
    pub webp_srcset: String,
    /// Every scaled variant, narrowest first.
    pub variants: Vec<VariantView>,
    /// The link-preview crop, when asked for.
    pub card: Option<VariantView>,
}

impl ImageSet {
    /// The set of the image at `src` (as written: a site path or a path relative to the
    /// page), of upright `size`; `None` when it is not a raster image birge resizes.
    pub fn of(src: &str, size: (u32, u32), widths: &[u32], card: bool) -> Option<ImageSet> {
        let format = Format::of(src.split(['?', '#']).next().unwrap_or(src))?;
        let view = |v: &Variant| VariantView {
            src: v.path(src),
            width: v.width,
            height: v.height,
            format: v.format,
        };
        let all = variants(format, size, widths, card);
        let (cards, scaled): (Vec<&Variant>, Vec<&Variant>) = all.iter().partition(|v| v.crop);
        let srcset = |format: Format| {
            scaled
                .iter()
                .filter(|v| v.format == format)
                .map(|v| format!("{} {}w", v.path(src), v.width))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let largest = scaled.iter().rev().find(|v| v.format == format)?;
        Some(ImageSet {
            src: largest.path(src),
            width: largest.width,
            height: largest.height,
            srcset: srcset(format),
            webp_srcset: if format == Format::Webp {
                String::new()
            } else {
                srcset(Format::Webp)
            },
            variants: scaled.iter().map(|v| view(v)).collect(),
            card: cards.first().map(|v| view(v)),
        })
    }
}

/// An `<img>` of a text as a `<picture>` offering WebP first: `src`, `srcset`, `sizes`,
/// `width` and `height` from `set`; `attrs` (alt and the rest, already escaped) kept.
pub fn picture(set: &ImageSet, attrs: &str, sizes: &str) -> String {
    let escape = |s: &str| s.replace('&', "&amp;").replace('"', "&quot;");
    let webp = if set.webp_srcset.is_empty() {
        String::new()
    } else {
        format!(
            "<source type=\"image/webp\" srcset=\"{}\" sizes=\"{sizes}\">",
            escape(&set.webp_srcset)
        )
    };
    format!(
        "<picture>{webp}<img src=\"{}\" srcset=\"{}\" sizes=\"{sizes}\" width=\"{}\" height=\"{}\"{attrs}></picture>",
        escape(&set.src),
        escape(&set.srcset),
        set.width,
        set.height,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_never_upscaled_nor_wider_than_the_largest() {
        let widths = DEFAULT_WIDTHS;
        assert_eq!(
            scaled_sizes((4000, 3000), &widths),
            [(480, 360), (960, 720), (1600, 1200)]
        );
        assert_eq!(
            scaled_sizes((1200, 800), &widths),
            [(480, 320), (960, 640), (1200, 800)]
        );
        assert_eq!(scaled_sizes((960, 100), &widths), [(480, 50), (960, 100)]);
        assert_eq!(scaled_sizes((300, 300), &widths), [(300, 300)]);
        assert_eq!(scaled_sizes((1600, 2), &widths)[0], (480, 1));
    }

    #[test]
    fn the_card_is_the_largest_middle_crop_of_its_shape() {
        assert_eq!(card_size((4000, 3000)), (1200, 630));
        assert_eq!(card_size((3000, 4000)), (1200, 630));
        assert_eq!(card_size((800, 600)), (800, 420));
        assert_eq!(card_size((2000, 400)), (761, 400));
    }

    #[test]
    fn sets_name_their_variants_beside_the_source() {
        let set = ImageSet::of("photos/a.JPG", (4000, 3000), &DEFAULT_WIDTHS, true).expect("a set");
        assert_eq!(set.src, "photos/a-1600w.jpg");
        assert_eq!((set.width, set.height), (1600, 1200));
        assert_eq!(
            set.srcset,
            "photos/a-480w.jpg 480w, photos/a-960w.jpg 960w, photos/a-1600w.jpg 1600w"
        );
        assert_eq!(
            set.webp_srcset,
            "photos/a-480w.webp 480w, photos/a-960w.webp 960w, photos/a-1600w.webp 1600w"
        );
        assert_eq!(set.variants.len(), 6);
        assert_eq!(set.card.expect("a card").src, "photos/a-card.jpg");
        let webp = ImageSet::of("/x.webp", (500, 400), &DEFAULT_WIDTHS, false).expect("a set");
        assert_eq!(webp.srcset, "/x-480w.webp 480w, /x-500w.webp 500w");
        assert_eq!(webp.webp_srcset, "");
        assert!(ImageSet::of("masks.svg", (800, 450), &DEFAULT_WIDTHS, false).is_none());
        assert!(ImageSet::of("anim.gif", (800, 450), &DEFAULT_WIDTHS, false).is_none());
    }

    #[test]
    fn resized_variants_keep_the_shape_or_cut_to_the_one_asked() {
        let of = |size, asked, format| {
            let r = Resized::of("/photos/a.jpg", size, asked, format).expect("a variant");
            (r.path(), r.variant.width, r.variant.height)
        };
        let path = |s: &str| s.to_string();
        assert_eq!(
            of((4000, 3000), (Some(300), None), None),
            (path("photos/a-300w.jpg"), 300, 225)
        );
        assert_eq!(
            of((4000, 3000), (None, Some(300)), Some(Format::Webp)),
            (path("photos/a-400w.webp"), 400, 300)
        );
        assert_eq!(
            of((4000, 3000), (Some(300), Some(300)), None),
            (path("photos/a-300x300.jpg"), 300, 300)
        );
        assert_eq!(
            of((800, 600), (Some(5000), None), None),
            (path("photos/a-800w.jpg"), 800, 600)
        );
        assert_eq!(
            of((800, 600), (Some(1600), Some(400)), None),
            (path("photos/a-800x200.jpg"), 800, 200)
        );
        assert_eq!(
            of((800, 600), (Some(1000), Some(1000)), None),
            (path("photos/a-600x600.jpg"), 600, 600)
        );
        assert!(Resized::of("a.jpg", (10, 10), (None, None), None).is_none());
        assert!(Resized::of("a.svg", (10, 10), (Some(5), None), None).is_none());
    }

    #[test]
    fn a_picture_offers_webp_first() {
        let set = ImageSet::of("a.png", (960, 480), &[480, 960], false).expect("a set");
        assert_eq!(
            picture(&set, " alt=\"A\" loading=\"lazy\"", "100vw"),
            "<picture><source type=\"image/webp\" srcset=\"a-480w.webp 480w, a-960w.webp 960w\" sizes=\"100vw\">\
             <img src=\"a-960w.png\" srcset=\"a-480w.png 480w, a-960w.png 960w\" sizes=\"100vw\" width=\"960\" height=\"480\" alt=\"A\" loading=\"lazy\"></picture>"
        );
    }
}
