//! The few CBOR items (RFC 8949) that Pagefind's index files are made of.
//!
//! Takes integers, text and array lengths, gives their shortest encoding appended to a byte
//! buffer: unsigned and negative integers (major types 0 and 1), text strings (3) and
//! definite-length arrays (4). A Pagefind record is an array of its fields in order, so a
//! writer emits an array header with the field count and then each field.

/// Appends the head of a data item: major type `major` (0 to 7) with argument `value`, in the
/// shortest form the standard allows.
fn head(out: &mut Vec<u8>, major: u8, value: u64) {
    let major = major << 5;
    if value < 24 {
        out.push(major | value as u8);
    } else if let Ok(v) = u8::try_from(value) {
        out.extend_from_slice(&[major | 24, v]);
    } else if let Ok(v) = u16::try_from(value) {
        out.push(major | 25);
        out.extend_from_slice(&v.to_be_bytes());
    } else if let Ok(v) = u32::try_from(value) {
        out.push(major | 26);
        out.extend_from_slice(&v.to_be_bytes());
    } else {
        out.push(major | 27);
        out.extend_from_slice(&value.to_be_bytes());
    }
}

/// Appends an unsigned integer.
pub fn uint(out: &mut Vec<u8>, value: u64) {
    head(out, 0, value);
}

/// Appends a signed integer.
pub fn int(out: &mut Vec<u8>, value: i64) {
    match u64::try_from(value) {
        Ok(v) => head(out, 0, v),
        // -1 - n is encoded as n: for a negative value that is !value as unsigned.
        Err(_) => head(out, 1, !value as u64),
    }
}

/// Appends a text string.
pub fn text(out: &mut Vec<u8>, value: &str) {
    head(out, 3, value.len() as u64);
    out.extend_from_slice(value.as_bytes());
}

/// Appends the header of an array of `len` items; the items follow.
pub fn array(out: &mut Vec<u8>, len: usize) {
    head(out, 4, len as u64);
}

/// Appends an array of signed integers.
pub fn ints(out: &mut Vec<u8>, values: &[i32]) {
    array(out, values.len());
    for v in values {
        int(out, i64::from(*v));
    }
}

#[cfg(test)]
mod tests {
    use super::{array, int, ints, text, uint};

    fn bytes(write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out);
        out
    }

    /// The examples of RFC 8949, appendix A.
    #[test]
    fn rfc_examples() {
        assert_eq!(bytes(|o| uint(o, 0)), [0x00]);
        assert_eq!(bytes(|o| uint(o, 23)), [0x17]);
        assert_eq!(bytes(|o| uint(o, 24)), [0x18, 0x18]);
        assert_eq!(bytes(|o| uint(o, 500)), [0x19, 0x01, 0xf4]);
        assert_eq!(
            bytes(|o| uint(o, 1_000_000)),
            [0x1a, 0x00, 0x0f, 0x42, 0x40]
        );
        assert_eq!(
            bytes(|o| uint(o, 1_000_000_000_000)),
            [0x1b, 0x00, 0x00, 0x00, 0xe8, 0xd4, 0xa5, 0x10, 0x00]
        );
        assert_eq!(bytes(|o| int(o, -1)), [0x20]);
        assert_eq!(bytes(|o| int(o, -10)), [0x29]);
        assert_eq!(bytes(|o| int(o, -100)), [0x38, 0x63]);
        assert_eq!(bytes(|o| int(o, -1000)), [0x39, 0x03, 0xe7]);
        assert_eq!(bytes(|o| text(o, "")), [0x60]);
        assert_eq!(bytes(|o| text(o, "IETF")), [0x64, 0x49, 0x45, 0x54, 0x46]);
        assert_eq!(bytes(|o| text(o, "ü")), [0x62, 0xc3, 0xbc]);
        assert_eq!(bytes(|o| array(o, 0)), [0x80]);
        assert_eq!(bytes(|o| ints(o, &[1, 2, 3])), [0x83, 0x01, 0x02, 0x03]);
        let mut want = vec![0x98, 0x19];
        for i in 1..=25u8 {
            if i < 24 {
                want.push(i);
            } else {
                want.extend([0x18, i]);
            }
        }
        assert_eq!(bytes(|o| ints(o, &(1..=25).collect::<Vec<_>>())), want);
    }
}
