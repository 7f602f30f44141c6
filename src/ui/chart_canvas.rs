//! plotters-canvas with text measured by a canvas instead of the page.
//!
//! plotters' web font layer (`plotters/src/style/font/web.rs`) sizes a label
//! by adding a `<span>` to the document and reading its `offsetHeight`: a
//! forced style and layout pass of the whole page per label. A chart lays out
//! dozens of labels, so while playing this cost ~150 ms per second at 10×
//! (measured with a Chromium trace). Here every drawing call goes to
//! `CanvasBackend` unchanged, and only `estimate_text_size` is answered by
//! `measureText` on a canvas that is not in the document, which touches no
//! style or layout; sizes are cached per font and text.

use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};
use plotters_canvas::CanvasBackend;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// Most cached label sizes (labels repeat: ticks, titles, legends).
const CACHE_MAX: usize = 4_096;

thread_local! {
    static MEASURE: RefCell<Option<CanvasRenderingContext2d>> = const { RefCell::new(None) };
    static SIZES: RefCell<HashMap<(String, String), (u32, u32)>> = RefCell::new(HashMap::new());
}

/// A [`CanvasBackend`] whose text sizes come from `measureText`.
pub struct ChartCanvas(CanvasBackend);

impl ChartCanvas {
    /// Draws on `canvas`.
    pub fn new(canvas: HtmlCanvasElement) -> Option<ChartCanvas> {
        CanvasBackend::with_canvas_object(canvas).map(ChartCanvas)
    }
}

/// The CSS font plotters-canvas draws a style with.
fn css_font<S: BackendTextStyle>(style: &S) -> String {
    format!(
        "{} {}px {}",
        style.style().as_str(),
        style.size(),
        style.family().as_str()
    )
}

/// Width and height of `text` in `font`, from a detached canvas.
fn measure(font: &str, text: &str, size: f64) -> (u32, u32) {
    let key = (font.to_string(), text.to_string());
    if let Some(s) = SIZES.with(|c| c.borrow().get(&key).copied()) {
        return s;
    }
    let measured = MEASURE.with(|m| {
        let mut m = m.borrow_mut();
        if m.is_none() {
            *m = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.create_element("canvas").ok())
                .and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok())
                .and_then(|c| c.get_context("2d").ok().flatten())
                .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok());
        }
        let ctx = m.as_ref()?;
        ctx.set_font(font);
        let tm = ctx.measure_text(text).ok()?;
        let h = tm.font_bounding_box_ascent() + tm.font_bounding_box_descent();
        let h = if h.is_finite() && h > 0.0 {
            h
        } else {
            size * 1.2
        };
        Some((tm.width().ceil() as u32, h.ceil() as u32))
    });
    // Without a canvas (never in a browser): an estimate, not a panic.
    let s = measured.unwrap_or((
        (text.chars().count() as f64 * size * 0.6) as u32,
        (size * 1.2) as u32,
    ));
    SIZES.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_MAX {
            c.clear();
        }
        c.insert(key, s);
    });
    s
}

type Error = <CanvasBackend as DrawingBackend>::ErrorType;

impl DrawingBackend for ChartCanvas {
    type ErrorType = Error;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Error>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Error>> {
        self.0.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.0.fill_polygon(vert, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.0.draw_text(text, style, pos)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Error>> {
        Ok(measure(&css_font(style), text, style.size()))
    }
}
