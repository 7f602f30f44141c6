//! Colours of a chart, light and dark (Okabe–Ito hues).

use super::*;
use plotters::prelude::*;

/// Colours of a chart.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Theme {
    /// "light" or "dark".
    pub name: &'static str,
    /// Background.
    pub background: RGBColor,
    /// Title and tick labels.
    pub text: RGBColor,
    /// Secondary text (axis unit, marker labels).
    pub muted: RGBColor,
    /// Grid lines.
    pub grid: RGBColor,
    /// Axis lines.
    pub axis: RGBColor,
    /// Threshold lines and labels.
    pub threshold: RGBColor,
    /// Event marker lines.
    pub marker: RGBColor,
    /// The cursor (current time).
    pub cursor: RGBColor,
    /// Series colours, in [`Hue::ALL`] order.
    pub palette: [RGBColor; 7],
}

/// The Okabe–Ito hues, shared by both themes.
pub(super) const OKABE_ITO: [RGBColor; 6] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
];

impl Theme {
    /// Dark lines on white.
    pub const LIGHT: Theme = Theme {
        name: "light",
        background: RGBColor(0xFF, 0xFF, 0xFF),
        text: RGBColor(0x1A, 0x1A, 0x1A),
        muted: RGBColor(0x5F, 0x5F, 0x5F),
        grid: RGBColor(0xE6, 0xE6, 0xE6),
        axis: RGBColor(0x9A, 0x9A, 0x9A),
        threshold: RGBColor(0x8A, 0x5A, 0x00),
        marker: RGBColor(0x80, 0x80, 0x80),
        cursor: RGBColor(0x00, 0x00, 0x00),
        palette: [
            OKABE_ITO[0],
            OKABE_ITO[1],
            OKABE_ITO[2],
            OKABE_ITO[3],
            OKABE_ITO[4],
            OKABE_ITO[5],
            RGBColor(0x44, 0x44, 0x44),
        ],
    };

    /// Light lines on a dark grey.
    pub const DARK: Theme = Theme {
        name: "dark",
        background: RGBColor(0x16, 0x18, 0x1D),
        text: RGBColor(0xE8, 0xE8, 0xE8),
        muted: RGBColor(0xA8, 0xA8, 0xA8),
        grid: RGBColor(0x2E, 0x31, 0x38),
        axis: RGBColor(0x70, 0x70, 0x70),
        threshold: RGBColor(0xF0, 0xE4, 0x42),
        marker: RGBColor(0x8C, 0x8C, 0x8C),
        cursor: RGBColor(0xFF, 0xFF, 0xFF),
        palette: [
            OKABE_ITO[0],
            OKABE_ITO[1],
            OKABE_ITO[2],
            OKABE_ITO[3],
            OKABE_ITO[4],
            OKABE_ITO[5],
            RGBColor(0xD0, 0xD0, 0xD0),
        ],
    };

    /// The colour of a hue in this theme.
    pub fn colour(&self, hue: Hue) -> RGBColor {
        self.palette[hue as usize]
    }
}

/// `#RRGGBB`, for CSS (legends drawn in HTML) and for matching SVG output.
pub fn css(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}
