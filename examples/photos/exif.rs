//! EXIF as a phone writes it, for photos made to be stripped: an orientation, the camera's
//! make, model and serial number, the owner, and the GPS position where it was taken.

use exif::{Field, In, Rational, Tag, Value};

/// `jpeg` with an EXIF segment (APP1) right after its start marker: `orientation` (1-8),
/// camera make, model, serial and owner, and the GPS position `(latitude, longitude)`.
pub fn with_exif(jpeg: &[u8], orientation: u16, (latitude, longitude): (f64, f64)) -> Vec<u8> {
    let ascii = |tag, text: &str| Field {
        tag,
        ifd_num: In::PRIMARY,
        value: Value::Ascii(vec![text.as_bytes().to_vec()]),
    };
    let degrees = |value: f64| {
        let value = value.abs();
        let whole = value.floor();
        let minutes = ((value - whole) * 60.0).floor();
        let seconds = ((value - whole) * 60.0 - minutes) * 60.0;
        Value::Rational(vec![
            Rational::from((whole as u32, 1)),
            Rational::from((minutes as u32, 1)),
            Rational::from(((seconds * 100.0) as u32, 100)),
        ])
    };
    let fields = [
        Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![orientation]),
        },
        ascii(Tag::Make, "Samsung"),
        ascii(Tag::Model, "Galaxy A51"),
        ascii(Tag::BodySerialNumber, "R58N12ABCDE"),
        ascii(Tag::CameraOwnerName, "Aigerim Bekova"),
        Field {
            tag: Tag::GPSLatitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![if latitude >= 0.0 {
                b"N".to_vec()
            } else {
                b"S".to_vec()
            }]),
        },
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: degrees(latitude),
        },
        Field {
            tag: Tag::GPSLongitudeRef,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![if longitude >= 0.0 {
                b"E".to_vec()
            } else {
                b"W".to_vec()
            }]),
        },
        Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: degrees(longitude),
        },
    ];
    let mut writer = exif::experimental::Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer
        .write(&mut tiff, false)
        .expect("EXIF fields that can be written");
    let tiff = tiff.into_inner();
    let mut out = Vec::with_capacity(jpeg.len() + tiff.len() + 10);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}
