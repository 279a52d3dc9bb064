//! What every chart shares: sizes, fonts, the palette, and an axis whose ticks sit where the
//! data says. One place, so `comparison.svg`, `scaling.svg`, the Gantt charts and the fleet
//! sizing chart sit side by side at the same scale.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::style::RGBColor;

/// Width and height of every chart, pixels: wide enough for four groups of five bars with
/// readable labels, and a 3:2-ish aspect that fits a README column.
pub(crate) const SIZE: (u32, u32) = (1000, 620);

/// Caption font size, pixels: clearly larger than labels, still one line at 1000 px wide.
pub(crate) const CAPTION_PX: u32 = 22;

/// Axis label font size, pixels: the smallest that stays legible when the SVG is scaled down
/// to a README column (about 700 px).
pub(crate) const LABEL_PX: u32 = 14;

/// Space around each chart, pixels.
pub(crate) const MARGIN_PX: u32 = 15;

/// Height of the x label area, pixels: one row of tick labels plus the axis description.
pub(crate) const X_LABEL_AREA_PX: u32 = 45;

/// Width of the y label area of numeric axes, pixels: ticks like `20.0` plus the rotated
/// axis description.
pub(crate) const Y_LABEL_AREA_PX: u32 = 65;

/// The Tableau-10 palette: distinguishable, colour-blind-friendlier than plotters' defaults.
pub(crate) const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// A linear `f64` axis whose ticks sit exactly at `keys` (group centres, lane centres, thread
/// counts). plotters' own `with_key_points` cannot be combined with a label formatter on `f64`
/// axes, hence this small axis type.
#[derive(Clone)]
pub(crate) struct KeyedAxis {
    range: std::ops::Range<f64>,
    keys: Vec<f64>,
}

impl KeyedAxis {
    pub(crate) fn new(range: std::ops::Range<f64>, keys: Vec<f64>) -> Self {
        KeyedAxis { range, keys }
    }
}

impl Ranged for KeyedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        if span == 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        let fraction = (value - self.range.start) / span;
        let pixels = f64::from(limit.1 - limit.0);
        // The small bias keeps values that land exactly on a pixel edge on the same side as
        // plotters' own numeric axes do.
        limit.0 + (pixels * fraction + 1e-3).floor() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        // Only bold ticks: light (minor) mesh lines between categories carry no meaning.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.keys.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

/// Palette colour `i` (cycling) as a plotters colour.
pub(crate) fn color(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}
