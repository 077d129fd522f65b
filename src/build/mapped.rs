//! A file's bytes mapped into memory rather than copied: the build cache's state, read whole
//! at the start of every build, is decoded straight from the page cache (a copy of a large
//! site's state costs a page fault per 4 KiB of fresh memory, and the copying).
//!
//! Takes a path, gives its bytes as a slice. The build cache's files are only ever replaced by
//! a rename, never rewritten in place, so the mapped bytes stay those of the file opened.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

/// The bytes of a file, mapped read-only.
pub(super) struct Mapped {
    ptr: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is read-only and owned by this value alone.
unsafe impl Send for Mapped {}
// SAFETY: as above; shared references only read it.
unsafe impl Sync for Mapped {}

impl Mapped {
    /// The file at `path`, mapped (and read into the page cache at once).
    pub(super) fn open(path: &Path) -> std::io::Result<Mapped> {
        let file = File::open(path)?;
        let len = usize::try_from(file.metadata()?.len())
            .map_err(|_| std::io::Error::other("a file too large to map"))?;
        if len == 0 {
            return Ok(Mapped {
                ptr: std::ptr::null_mut(),
                len: 0,
            });
        }
        // SAFETY: a fresh read-only private mapping of an open file, checked below; the file
        // may be closed once mapped.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE | populate(),
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Mapped { ptr, len })
    }
}

#[cfg(target_os = "linux")]
fn populate() -> libc::c_int {
    libc::MAP_POPULATE
}

#[cfg(not(target_os = "linux"))]
fn populate() -> libc::c_int {
    0
}

impl std::ops::Deref for Mapped {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: `ptr` maps `len` readable bytes until `drop`.
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: unmaps exactly the mapping `open` made, once.
            unsafe { libc::munmap(self.ptr, self.len) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_a_file_and_an_empty_one() {
        let dir = tempfile::tempdir().unwrap();
        let full = dir.path().join("full");
        std::fs::write(&full, b"state").unwrap();
        assert_eq!(&*Mapped::open(&full).unwrap(), b"state");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"").unwrap();
        assert!(Mapped::open(&empty).unwrap().is_empty());
        assert!(Mapped::open(&dir.path().join("none")).is_err());
    }
}
