//! Measures the bytes and the look (SSIM against a lossless variant) of JPEG and WebP
//! variants at a range of qualities, to choose `JPEG_QUALITY` and `WEBP_QUALITY`
//! (src/images/mod.rs) where more bytes stop buying a visible difference.
//!
//! `cargo run --release --example quality -- WIDTH PHOTO...` makes each photo's variant of
//! WIDTH pixels (upright, as birge does) losslessly, then at each quality in JPEG and WebP,
//! and prints per codec and quality the total bytes and the mean SSIM (luma, 8x8 windows);
//! also for each photo with film grain added (phones' photos are never as flat as drawings).

use birge_pixels::{Codec, DecodeLimits, Picture, Quality};

const QUALITIES: [u8; 9] = [50, 60, 65, 70, 75, 80, 85, 90, 95];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((width, photos)) = args.split_first() else {
        eprintln!("usage: quality WIDTH PHOTO...");
        std::process::exit(2);
    };
    let width: u32 = width.parse().expect("a width in pixels");
    let mut sets: Vec<(&str, Vec<Picture>)> = vec![("as drawn", Vec::new()), ("grain", Vec::new())];
    for path in photos {
        let bytes = std::fs::read(path).expect("a photo");
        let orientation = birge::images::orientation_of(&mut std::io::Cursor::new(&bytes));
        let limits = DecodeLimits {
            max_side: 20_000,
            max_alloc: 512 << 20,
        };
        let picture = birge_pixels::decode(&bytes, orientation, limits).expect("decodable");
        let grained = with_grain(&picture);
        sets[0].1.push(picture);
        sets[1].1.push(grained);
    }
    println!("| photos | codec | quality | KB (all) | mean SSIM |");
    println!("| --- | --- | --- | --- | --- |");
    for (name, pictures) in &sets {
        let references: Vec<(Vec<f32>, (u32, u32))> = pictures
            .iter()
            .map(|p| {
                let size = (width.min(p.width), height_at(p, width.min(p.width)));
                let png = variant(p, size, Codec::Png, 100);
                (luma(&png), size)
            })
            .collect();
        for (codec, label) in [(Codec::Jpeg, "JPEG"), (Codec::Webp, "WebP")] {
            for quality in QUALITIES {
                let mut bytes = 0;
                let mut ssim_sum = 0.0;
                for (picture, (reference, size)) in pictures.iter().zip(&references) {
                    let encoded = variant(picture, *size, codec, quality);
                    bytes += encoded.len();
                    ssim_sum += ssim(reference, &luma(&encoded), *size);
                }
                let mean = ssim_sum / pictures.len() as f64;
                println!(
                    "| {name} | {label} | {quality} | {:.0} | {mean:.4} |",
                    bytes as f64 / 1024.0
                );
            }
        }
    }
}

fn height_at(picture: &Picture, width: u32) -> u32 {
    ((u64::from(picture.height) * u64::from(width) + u64::from(picture.width) / 2)
        / u64::from(picture.width))
    .max(1) as u32
}

fn variant(picture: &Picture, size: (u32, u32), codec: Codec, quality: u8) -> Vec<u8> {
    let quality = Quality {
        jpeg: quality,
        webp: f32::from(quality),
    };
    birge_pixels::variant(picture, size, false, codec, quality).expect("a variant")
}

/// The picture with film grain: a fixed pseudo-random offset of up to ±12 per pixel.
fn with_grain(picture: &Picture) -> Picture {
    let channels = if picture.alpha { 4 } else { 3 };
    let mut state: u32 = 0x9e37_79b9;
    let mut pixels = picture.pixels.clone();
    for pixel in pixels.chunks_exact_mut(channels) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let offset = (state % 25) as i16 - 12;
        for c in &mut pixel[..3] {
            *c = (i16::from(*c) + offset).clamp(0, 255) as u8;
        }
    }
    Picture { pixels, ..*picture }
}

/// The luma (BT.601) of an encoded image.
fn luma(bytes: &[u8]) -> Vec<f32> {
    let image = image::load_from_memory(bytes)
        .expect("decodable")
        .into_rgb8();
    image
        .pixels()
        .map(|p| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]))
        .collect()
}

/// Mean SSIM of two lumas over 8x8 windows with a stride of 4.
fn ssim(a: &[f32], b: &[f32], (width, height): (u32, u32)) -> f64 {
    let (w, h) = (width as usize, height as usize);
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let (mut total, mut windows) = (0.0, 0usize);
    for y in (0..h.saturating_sub(7)).step_by(4) {
        for x in (0..w.saturating_sub(7)).step_by(4) {
            let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for dy in 0..8 {
                for dx in 0..8 {
                    let i = (y + dy) * w + x + dx;
                    let (p, q) = (f64::from(a[i]), f64::from(b[i]));
                    sa += p;
                    sb += q;
                    saa += p * p;
                    sbb += q * q;
                    sab += p * q;
                }
            }
            let n = 64.0;
            let (ma, mb) = (sa / n, sb / n);
            let (va, vb) = (saa / n - ma * ma, sbb / n - mb * mb);
            let cov = sab / n - ma * mb;
            total += ((2.0 * ma * mb + c1) * (2.0 * cov + c2))
                / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            windows += 1;
        }
    }
    total / windows.max(1) as f64
}
