//! Making one variant's bytes: the source read and hashed once per run, the variant taken
//! from the cache folder when it holds it, else the source decoded once (with limits),
//! turned upright, brought to sRGB, resized and encoded with no metadata at all.
//!
//! Takes [`Job`]s, gives bytes or the [`Problem`] naming the source file.

use std::collections::HashMap;
use std::io::{BufRead, Cursor, Seek};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use birge_pixels::{Codec, DecodeError, DecodeLimits, Picture, Quality};
use sha2::{Digest, Sha256};

use super::{FORMAT_VERSION, Format, JPEG_QUALITY, Variant, WEBP_QUALITY};
use crate::diagnostics::Problem;

/// The widest or tallest image birge decodes, in pixels.
const MAX_SIDE: u32 = 20_000;
/// The most memory one decode may take; a 100-megapixel photo fits.
const MAX_ALLOC: u64 = 512 << 20;

const FORMATS_HINT: &str = "birge publishes JPEG, PNG and WebP photos as resized variants; export the photo again as one of these";

/// One variant to make.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Job {
    /// The source file.
    pub source: PathBuf,
    /// The source file relative to the site root, as problems name it.
    pub name: String,
    pub variant: Variant,
    /// How many variants of this source the run makes: once they are all made, its decoded
    /// pixels are let go.
    pub siblings: usize,
}

/// Makes variants for one run; counts what it encoded and what it found in its cache.
pub struct Encoder {
    cache: Option<PathBuf>,
    encoded: AtomicUsize,
    reused: AtomicUsize,
    sources: Mutex<HashMap<PathBuf, Arc<SourceWork>>>,
}

/// What the variants of one source share during a run.
#[derive(Default)]
struct SourceWork {
    digest: OnceLock<Result<String, Problem>>,
    picture: OnceLock<Result<Arc<Picture>, Problem>>,
    done: AtomicUsize,
}

/// The problem of a photo that decodes but whose header gave no size (its variants were
/// planned with none).
fn unreadable_size(job: &Job) -> Problem {
    Problem::new(&job.name, "cannot read this image's size")
        .hint("export the photo again as JPEG, PNG or WebP")
}

impl Encoder {
    /// An encoder that keeps variants in `cache` (a folder made when first needed), or
    /// keeps nothing.
    pub fn new(cache: Option<PathBuf>) -> Encoder {
        Encoder {
            cache,
            encoded: AtomicUsize::new(0),
            reused: AtomicUsize::new(0),
            sources: Mutex::default(),
        }
    }

    /// How many variants this run encoded.
    pub fn encoded(&self) -> usize {
        self.encoded.load(Ordering::Relaxed)
    }

    /// How many variants this run took from the cache.
    pub fn reused(&self) -> usize {
        self.reused.load(Ordering::Relaxed)
    }

    /// The bytes of one variant.
    pub fn bytes(&self, job: &Job) -> Result<Vec<u8>, Problem> {
        self.with_source(job, |work| self.make(job, work))
    }

    /// Reads and decodes a variant's source (once per source) without encoding anything:
    /// what `birge check` needs to find a broken photo.
    pub fn check(&self, job: &Job) -> Result<(), Problem> {
        self.with_source(job, |work| {
            work.picture
                .get_or_init(|| decode(&read(job)?, &job.name).map(Arc::new))
                .clone()?;
            if job.variant.width == 0 {
                return Err(unreadable_size(job));
            }
            Ok(())
        })
    }

    /// Runs `f` with the work shared by the variants of `job`'s source, dropped once the
    /// last of them is done.
    fn with_source<T>(&self, job: &Job, f: impl FnOnce(&SourceWork) -> T) -> T {
        let work = {
            let mut sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
            sources.entry(job.source.clone()).or_default().clone()
        };
        let result = f(&work);
        if work.done.fetch_add(1, Ordering::AcqRel) + 1 >= job.siblings {
            let mut sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
            sources.remove(&job.source);
        }
        result
    }

