//! The `resize` function of templates: a variant of a photo of the site's or theme's
//! `static/`, at the size a theme asks for, encoded and published like the variants of the
//! photos pages show.
//!
//! Takes the theme's static photos and widths, gives templates `{src, width, height}`. Each
//! call is noted on the thread that renders the job ([`collect`]) and becomes one of the
//! job's reads ([`Read::Resize`]): the pipeline plans the variants every output's reads ask
//! for, so that a page rendered in an earlier run keeps its variants published and a page
//! that stops asking lets them go.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use tera::{Error, Kwargs, State, Tera, TeraResult, Value};

use super::reads::Read;
use crate::images::{Format, Resized};
use crate::theme::Theme;

thread_local! {
    /// The variants the job being rendered on this thread asked for, while [`collect`] runs.
    static ASKED: RefCell<Option<Vec<Resized>>> = const { RefCell::new(None) };
}

/// Runs `render` and gives, with its result, the variants it asked for, as reads.
pub(super) fn collect<T>(render: impl FnOnce() -> T) -> (T, Vec<Read>) {
    let outer = ASKED.with(|asked| asked.borrow_mut().replace(Vec::new()));
    let result = render();
    let asked = ASKED.with(|asked| std::mem::replace(&mut *asked.borrow_mut(), outer));
    let reads = asked
        .unwrap_or_default()
        .into_iter()
        .map(Read::Resize)
        .collect();
    (result, reads)
}

/// Registers `resize(path=..., width=..., height=..., format=...)`.
pub fn register(tera: &mut Tera, theme: &Theme) {
    let photos = Arc::clone(&theme.static_photo_sizes);
    let largest = theme.image_widths.iter().copied().max().unwrap_or(u32::MAX);
    tera.register_function("resize", move |kwargs: Kwargs, _: &State| {
        resize(&photos, largest, &kwargs)
    });
}

fn resize(
    photos: &BTreeMap<String, (u32, u32)>,
    largest: u32,
    kwargs: &Kwargs,
) -> TeraResult<Value> {
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
    let Some(&size) = photos.get(path.trim_start_matches('/')) else {
        return Err(Error::message(format!(
            "resize: `{path}` is not a JPEG, PNG or WebP photo under the site's or the theme's static/ (write its site path, e.g. `/photos/a.jpg`)"
        )));
    };
    // No variant is wider than the theme's largest width.
    if let Some(w) = width.filter(|&w| w > largest) {
        height = height.map(|h| (u64::from(h) * u64::from(largest) / u64::from(w)).max(1) as u32);
        width = Some(largest);
    }
    let resized = Resized::of(path, size, (width, height), format)
        .ok_or_else(|| Error::message("resize: give `width`, `height` or both".to_string()))?;
    let view = serde_json::json!({
        "src": format!("/{}", resized.path()),
        "width": resized.variant.width,
        "height": resized.variant.height,
    });
    ASKED.with(|asked| {
        if let Some(asked) = asked.borrow_mut().as_mut() {
            asked.push(resized);
        }
    });
    Ok(Value::from_serializable(&view))
}
