//! The RGB image and the drawing primitives the plots are made of.
//!
//! Coordinates are in pixels with the origin at the top-left corner and `y`
//! growing downwards (see `docs/CONVENTIONS.md`); pixel `(i, j)` covers the
//! square `[i, i+1) × [j, j+1)`, so its centre is `(i + 0.5, j + 0.5)`.
//! Axis-aligned shapes (rectangles, axis lines, ticks) are drawn on whole
//! pixels so they stay crisp; lines and discs are anti-aliased by coverage
//! (distance of each pixel centre to the shape). Everything honours an
//! optional clip rectangle.

use crate::font;

/// An RGB colour, 8 bits per channel.
pub type Rgb = [u8; 3];

/// An 8-bit RGB image stored row-major, three bytes per pixel.
#[derive(Clone, PartialEq, Eq)]
pub struct Rgb8Image {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl std::fmt::Debug for Rgb8Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rgb8Image").field("width", &self.width).field("height", &self.height).finish_non_exhaustive()
    }
}

impl Rgb8Image {
    /// An image of `width × height` pixels, all `fill`.
    pub fn new(width: u32, height: u32, fill: Rgb) -> Self {
        let n = width as usize * height as usize;
        let mut data = Vec::with_capacity(n * 3);
        for _ in 0..n {
            data.extend_from_slice(&fill);
        }
        Rgb8Image { width, height, data }
    }

    /// Wraps raw row-major RGB bytes; `None` unless `data.len() == width * height * 3`.
    pub fn from_raw(width: u32, height: u32, data: Vec<u8>) -> Option<Self> {
        (data.len() == width as usize * height as usize * 3).then_some(Rgb8Image { width, height, data })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The raw row-major RGB bytes.
    pub fn as_raw(&self) -> &[u8] {
        &self.data
    }

    /// Consumes the image, returning its raw bytes.
    pub fn into_raw(self) -> Vec<u8> {
        self.data
    }

    /// The colour at `(x, y)`.
    ///
    /// # Panics
    /// If `(x, y)` lies outside the image.
    pub fn pixel(&self, x: u32, y: u32) -> Rgb {
        assert!(x < self.width && y < self.height, "pixel ({x}, {y}) outside {}x{}", self.width, self.height);
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    /// Sets the colour at `(x, y)`; positions outside the image are ignored.
    pub fn put_pixel(&mut self, x: u32, y: u32, c: Rgb) {
        if x < self.width && y < self.height {
            let i = (y as usize * self.width as usize + x as usize) * 3;
            self.data[i..i + 3].copy_from_slice(&c);
        }
    }
}

/// Half-open pixel rectangle `[x0, x1) × [y0, y1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rect {
    /// First column.
    pub x0: i64,
    /// First row.
    pub y0: i64,
    /// One past the last column.
    pub x1: i64,
    /// One past the last row.
    pub y1: i64,
}

impl Rect {
    /// `[x0, x1) × [y0, y1)`.
    pub fn new(x0: i64, y0: i64, x1: i64, y1: i64) -> Self {
        Rect { x0, y0, x1, y1 }
    }

    /// Whether the two rectangles share at least one pixel.
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    /// Whether pixel `(x, y)` lies inside.
    pub fn contains(&self, x: i64, y: i64) -> bool {
        x >= self.x0 && x < self.x1 && y >= self.y0 && y < self.y1
    }

    fn intersect(self, o: Rect) -> Rect {
        Rect { x0: self.x0.max(o.x0), y0: self.y0.max(o.y0), x1: self.x1.min(o.x1), y1: self.y1.min(o.y1) }
    }
}

/// Mixes `c` over `dst` with coverage `a` in `[0, 1]`.
#[inline]
fn mix(dst: Rgb, c: Rgb, a: f64) -> Rgb {
    let m = |d: u8, s: u8| (d as f64 + (s as f64 - d as f64) * a).round().clamp(0.0, 255.0) as u8;
    [m(dst[0], c[0]), m(dst[1], c[1]), m(dst[2], c[2])]
}

/// An image being drawn on, with a clip rectangle.
pub(crate) struct Canvas {
    pub img: Rgb8Image,
    clip: Rect,
    /// Ink bounds of every text run drawn so far.
    pub text_boxes: Vec<Rect>,
}

impl Canvas {
    pub fn new(width: u32, height: u32, background: Rgb) -> Self {
        Canvas {
            img: Rgb8Image::new(width, height, background),
            clip: Self::full(width, height),
            text_boxes: Vec::new(),
        }
    }

    fn full(w: u32, h: u32) -> Rect {
        Rect::new(0, 0, w as i64, h as i64)
    }

    /// Restricts drawing to `r` (intersected with the image); `None` lifts the clip.
    pub fn set_clip(&mut self, r: Option<Rect>) {
        let full = Self::full(self.img.width, self.img.height);
        self.clip = r.map_or(full, |r| r.intersect(full));
    }