    fn make(&self, job: &Job, work: &SourceWork) -> Result<Vec<u8>, Problem> {
        let digest = work
            .digest
            .get_or_init(|| {
                let bytes = read(job)?;
                Ok(hex(&Sha256::digest(&bytes)))
            })
            .clone()?;
        let kept = self.cache.as_ref().map(|dir| {
            let v = job.variant;
            let settings = format!(
                "{digest} {}x{} {:?} crop={} jpeg={JPEG_QUALITY} webp={WEBP_QUALITY} v{FORMAT_VERSION}",
                v.width, v.height, v.format, v.crop
            );
            let name = hex(&Sha256::digest(settings.as_bytes()));
            dir.join(format!("{}.{}", &name[..32], v.format.ext()))
        });
        if let Some(bytes) = kept.as_deref().and_then(read_kept) {
            self.reused.fetch_add(1, Ordering::Relaxed);
            return Ok(bytes);
        }
        let picture = work
            .picture
            .get_or_init(|| decode(&read(job)?, &job.name).map(Arc::new))
            .clone()?;
        if job.variant.width == 0 {
            return Err(unreadable_size(job));
        }
        let bytes = make_variant(&picture, job.variant).map_err(|e| {
            Problem::new(
                &job.name,
                format!("cannot make a variant of this image: {e}"),
            )
        })?;
        self.encoded.fetch_add(1, Ordering::Relaxed);
        if let Some(path) = kept {
            // The cache only saves time: a variant that cannot be kept is made again next time.
            let _ = keep(&path, &bytes);
        }
        Ok(bytes)
    }
}

fn read(job: &Job) -> Result<Vec<u8>, Problem> {
    std::fs::read(&job.source).map_err(|e| {
        Problem::new(&job.name, format!("cannot read this image: {e}"))
            .hint("check that the file exists and can be read")
    })
}

/// What ends every cached variant: its bytes' CRC-32, then this mark. A kept file is used
/// only when both are right, so a damaged or foreign file is made again, never published.
const KEPT_MARK: &[u8; 4] = b"brg1";

/// A cached variant's bytes, when the file is whole and its checksum holds.
fn read_kept(path: &Path) -> Option<Vec<u8>> {
    let mut bytes = std::fs::read(path).ok()?;
    let body_len = bytes.len().checked_sub(8)?;
    let (body, trailer) = bytes.split_at(body_len);
    let (checksum, mark) = trailer.split_at(4);
    let whole = mark == KEPT_MARK && checksum == crc32fast::hash(body).to_le_bytes();
    whole.then(|| {
        bytes.truncate(body_len);
        bytes
    })
}

/// Writes a cached variant, with its checksum, under a temporary name and renames it into
/// place, so a reader never finds half a file.
fn keep(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut kept = Vec::with_capacity(bytes.len() + 8);
    kept.extend_from_slice(bytes);
    kept.extend_from_slice(&crc32fast::hash(bytes).to_le_bytes());
    kept.extend_from_slice(KEPT_MARK);
    std::fs::write(&tmp, kept)?;
    std::fs::rename(&tmp, path)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The EXIF orientation of an image file (1 when it has none or it cannot be read).
pub fn orientation_of<R: BufRead + Seek>(reader: &mut R) -> u8 {
    exif::Reader::new()
        .read_from_container(reader)
        .ok()
        .and_then(|exif| {
            exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
                .and_then(|field| field.value.get_uint(0))
        })
        .and_then(|v| u8::try_from(v).ok())
        .filter(|v| (1..=8).contains(v))
        .unwrap_or(1)
}

/// Whether a JPEG file ends its image data: decoders fill a cut-off file with grey rather
/// than fail, so the end-of-image marker is looked for after the first scan starts (an
/// EXIF thumbnail's marker comes before it; data that phones append after it is allowed).
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut at = 2;
    // Walk the segments before the first scan by their lengths.
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return false;
        }
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1;
            continue;
        }
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if marker == 0xDA {
            let data = at + 2 + length;
            return data <= bytes.len()
                && memchr::memmem::find(&bytes[data..], b"\xFF\xD9").is_some();
        }
        at += 2 + length;
    }
    false
}

