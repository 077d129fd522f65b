//! Gzip for the many small files of a search bundle, with one compressor per thread.
//!
//! Takes a file's bytes and a level, gives the gzip member: a fixed header (no name, no time,
//! so the same bytes give the same file), the raw deflate stream, its CRC-32 and length.
//! Setting up a compressor clears hundreds of kilobytes of tables, more than compressing a
//! two-kilobyte fragment costs, so each thread keeps one and resets it between files.

use std::cell::RefCell;

use anyhow::{Result, bail};
use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// Magic, deflate, no flags, no time, no extra flags, unknown system.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

thread_local! {
    static COMPRESSOR: RefCell<Option<(u32, Compress)>> = const { RefCell::new(None) };
}

/// `parts`, one after the other, as one gzip member at `level` (0 to 9).
pub fn gzip(parts: &[&[u8]], level: u32) -> Result<Vec<u8>> {
    if parts.is_empty() {
        bail!("nothing to gzip");
    }
    COMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        let compress = match &mut *cell {
            Some((l, compress)) if *l == level => {
                compress.reset();
                compress
            }
            slot => {
                &mut slot
                    .insert((level, Compress::new(Compression::new(level), false)))
                    .1
            }
        };
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let mut out = Vec::with_capacity(HEADER.len() + len / 2 + 64);
        out.extend_from_slice(&HEADER);
        let mut crc = Crc::new();
        for (i, part) in parts.iter().enumerate() {
            crc.update(part);
            let last = i + 1 == parts.len();
            let flush = if last {
                FlushCompress::Finish
            } else {
                FlushCompress::None
            };
            let mut input: &[u8] = part;
            loop {
                out.reserve(input.len() / 2 + 1024);
                let before = compress.total_in();
                let status = compress.compress_vec(input, &mut out, flush)?;
                input = &input[(compress.total_in() - before) as usize..];
                match status {
                    Status::StreamEnd => break,
                    _ if input.is_empty() && !last => break,
                    Status::Ok | Status::BufError => {}
                }
            }
        }
        out.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&crc.amount().to_le_bytes());
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::gzip;

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn round_trips_and_repeats_itself() {
        let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for level in [1, 4, 9] {
            for parts in [
                &[b"pagefind_dcd".as_slice(), b"{}"][..],
                &[b"x"],
                &[b"a", &big, b"b"],
            ] {
                let once = gzip(parts, level).unwrap();
                assert_eq!(gunzip(&once), parts.concat(), "level {level}");
                assert_eq!(gzip(parts, level).unwrap(), once, "the same bytes again");
            }
        }
        assert!(gzip(&[], 4).is_err());
    }
}
