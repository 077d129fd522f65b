//! Makes drawn "phone photos" as JPEGs carrying what a phone writes into them (a sideways
//! orientation, the camera's serial, the GPS position), for the sample site and the
//! image benchmark.
//!
//! `cargo run --release --example photos -- OUT_DIR COUNT WIDTH HEIGHT` writes
//! `OUT_DIR/photo-NNN.jpg`, every other one stored sideways (EXIF orientation 6).

#[path = "exif.rs"]
mod exif_writer;

use image::{Rgb, RgbImage};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, count, width, height] = &args[..] else {
        eprintln!("usage: photos OUT_DIR COUNT WIDTH HEIGHT");
        std::process::exit(2);
    };
    let number = |s: &str| s.parse::<u32>().expect("a whole number");
    let (count, width, height) = (number(count), number(width), number(height));
    std::fs::create_dir_all(out).expect("the output folder");
    for i in 0..count {
        let turned = !i.is_multiple_of(2);
        let bytes = photo(i, width, height, turned);
        std::fs::write(format!("{out}/photo-{i:03}.jpg"), bytes).expect("a photo written");
    }
}

/// One drawn scene of `width` x `height` as seen upright: sky, steppe, sun and a row of
/// figures in the hue of scene `seed`; stored sideways with orientation 6 when `turned`.
pub fn photo(seed: u32, width: u32, height: u32, turned: bool) -> Vec<u8> {
    let scene = scene(seed, width, height);
    let (stored, orientation) = if turned {
        // Orientation 6: the viewer turns the stored pixels a quarter clockwise.
        (image::imageops::rotate270(&scene), 6)
    } else {
        (scene, 1)
    };
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode(
            stored.as_raw(),
            stored.width(),
            stored.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("a JPEG");
    // Somewhere in Atyrau Region.
    let position = (
        47.1 + f64::from(seed % 7) * 0.01,
        51.9 + f64::from(seed % 5) * 0.01,
    );
    exif_writer::with_exif(&jpeg, orientation, position)
}

fn scene(seed: u32, width: u32, height: u32) -> RgbImage {
    let hue = (seed * 47 % 360) as f32;
    let horizon = height * 3 / 5;
    let (sun_x, sun_y) = (width * (2 + seed % 5) / 8, height / 5);
    let sun_r = (width.min(height) / 10).max(2);
    // A little grain, as cameras have, so the photo compresses like one.
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let mut grain = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state % 9) as f32 - 4.0
    };
    RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let dx = x as f32 - sun_x as f32;
        let dy = y as f32 - sun_y as f32;
        let mut rgb = if dx * dx + dy * dy < (sun_r * sun_r) as f32 {
            [255.0, 226.0, 140.0]
        } else if y < horizon {
            let t = fy / 0.6;
            [
                70.0 + 90.0 * t,
                130.0 + 80.0 * t,
                200.0 + 40.0 * t - 20.0 * fx,
            ]
        } else {
            let t = (fy - 0.6) / 0.4;
            let [r, g, b] = hsv(hue, 0.45, 0.75 - 0.3 * t);
            [r, g, b]
        };
        // A row of figures standing on the horizon: volunteers in coats of the scene's hue.
        let column = x * 12 / width;
        let centre = (column * width / 12 + width / 24) as f32;
        let figure_h = height as f32 * (0.18 + 0.02 * (column % 3) as f32);
        let top = horizon as f32 - figure_h * 0.5;
        let half = width as f32 / 60.0;
        if column.is_multiple_of(2) && (x as f32 - centre).abs() < half && (y as f32) > top {
            let head = (y as f32) < top + figure_h * 0.18;
            rgb = if head {
                [224.0, 186.0, 150.0]
            } else {
                hsv((hue + 180.0) % 360.0, 0.7, 0.55)
            };
        }
        let noise = grain();
        Rgb(rgb.map(|c| (c + noise).clamp(0.0, 255.0) as u8))
    })
}

fn hsv(h: f32, s: f32, v: f32) -> [f32; 3] {
    let c = v * s;
    let x = c * (1.0 - ((h / 60.0) % 2.0 - 1.0).abs());
    let m = v - c;
    let (r, g, b) = match (h / 60.0) as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    [(r + m) * 255.0, (g + m) * 255.0, (b + m) * 255.0]
}
