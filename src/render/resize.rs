//! The `resize` function of templates: a variant of a photo the site publishes as variants
//! (a JPEG, PNG or WebP file of the site's or theme's `static/`, or of an article's bundle),
//! at the size a theme asks for, encoded and published like the photos' other variants.
//!
//! Takes the photos of a run ([`Photos`]), gives templates `{src, width, height}`. Each call
//! is noted on the thread that renders the job (`collect`) and becomes one of the job's
//! reads ([`Read::Resize`]): the pipeline plans the variants every output's reads ask for,
//! so that a page rendered in an earlier run keeps its variants published and a page that
//! stops asking lets them go.

use std::cell::RefCell;
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;
use tera::{Error, Kwargs, State, Tera, TeraResult, Value};

use super::reads::Read;
use crate::images::{Format, ImageSet, Resized};
use crate::site::Site;
use crate::theme::Theme;

/// The photos `resize` knows, by every site path a template may have for one (without the
/// leading `/`): the photo's own and its largest variant's (an image view's `src`).
#[derive(Default)]
pub struct Photos {
    by_path: HashMap<String, Photo>,
    /// The theme's largest width: no variant is wider.
    largest: u32,
}

/// A photo `resize` can make variants of.
#[derive(Clone)]
struct Photo {
    /// Its own output path (`photos/a.jpg`).
    source: String,
    /// Its upright size.
    size: (u32, u32),
}

impl Photos {
    /// The static photos of the theme and site and the photos of the published articles'
    /// bundles whose size could be read.
    pub fn of(site: &Site, theme: &Theme) -> Photos {
        let mut photos = Photos {
            by_path: HashMap::default(),
            largest: theme.image_widths.iter().copied().max().unwrap_or(u32::MAX),
        };
        for (path, &size) in theme.static_photo_sizes.iter() {
            photos.add(path, size, &theme.image_widths);
        }
        for article in site.articles.iter().filter(|a| a.bundle_dir.is_some()) {
            let base = article.path.trim_start_matches('/');
            for (rel, &size) in &article.bundle_images {
                photos.add(&format!("{base}{rel}"), size, &theme.image_widths);
            }
        }
        photos
    }

    fn add(&mut self, path: &str, size: (u32, u32), widths: &[u32]) {
        let Some(set) = ImageSet::of(path, size, widths, false) else {
            return;
        };
        let photo = Photo {
            source: path.to_string(),
            size,
        };
        // A photo's own path wins over another's variant of the same name.
        self.by_path.entry(set.src).or_insert_with(|| photo.clone());
        self.by_path.insert(path.to_string(), photo);
    }

    /// The upright size of the photo published at `source`, for [`Read::Resize`]'s version.
    pub fn size_of(&self, source: &str) -> Option<(u32, u32)> {
        self.by_path
            .get(source)
            .filter(|p| p.source == source)
            .map(|p| p.size)
    }
}

/// What `resize` calls on this thread see: the run's photos, and the variants asked so far.
type Asked = (Arc<Photos>, Vec<Resized>);

thread_local! {
    /// What the job being rendered on this thread asked for, while [`collect`] runs.
    static ASKED: RefCell<Option<Asked>> = const { RefCell::new(None) };
}

/// Runs `render` with `resize` knowing `photos`; gives, with its result, the variants it
/// asked for, as reads.
pub(super) fn collect<T>(photos: &Arc<Photos>, render: impl FnOnce() -> T) -> (T, Vec<Read>) {
    let outer = ASKED.with(|asked| asked.borrow_mut().replace((Arc::clone(photos), Vec::new())));
    let result = render();
    let asked = ASKED.with(|asked| std::mem::replace(&mut *asked.borrow_mut(), outer));
    let reads = asked
        .map(|(_, asked)| asked)
        .unwrap_or_default()
        .into_iter()
        .map(Read::Resize)
        .collect();
    (result, reads)
}

/// Registers `resize(path=..., width=..., height=..., format=...)`.
pub fn register(tera: &mut Tera) {
    tera.register_function("resize", |kwargs: Kwargs, _: &State| {
        ASKED.with(|asked| match asked.borrow_mut().as_mut() {
            Some((photos, asked)) => {
                let resized = resize(photos, &kwargs)?;
                let view = serde_json::json!({
                    "src": format!("/{}", resized.path()),
                    "width": resized.variant.width,
                    "height": resized.variant.height,
                });
                asked.push(resized);
                Ok(Value::from_serializable(&view))
            }
            None => Err(Error::message("resize: not available here")),
        })
    });
}

fn resize(photos: &Photos, kwargs: &Kwargs) -> TeraResult<Resized> {
    let path: &str = kwargs.must_get("path")?;
    let side = |name: &str| -> TeraResult<Option<u32>> {
        match kwargs.get::<i64>(name)? {
            None => Ok(None),
            Some(n) if (1..=i64::from(u32::MAX)).contains(&n) => Ok(Some(n as u32)),
            Some(n) => Err(Error::message(format!(
                "resize: `{name}` must be a number of pixels above 0, not {n}"
            ))),
        }
    };
    let (mut width, mut height) = (side("width")?, side("height")?);
    let format = match kwargs.get::<&str>("format")? {
        None => None,
        Some(name) => Some(Format::named(name).ok_or_else(|| {
            Error::message(format!(
                "resize: `format` is `jpeg`, `png` or `webp`, not `{name}`"
            ))
        })?),
    };
    let site_path = path.trim_start_matches('/');
    let Some(photo) = photos.by_path.get(site_path) else {
        return Err(Error::message(format!(
            "resize: `{path}` is not a JPEG, PNG or WebP photo of the site's or the theme's static/ or of an article's bundle (write its site path, e.g. `/photos/a.jpg`, or an image's `src`)"
        )));
    };
    // No variant is wider than the theme's largest width.
    let largest = photos.largest;
    if let Some(w) = width.filter(|&w| w > largest) {
        height = height.map(|h| (u64::from(h) * u64::from(largest) / u64::from(w)).max(1) as u32);
        width = Some(largest);
    }
    Resized::of(&photo.source, photo.size, (width, height), format)
        .ok_or_else(|| Error::message("resize: give `width`, `height` or both"))
}