    #[inline]
    fn inside(&self, x: i64, y: i64) -> bool {
        x >= self.clip.x0 && x < self.clip.x1 && y >= self.clip.y0 && y < self.clip.y1
    }

    #[inline]
    pub fn blend(&mut self, x: i64, y: i64, c: Rgb, a: f64) {
        if a <= 0.0 || !self.inside(x, y) {
            return;
        }
        let dst = self.img.pixel(x as u32, y as u32);
        self.img.put_pixel(x as u32, y as u32, mix(dst, c, a.min(1.0)));
    }

    pub fn fill_rect(&mut self, r: Rect, c: Rgb) {
        let r = r.intersect(self.clip);
        for y in r.y0..r.y1 {
            for x in r.x0..r.x1 {
                self.img.put_pixel(x as u32, y as u32, c);
            }
        }
    }

    /// 1-pixel outline just inside `r`.
    pub fn stroke_rect(&mut self, r: Rect, c: Rgb) {
        if r.x1 <= r.x0 || r.y1 <= r.y0 {
            return;
        }
        self.fill_rect(Rect::new(r.x0, r.y0, r.x1, r.y0 + 1), c);
        self.fill_rect(Rect::new(r.x0, r.y1 - 1, r.x1, r.y1), c);
        self.fill_rect(Rect::new(r.x0, r.y0, r.x0 + 1, r.y1), c);
        self.fill_rect(Rect::new(r.x1 - 1, r.y0, r.x1, r.y1), c);
    }

    /// Horizontal run `[x0, x1]` (inclusive) on row `y`.
    pub fn hline(&mut self, x0: i64, x1: i64, y: i64, c: Rgb) {
        self.fill_rect(Rect::new(x0.min(x1), y, x0.max(x1) + 1, y + 1), c);
    }

    /// Vertical run `[y0, y1]` (inclusive) in column `x`.
    pub fn vline(&mut self, x: i64, y0: i64, y1: i64, c: Rgb) {
        self.fill_rect(Rect::new(x, y0.min(y1), x + 1, y0.max(y1) + 1), c);
    }

