//! The pixel work of birge's photos, in a crate of its own so that it is compiled optimised
//! in every profile: the codecs' and the resizer's generic code is compiled in the crate
//! that calls it, and debug builds of birge would otherwise decode, resize and encode a
//! photo ten times slower (tests and `birge serve` built in debug do all of it).
//!
//! Takes a source file's bytes, gives [`Picture`]s (upright, sRGB) and encoded variants.

use std::io::Cursor;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};

/// An encoded format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Jpeg,
    Png,
    Webp,
}

/// Decoded pixels, upright and in sRGB: 3 bytes a pixel, or 4 with `alpha`.
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub alpha: bool,
    pub pixels: Vec<u8>,
}

/// Why a file could not be decoded.
#[derive(Debug)]
pub enum DecodeError {
    /// It is not a JPEG, PNG or WebP file.
    Unknown,
    /// Decoding it would pass the limits (a decompression bomb, or simply too large).
    TooLarge,
    /// The codec's own complaint.
    Damaged(String),
}

/// The most a decode may take: pixels a side, and bytes of memory.
#[derive(Debug, Clone, Copy)]
pub struct DecodeLimits {
    pub max_side: u32,
    pub max_alloc: u64,
}

/// The codec of a file by its first bytes.
pub fn sniff(bytes: &[u8]) -> Option<Codec> {
    match image::guess_format(bytes).ok()? {
        ImageFormat::Jpeg => Some(Codec::Jpeg),
        ImageFormat::Png => Some(Codec::Png),
        ImageFormat::WebP => Some(Codec::Webp),
        _ => None,
    }
}

/// Decodes a JPEG, PNG or WebP file within `limits`, turns it by the EXIF `orientation`
/// (1-8) and brings an embedded ICC profile's colours to sRGB (a profile that cannot be
/// read leaves the pixels as they are, which browsers take as sRGB).
pub fn decode(bytes: &[u8], orientation: u8, limits: DecodeLimits) -> Result<Picture, DecodeError> {
    let format = match sniff(bytes).ok_or(DecodeError::Unknown)? {
        Codec::Jpeg => ImageFormat::Jpeg,
        Codec::Png => ImageFormat::Png,
        Codec::Webp => ImageFormat::WebP,
    };
    let failed = |e: ImageError| match e {
        ImageError::Limits(_) => DecodeError::TooLarge,
        e => DecodeError::Damaged(e.to_string()),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut bounds = Limits::default();
    bounds.max_image_width = Some(limits.max_side);
    bounds.max_image_height = Some(limits.max_side);
    bounds.max_alloc = Some(limits.max_alloc);
    reader.limits(bounds);
    let mut decoder = reader.into_decoder().map_err(failed)?;
    let icc = decoder.icc_profile().ok().flatten();
    let mut image = DynamicImage::from_decoder(decoder).map_err(failed)?;
    if let Some(orientation) = image::metadata::Orientation::from_exif(orientation) {
        image.apply_orientation(orientation);
    }
    let alpha = image.color().has_alpha();
    let (width, height) = (image.width(), image.height());
    let mut pixels = if alpha {
        image.into_rgba8().into_raw()
    } else {
        image.into_rgb8().into_raw()
    };
    if let Some(icc) = icc {
        to_srgb(&icc, &mut pixels, alpha);
    }
    Ok(Picture {
        width,
        height,
        alpha,
        pixels,
    })
}

fn to_srgb(icc: &[u8], pixels: &mut [u8], alpha: bool) {
    let Ok(profile) = moxcms::ColorProfile::new_from_slice(icc) else {
        return;
    };
    let layout = if alpha {
        moxcms::Layout::Rgba
    } else {
        moxcms::Layout::Rgb
    };
    let srgb = moxcms::ColorProfile::new_srgb();
    let Ok(transform) =
        profile.create_transform_8bit(layout, &srgb, layout, moxcms::TransformOptions::default())
    else {
        return;
    };
    let source = pixels.to_vec();
    if transform.transform(&source, pixels).is_err() {
        pixels.copy_from_slice(&source);
    }
}

/// Quality settings of the lossy codecs.
#[derive(Debug, Clone, Copy)]
pub struct Quality {
    /// JPEG, libjpeg's scale (1-100).
    pub jpeg: u8,
    /// WebP, libwebp's scale (0-100).
    pub webp: f32,
}

/// `picture` scaled to `width` x `height` (Lanczos3), cut from the middle to that shape when
/// `crop`, encoded as `codec` with no metadata at all.
pub fn variant(
    picture: &Picture,
    (width, height): (u32, u32),
    crop: bool,
    codec: Codec,
    quality: Quality,
) -> Result<Vec<u8>, String> {
    let pixel_type = if picture.alpha {
        PixelType::U8x4
    } else {
        PixelType::U8x3
    };
    let source = ImageRef::new(picture.width, picture.height, &picture.pixels, pixel_type)
        .map_err(|e| e.to_string())?;
    let mut scaled = Image::new(width, height, pixel_type);
    let mut options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    if crop {
        options = options.fit_into_destination(Some((0.5, 0.5)));
    }
    Resizer::new()
        .resize(&source, &mut scaled, &options)
        .map_err(|e| e.to_string())?;
    let pixels = scaled.buffer();
    let mut out = Vec::new();
    match codec {
        Codec::Webp => {
            let encoder = if picture.alpha {
                webp::Encoder::from_rgba(pixels, width, height)
            } else {
                webp::Encoder::from_rgb(pixels, width, height)
            };
            let memory = encoder
                .encode_simple(false, quality.webp)
                .map_err(|e| format!("WebP encoding failed: {e:?}"))?;
            out.extend_from_slice(&memory);
        }
        Codec::Jpeg => {
            let rgb: Vec<u8>;
            let pixels = if picture.alpha {
                rgb = pixels
                    .chunks_exact(4)
                    .flat_map(|p| [p[0], p[1], p[2]])
                    .collect();
                &rgb[..]
            } else {
                pixels
            };
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality.jpeg)
                .encode(pixels, width, height, image::ExtendedColorType::Rgb8)
                .map_err(|e| e.to_string())?;
        }
        Codec::Png => {
            let color = if picture.alpha {
                image::ExtendedColorType::Rgba8
            } else {
                image::ExtendedColorType::Rgb8
            };
            let encoder = image::codecs::png::PngEncoder::new_with_quality(
                &mut out,
                image::codecs::png::CompressionType::Fast,
                image::codecs::png::FilterType::Adaptive,
            );
            image::ImageEncoder::write_image(encoder, pixels, width, height, color)
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(out)
}
