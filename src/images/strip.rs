//! Metadata taken out of a photo without decoding it: for the raster files of `static/`
//! that no page shows, which are published at their own path (a theme's background, a file
//! readers download) rather than as variants, but must not carry where or with what camera
//! they were taken either.
//!
//! Takes a JPEG, PNG or WebP file's bytes, gives the same image data with its metadata
//! segments or chunks left out (EXIF, XMP, IPTC, comments, text); a JPEG turned by its EXIF
//! orientation keeps that one value, so it still shows upright. Colour profiles stay.

use std::io::Cursor;

use super::{Format, orientation_of};

/// `bytes` of a `format` file without its metadata, or `None` when they are not laid out as
/// that format says (the file is then published as it is: it is not one a page shows).
pub fn without_metadata(format: Format, bytes: &[u8]) -> Option<Vec<u8>> {
    match format {
        Format::Jpeg => jpeg(bytes),
        Format::Png => png(bytes),
        Format::Webp => webp(bytes),
    }
}

/// JPEG markers of segments kept: JFIF (APP0), ICC profile (APP2), Adobe colour (APP14),
/// and every non-APP segment (tables, frame, scan). APP1 (EXIF, XMP), APP13 (IPTC), the
/// other APPn and comments (COM) go.
fn keeps_jpeg_segment(marker: u8) -> bool {
    match marker {
        0xE0 | 0xE2 | 0xEE => true,
        0xE1..=0xEF | 0xFE => false,
        _ => true,
    }
}

fn jpeg(bytes: &[u8]) -> Option<Vec<u8>> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let orientation = orientation_of(&mut Cursor::new(bytes));
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..2]);
    let mut at = 2;
    let mut oriented = orientation == 1;
    loop {
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let (&0xFF, &marker) = (bytes.get(at)?, bytes.get(at + 1)?) else {
            return None;
        };
        if marker == 0xD9 {
            out.extend_from_slice(&bytes[at..]);
            return Some(out);
        }
        let length = usize::from(u16::from_be_bytes([
            *bytes.get(at + 2)?,
            *bytes.get(at + 3)?,
        ]));
        let end = at + 2 + length;
        if length < 2 || end > bytes.len() {
            return None;
        }
        if !oriented && marker != 0xE0 {
            out.extend_from_slice(&orientation_segment(orientation));
            oriented = true;
        }
        if marker == 0xDA {
            // The first scan: entropy-coded data and whatever follows stay as they are.
            out.extend_from_slice(&bytes[at..]);
            return Some(out);
        }
        if keeps_jpeg_segment(marker) {
            out.extend_from_slice(&bytes[at..end]);
        }
        at = end;
    }
}

/// An APP1 segment whose EXIF holds the orientation alone.
fn orientation_segment(orientation: u8) -> Vec<u8> {
    let mut tiff = Vec::with_capacity(26);
    tiff.extend_from_slice(b"MM\x00\x2A\x00\x00\x00\x08");
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&[0, orientation, 0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    let length = (2 + 6 + tiff.len()) as u16;
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&length.to_be_bytes());
    segment.extend_from_slice(b"Exif\x00\x00");
    segment.extend_from_slice(&tiff);
    segment
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

fn png(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut at = PNG_SIGNATURE.len();
    if !bytes.starts_with(PNG_SIGNATURE) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(PNG_SIGNATURE);
    while at < bytes.len() {
        let length = u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize;
        let kind = bytes.get(at + 4..at + 8)?;
        let end = at.checked_add(12)?.checked_add(length)?;
        let chunk = bytes.get(at..end)?;
        if !matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME") {
            out.extend_from_slice(chunk);
        }
        at = end;
        if kind == b"IEND" {
            return Some(out);
        }
    }
    None
}