    /// Anti-aliased line of the given `width` between two points, with flat ends.
    pub fn line(&mut self, p0: (f64, f64), p1: (f64, f64), width: f64, c: Rgb) {
        let h = width / 2.0 + 0.5;
        // Clip against the clip rectangle grown by the half-width so that
        // far-away endpoints never cost more than the visible part.
        let bx = (self.clip.x0 as f64 - h, self.clip.y0 as f64 - h, self.clip.x1 as f64 + h, self.clip.y1 as f64 + h);
        let Some((a, b)) = clip_segment(p0, p1, bx) else { return };
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        let x0 = (a.0.min(b.0) - h).floor() as i64;
        let x1 = (a.0.max(b.0) + h).ceil() as i64;
        let y0 = (a.1.min(b.1) - h).floor() as i64;
        let y1 = (a.1.max(b.1) + h).ceil() as i64;
        let r = Rect::new(x0, y0, x1 + 1, y1 + 1).intersect(self.clip);
        for y in r.y0..r.y1 {
            for x in r.x0..r.x1 {
                let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
                let t = if len2 > 0.0 { (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
                let (qx, qy) = (a.0 + t * dx - px, a.1 + t * dy - py);
                let d = (qx * qx + qy * qy).sqrt();
                let cov = (width / 2.0 + 0.5 - d).clamp(0.0, 1.0);
                if cov > 0.0 {
                    self.blend(x, y, c, cov);
                }
            }
        }
    }

    /// Anti-aliased filled disc.
    pub fn disc(&mut self, cx: f64, cy: f64, radius: f64, c: Rgb) {
        if !cx.is_finite() || !cy.is_finite() {
            return;
        }
        let r = Rect::new(
            (cx - radius - 1.0).floor() as i64,
            (cy - radius - 1.0).floor() as i64,
            (cx + radius + 1.0).ceil() as i64 + 1,
            (cy + radius + 1.0).ceil() as i64 + 1,
        )
        .intersect(self.clip);
        for y in r.y0..r.y1 {
            for x in r.x0..r.x1 {
                let d = ((x as f64 + 0.5 - cx).powi(2) + (y as f64 + 0.5 - cy).powi(2)).sqrt();
                self.blend(x, y, c, (radius + 0.5 - d).clamp(0.0, 1.0));
            }
        }
    }

    /// Draws `text` with its top-left corner at `(x, y)`; returns the advance in pixels.
    pub fn text(&mut self, x: i64, y: i64, text: &str, scale: u32, c: Rgb) -> i64 {
        self.text_run(x, y, text, scale, c, false, false)
    }

    /// Like [`Canvas::text`], every stroke one pixel wider (for titles).
    pub fn text_bold(&mut self, x: i64, y: i64, text: &str, scale: u32, c: Rgb) -> i64 {
        self.text_run(x, y, text, scale, c, true, false)
    }

    /// Draws `text` rotated 90° counter-clockwise (reading upwards); `(x, y)` is
    /// the bottom-left corner of the rotated text.
    pub fn text_up(&mut self, x: i64, y: i64, text: &str, scale: u32, c: Rgb) {
        self.text_run(x, y, text, scale, c, false, true);
    }

    /// Draws a run of glyphs and records the box its ink covers in `text_boxes`.
    #[allow(clippy::too_many_arguments)]
    fn text_run(&mut self, x: i64, y: i64, text: &str, scale: u32, c: Rgb, bold: bool, up: bool) -> i64 {
        let s = scale as i64;
        let b = bold as i64;
        let mut along = 0i64;
        let mut ink: Option<Rect> = None;
        for ch in text.chars() {
            let g = font::glyph(ch);
            for row in 0..font::GLYPH_H {
                for col in 0..font::GLYPH_W {
                    if !font::pixel(g, col, row) {
                        continue;
                    }
                    // Text space: u along the text, v down the glyph.
                    let (u, v) = (along + col as i64 * s, row as i64 * s);
                    let r = if up {
                        // (u, v) maps to image (x + v, y - u): reading upwards.
                        Rect::new(x + v, y - u - s - b, x + v + s, y - u)
                    } else {
                        Rect::new(x + u, y + v, x + u + s + b, y + v + s)
                    };
                    self.fill_rect(r, c);
                    ink = Some(
                        ink.map_or(r, |i| Rect::new(i.x0.min(r.x0), i.y0.min(r.y0), i.x1.max(r.x1), i.y1.max(r.y1))),
                    );
                }
            }
            along += font::ADVANCE as i64 * s;
        }
        if let Some(r) = ink {
            self.text_boxes.push(r);
        }
        along
    }
}

/// Liang–Barsky clipping of a segment to `(xmin, ymin, xmax, ymax)`.
fn clip_segment(p0: (f64, f64), p1: (f64, f64), b: (f64, f64, f64, f64)) -> Option<((f64, f64), (f64, f64))> {
    if ![p0.0, p0.1, p1.0, p1.1].iter().all(|v| v.is_finite()) {
        return None;
    }
    let (dx, dy) = (p1.0 - p0.0, p1.1 - p0.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [(-dx, p0.0 - b.0), (dx, b.2 - p0.0), (-dy, p0.1 - b.1), (dy, b.3 - p0.1)] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
            if t0 > t1 {
                return None;
            }
        }
    }
    Some(((p0.0 + t0 * dx, p0.1 + t0 * dy), (p0.0 + t1 * dx, p0.1 + t1 * dy)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Rgb = [255, 255, 255];
    const K: Rgb = [0, 0, 0];

    #[test]
    fn rect_and_clip() {
        let mut c = Canvas::new(10, 10, W);
        c.set_clip(Some(Rect::new(2, 2, 8, 8)));
        c.fill_rect(Rect::new(0, 0, 5, 5), K);
        assert_eq!(c.img.pixel(1, 1), W);
        assert_eq!(c.img.pixel(2, 2), K);
        assert_eq!(c.img.pixel(4, 4), K);
        assert_eq!(c.img.pixel(5, 5), W);
    }

    #[test]
    fn horizontal_line_is_centred() {
        let mut c = Canvas::new(20, 10, W);
        c.line((2.0, 5.0), (18.0, 5.0), 2.0, K);
        // A 2-px line centred on y = 5.0 covers rows 4 and 5 fully.
        assert_eq!(c.img.pixel(10, 4), K);
        assert_eq!(c.img.pixel(10, 5), K);
        assert_eq!(c.img.pixel(10, 3), W);
        assert_eq!(c.img.pixel(10, 6), W);
    }

    #[test]
    fn far_away_line_is_clipped_cheaply() {
        let mut c = Canvas::new(20, 20, W);
        c.line((-1e12, 10.0), (1e12, 10.0), 1.0, K);
        assert_eq!(c.img.pixel(0, 9), [128, 128, 128]);
        c.line((f64::NAN, 1.0), (3.0, 4.0), 1.0, K);
    }

    #[test]
    fn text_up_rotates() {
        let mut c = Canvas::new(20, 20, W);
        // 'l' has font pixels (1,0),(2,0) on its top row; rotated CCW, text row 0
        // becomes image column x, and text column u becomes row y - u - 1.
        c.text_up(5, 15, "l", 1, K);
        assert_eq!(c.img.pixel(5, 15 - 1 - 1), K);
        assert_eq!(c.img.pixel(5, 15 - 2 - 1), K);
        assert_eq!(c.img.pixel(5, 15 - 1), W);
    }

    #[test]
    fn disc_centre_is_solid() {
        let mut c = Canvas::new(20, 20, W);
        c.disc(10.0, 10.0, 3.0, K);
        assert_eq!(c.img.pixel(10, 10), K);
        assert_eq!(c.img.pixel(0, 0), W);
    }

    #[test]
    fn from_raw_checks_length() {
        assert!(Rgb8Image::from_raw(2, 2, vec![0; 12]).is_some());
        assert!(Rgb8Image::from_raw(2, 2, vec![0; 11]).is_none());
    }
}
