//! Pure functions from model outputs to pixels and paths. No DOM, no device: tested natively.

use crate::data::Bounds;

/// Class colours: TF Playground's orange and blue first, then well-separated hues.
pub const PALETTE: [[u8; 3]; 12] = [
    [245, 147, 34],  // orange
    [8, 119, 189],   // blue
    [46, 160, 67],   // green
    [214, 39, 40],   // red
    [148, 103, 189], // purple
    [140, 86, 75],   // brown
    [227, 119, 194], // pink
    [23, 190, 207],  // cyan
    [188, 189, 34],  // olive
    [100, 100, 100], // grey
    [31, 60, 140],   // navy
    [120, 200, 120], // light green
];

pub fn class_color(c: usize) -> [u8; 3] {
    PALETTE[c % PALETTE.len()]
}

pub fn class_css(c: usize) -> String {
    let [r, g, b] = class_color(c);
    format!("rgb({r},{g},{b})")
}

/// Index of the largest value (first on ties).
pub fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in row.iter().enumerate() {
        if *v > row[best] {
            best = i;
        }
    }
    best
}

/// Data coordinates of the centres of a `res x res` grid over `bounds`, row-major with row 0 at
/// the top (largest y), as `res * res * dim` floats; features beyond the first two are 0.
pub fn grid_points(bounds: Bounds, res: usize, dim: usize) -> Vec<f32> {
    crate::data::plane::Plane::axes(dim).grid_points(bounds, res)
}

/// Canvas pixel (origin top-left, `size` pixels per side) to data coordinates.
pub fn pixel_to_data(b: Bounds, size: usize, px: f32, py: f32) -> (f32, f32) {
    b.pixel_to_data(size, px, py)
}

/// Data coordinates to canvas pixels (inverse of [`pixel_to_data`]).
pub fn data_to_pixel(b: Bounds, size: usize, x: f32, y: f32) -> (f32, f32) {
    let s = size as f32;
    ((x - b.x.0) / (b.x.1 - b.x.0) * s, (b.y.1 - y) / (b.y.1 - b.y.0) * s)
}

/// RGBA pixels (`res * res * 4` bytes) for the decision boundary. Each pixel takes the colour of
/// its most probable class; its strength is the confidence above chance, `(p - 1/C) / (1 - 1/C)`,
/// so a 50/50 region is white. `discretize` paints every pixel at full strength.
pub fn boundary_rgba(probs: &[f32], n_classes: usize, discretize: bool) -> Vec<u8> {
    let c = n_classes.max(1);
    let chance = 1.0 / c as f32;
    let mut out = Vec::with_capacity(probs.len() / c * 4);
    for row in probs.chunks(c) {
        let k = argmax(row);
        let conf = if c == 1 { 1.0 } else { ((row[k] - chance) / (1.0 - chance)).clamp(0.0, 1.0) };
        let strength = if discretize { 0.75 } else { 0.08 + 0.72 * conf };
        let col = class_color(k);
        for ch in col {
            out.push((255.0 + (ch as f32 - 255.0) * strength).round() as u8);
        }
        out.push(255);
    }
    out
}

/// An SVG path for a loss curve in a `w x h` box: x is the step, y is the loss on a log scale
/// (losses span decades), with the extremes of the data at the box edges.
pub fn loss_path(history: &[(usize, f32)], w: f32, h: f32) -> String {
    let pts: Vec<(f32, f32)> = history
        .iter()
        .filter(|(_, l)| l.is_finite() && *l > 0.0)
        .map(|(s, l)| (*s as f32, l.log10()))
        .collect();
    if pts.is_empty() {
        return String::new();
    }
    let (x0, x1) = (pts[0].0, pts[pts.len() - 1].0.max(pts[0].0 + 1.0));
    let (mut y0, mut y1) = (f32::INFINITY, f32::NEG_INFINITY);
    for p in &pts {
        y0 = y0.min(p.1);
        y1 = y1.max(p.1);
    }
    if y1 - y0 < 1e-6 {
        y0 -= 0.5;
        y1 += 0.5;
    }
    // At most ~2 points per pixel column keeps the DOM small for long runs.
    let stride = (pts.len() / (2 * w.max(1.0) as usize)).max(1);
    let mut d = String::new();
    for (i, (x, y)) in pts.iter().enumerate().filter(|(i, _)| i % stride == 0 || *i == pts.len() - 1) {
        let px = (x - x0) / (x1 - x0) * w;
        let py = h - (y - y0) / (y1 - y0) * h;
        d.push_str(&format!("{}{px:.1},{py:.1}", if i == 0 { "M" } else { "L" }));
    }
    d
}

/// The index of the point nearest to `(x, y)` within `radius` (data units), if any.
pub fn nearest_point(points: &[[f32; 2]], x: f32, y: f32, radius: f32) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for (i, p) in points.iter().enumerate() {
        let d = (p[0] - x).powi(2) + (p[1] - y).powi(2);
        if d <= radius * radius && best.is_none_or(|(_, bd)| d < bd) {
            best = Some((i, d));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Bounds = Bounds { x: (-1.0, 1.0), y: (-2.0, 2.0) };

    #[test]
    fn pixel_mapping_roundtrips_and_orients_y_up() {
        let (x, y) = pixel_to_data(B, 100, 0.0, 0.0);
        assert_eq!((x, y), (-1.0, 2.0));
        let (px, py) = data_to_pixel(B, 100, 0.5, -1.0);
        let (x, y) = pixel_to_data(B, 100, px, py);
        assert!((x - 0.5).abs() < 1e-6 && (y + 1.0).abs() < 1e-6);
    }

    #[test]
    fn grid_points_cover_the_view_top_row_first() {
        let g = grid_points(B, 4, 3);
        assert_eq!(g.len(), 4 * 4 * 3);
        assert!(g[1] > 0.0 && g[g.len() - 2] < 0.0, "first row is at the top");
        assert_eq!(g[2], 0.0);
    }

    #[test]
    fn boundary_colours_follow_argmax_and_confidence() {
        let px = boundary_rgba(&[0.9, 0.1, 0.5, 0.5, 0.0, 1.0], 2, false);
        assert_eq!(px.len(), 12);
        assert!(px[0] > px[2], "confident orange pixel is orange");
        assert!(px[4..7].iter().all(|&v| v > 230), "a tie is near white: {:?}", &px[4..7]);
        assert!(px[10] > px[8], "confident blue pixel is blue");
        let flat = boundary_rgba(&[0.6, 0.4, 0.99, 0.01], 2, true);
        assert_eq!(flat[0..4], flat[4..8]);
    }

    #[test]
    fn loss_path_is_drawn_inside_the_box() {
        let h: Vec<(usize, f32)> = (1..=50).map(|s| (s, 1.0 / s as f32)).collect();
        let d = loss_path(&h, 200.0, 50.0);
        assert!(d.starts_with("M0.0,0.0"));
        assert!(d.ends_with("L200.0,50.0"));
        assert_eq!(loss_path(&[], 10.0, 10.0), "");
    }

    #[test]
    fn nearest_point_respects_radius() {
        let pts = [[0.0, 0.0], [1.0, 1.0]];
        assert_eq!(nearest_point(&pts, 0.9, 0.9, 0.5), Some(1));
        assert_eq!(nearest_point(&pts, 5.0, 5.0, 0.5), None);
    }
}