fn webp(bytes: &[u8]) -> Option<Vec<u8>> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WEBP" {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..12]);
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let kind = &bytes[at..at + 4];
        let length = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().ok()?) as usize;
        let end = at.checked_add(8)?.checked_add(length + length % 2)?;
        let chunk = bytes.get(at..end.min(bytes.len()))?;
        match kind {
            b"EXIF" | b"XMP " => {}
            b"VP8X" if chunk.len() > 8 => {
                let mut chunk = chunk.to_vec();
                chunk[8] &= !(0x08 | 0x04); // the EXIF and XMP flags
                out.extend_from_slice(&chunk);
            }
            _ => out.extend_from_slice(chunk),
        }
        at = end;
    }
    let riff_size = u32::try_from(out.len() - 8).ok()?;
    out[4..8].copy_from_slice(&riff_size.to_le_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG laid out as a phone writes one: JFIF, EXIF with orientation 6 and a camera
    /// make (text a test can look for), XMP, a comment, then tables and a scan.
    fn phone_jpeg() -> Vec<u8> {
        let mut exif = b"Exif\x00\x00MM\x00\x2A\x00\x00\x00\x08".to_vec();
        exif.extend_from_slice(&2u16.to_be_bytes());
        exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
        // Make (ASCII, 28 bytes at offset 38, after the IFD).
        exif.extend_from_slice(&[0x01, 0x0F, 0, 2, 0, 0, 0, 28, 0, 0, 0, 38]);
        exif.extend_from_slice(&0u32.to_be_bytes());
        exif.extend_from_slice(b"GPS 43.238 76.945 SERIAL123\0");
        let segment = |marker: u8, data: &[u8]| {
            let mut s = vec![0xFF, marker];
            s.extend_from_slice(&((data.len() + 2) as u16).to_be_bytes());
            s.extend_from_slice(data);
            s
        };
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend(segment(
            0xE0,
            b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
        ));
        jpeg.extend(segment(0xE1, &exif));
        jpeg.extend(segment(
            0xE1,
            b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta owner/>",
        ));
        jpeg.extend(segment(0xE2, b"ICC_PROFILE\x00\x01\x01profile"));
        jpeg.extend(segment(0xFE, b"taken by Aigerim"));
        jpeg.extend(segment(0xDB, &[0; 65]));
        jpeg.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        jpeg.extend_from_slice(&[0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD9]);
        jpeg
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        memchr::memmem::find(haystack, needle).is_some()
    }

    #[test]
    fn a_jpeg_keeps_its_image_profile_and_orientation_and_nothing_else() {
        let source = phone_jpeg();
        let stripped = without_metadata(Format::Jpeg, &source).expect("a JPEG");
        for secret in [&b"GPS 43.238"[..], b"SERIAL123", b"xmpmeta", b"Aigerim"] {
            assert!(
                !contains(&stripped, secret),
                "{}",
                String::from_utf8_lossy(secret)
            );
        }
        assert!(contains(&stripped, b"JFIF"));
        assert!(contains(&stripped, b"ICC_PROFILE"));
        assert!(stripped.ends_with(&[0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD9]));
        assert_eq!(orientation_of(&mut Cursor::new(&stripped)), 6);
        let again = without_metadata(Format::Jpeg, &stripped).expect("still a JPEG");
        assert_eq!(again, stripped, "stripping twice changes nothing");
    }

    #[test]
    fn an_upright_jpeg_gets_no_exif_at_all() {
        let source = phone_jpeg();
        let at = memchr::memmem::find(&source, &[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6]).unwrap();
        let mut upright = source.clone();
        upright[at + 9] = 1;
        let stripped = without_metadata(Format::Jpeg, &upright).unwrap();
        assert!(!contains(&stripped, b"Exif"));
    }

    #[test]
    fn png_and_webp_lose_their_text_and_exif() {
        let chunk = |kind: &[u8], data: &[u8]| {
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            c.extend_from_slice(&[0, 0, 0, 0]);
            c
        };
        let mut png_bytes = PNG_SIGNATURE.to_vec();
        png_bytes.extend(chunk(b"IHDR", &[0; 13]));
        png_bytes.extend(chunk(b"tEXt", b"Author\x00Aigerim"));
        png_bytes.extend(chunk(b"eXIf", b"MM\x00\x2AGPS"));
        png_bytes.extend(chunk(b"IDAT", b"pixels"));
        png_bytes.extend(chunk(b"IEND", b""));
        let stripped = without_metadata(Format::Png, &png_bytes).unwrap();
        assert!(!contains(&stripped, b"Aigerim") && !contains(&stripped, b"GPS"));
        assert!(contains(&stripped, b"pixels") && stripped.ends_with(&chunk(b"IEND", b"")));

        let riff = |kind: &[u8], data: &[u8]| {
            let mut c = kind.to_vec();
            c.extend_from_slice(&(data.len() as u32).to_le_bytes());
            c.extend_from_slice(data);
            if data.len() % 2 == 1 {
                c.push(0);
            }
            c
        };
        let mut body = b"WEBP".to_vec();
        body.extend(riff(b"VP8X", &[0x0C, 0, 0, 0, 9, 0, 0, 9, 0, 0]));
        body.extend(riff(b"VP8 ", b"frame"));
        body.extend(riff(b"EXIF", b"GPS here"));
        body.extend(riff(b"XMP ", b"<owner/>"));
        let mut webp_bytes = b"RIFF".to_vec();
        webp_bytes.extend_from_slice(&(body.len() as u32).to_le_bytes());
        webp_bytes.extend(body);
        let stripped = without_metadata(Format::Webp, &webp_bytes).unwrap();
        assert!(!contains(&stripped, b"GPS") && !contains(&stripped, b"owner"));
        assert!(contains(&stripped, b"frame"));
        assert_eq!(stripped[20], 0, "no EXIF or XMP flag left in VP8X");
        let size = u32::from_le_bytes(stripped[4..8].try_into().unwrap()) as usize;
        assert_eq!(size, stripped.len() - 8);
    }

    #[test]
    fn bytes_that_are_not_the_format_are_left_alone() {
        assert_eq!(without_metadata(Format::Jpeg, b"not a photo"), None);
        assert_eq!(
            without_metadata(Format::Png, b"\x89PNG\r\n\x1a\n\0\0"),
            None
        );
        assert_eq!(without_metadata(Format::Webp, b"RIFF"), None);
    }
}