fn decode(bytes: &[u8], name: &str) -> Result<Picture, Problem> {
    let problem = |message: String| Problem::new(name, message);
    let codec = birge_pixels::sniff(bytes);
    if codec == Some(Codec::Jpeg) && !jpeg_is_complete(bytes) {
        return Err(
            problem("this JPEG file is cut short: its image data does not end".into())
                .hint("the file was not copied whole; copy or export it again"),
        );
    }
    let orientation = orientation_of(&mut Cursor::new(bytes));
    let limits = DecodeLimits {
        max_side: MAX_SIDE,
        max_alloc: MAX_ALLOC,
    };
    birge_pixels::decode(bytes, orientation, limits).map_err(|e| match e {
        DecodeError::Unknown => {
            problem("this is not a JPEG, PNG or WebP image (or it is damaged)".into())
                .hint(FORMATS_HINT)
        }
        DecodeError::TooLarge => problem(format!(
            "this image is too large to decode safely (at most {MAX_SIDE} pixels a side and {} MB of pixels)",
            MAX_ALLOC >> 20
        ))
        .hint("export it smaller; 4000 pixels wide is plenty for the web"),
        DecodeError::Damaged(e) => problem(format!("this image cannot be decoded: {e}"))
            .hint("the file is damaged or not what its name says; export it again"),
    })
}

fn make_variant(picture: &Picture, variant: Variant) -> Result<Vec<u8>, String> {
    let codec = match variant.format {
        Format::Jpeg => Codec::Jpeg,
        Format::Png => Codec::Png,
        Format::Webp => Codec::Webp,
    };
    let quality = Quality {
        jpeg: JPEG_QUALITY,
        webp: WEBP_QUALITY,
    };
    birge_pixels::variant(
        picture,
        (variant.width, variant.height),
        variant.crop,
        codec,
        quality,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let pixels: Vec<u8> = (0..width * height)
            .flat_map(|i| [(i % 251) as u8, 90, 200])
            .collect();
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode(&pixels, width, height, image::ExtendedColorType::Rgb8)
            .expect("a JPEG");
        out
    }

    #[test]
    fn cut_off_jpegs_are_told_from_whole_ones() {
        let whole = jpeg(64, 48);
        assert!(jpeg_is_complete(&whole));
        let mut appended = whole.clone();
        appended.extend_from_slice(b"ftypmp42 appended video");
        assert!(jpeg_is_complete(&appended));
        assert!(!jpeg_is_complete(&whole[..whole.len() / 2]));
        assert!(!jpeg_is_complete(&whole[..whole.len() - 2]));
        assert!(!jpeg_is_complete(b""));
    }

    #[test]
    fn variants_are_made_and_kept_and_reused() {
        let dir = tempfile::tempdir().expect("a folder");
        let source = dir.path().join("a.jpg");
        std::fs::write(&source, jpeg(640, 480)).expect("source");
        let job = |format, width, height, crop| Job {
            source: source.clone(),
            name: "content/a.jpg".into(),
            variant: Variant {
                width,
                height,
                format,
                crop,
            },
            siblings: 3,
        };
        let jobs = [
            job(Format::Jpeg, 480, 360, false),
            job(Format::Webp, 480, 360, false),
            job(Format::Jpeg, 600, 315, true),
        ];
        let encoder = Encoder::new(Some(dir.path().join("cache")));
        for job in &jobs {
            let bytes = encoder.bytes(job).expect("a variant");
            let image = image::load_from_memory(&bytes).expect("decodable");
            assert_eq!(
                (image.width(), image.height()),
                (job.variant.width, job.variant.height)
            );
        }
        assert_eq!((encoder.encoded(), encoder.reused()), (3, 0));
        let again = Encoder::new(Some(dir.path().join("cache")));
        for job in &jobs {
            again.bytes(job).expect("a variant");
        }
        assert_eq!((again.encoded(), again.reused()), (0, 3));
    }

    #[test]
    fn broken_files_are_problems_naming_them() {
        let dir = tempfile::tempdir().expect("a folder");
        let source = dir.path().join("a.jpg");
        let job = Job {
            source: source.clone(),
            name: "content/a.jpg".into(),
            variant: Variant {
                width: 10,
                height: 10,
                format: Format::Jpeg,
                crop: false,
            },
            siblings: 1,
        };
        let message = |bytes: Option<&[u8]>| {
            if let Some(bytes) = bytes {
                std::fs::write(&source, bytes).expect("source");
            }
            let problem = Encoder::new(None).bytes(&job).expect_err("a problem");
            assert_eq!(problem.file, "content/a.jpg");
            problem.message
        };
        assert!(message(None).starts_with("cannot read this image: "));
        let whole = jpeg(64, 48);
        assert_eq!(
            message(Some(&whole[..whole.len() / 2])),
            "this JPEG file is cut short: its image data does not end"
        );
        assert_eq!(
            message(Some(b"not an image at all")),
            "this is not a JPEG, PNG or WebP image (or it is damaged)"
        );
    }
}
