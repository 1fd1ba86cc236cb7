//! Pure functions from model outputs to pixels and paths. No DOM, no device: tested natively.

use crate::classifiers::Marker;
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
    let log = loss_is_log(history);
    let pts: Vec<(f32, f32)> = history
        .iter()
        .filter(|(_, l)| l.is_finite())
        .map(|(s, l)| (*s as f32, if log { l.log10() } else { *l }))
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

/// Losses are drawn on a log scale when they are all positive; objectives that go negative
/// (a prototype model's cluster reward) on a linear one.
pub fn loss_is_log(history: &[(usize, f32)]) -> bool {
    history.iter().filter(|(_, l)| l.is_finite()).all(|(_, l)| *l > 0.0)
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

/// An SVG path (`d` attribute) for a marker centred at `(x, y)` with half-size `r` pixels; the
/// canvas draws the same string through `Path2D`, so the view and the figures agree.
pub fn marker_path(marker: Marker, x: f32, y: f32, r: f32) -> String {
    let circle = |r: f32| format!("M{:.1},{y:.1}a{r:.1},{r:.1} 0 1,0 {:.1},0a{r:.1},{r:.1} 0 1,0 {:.1},0Z", x - r, 2.0 * r, -2.0 * r);
    match marker {
        Marker::Diamond | Marker::HollowDiamond => format!("M{x:.1},{:.1}L{:.1},{y:.1}L{x:.1},{:.1}L{:.1},{y:.1}Z", y - r, x + r, y + r, x - r),
        Marker::Star => {
            let mut d = String::new();
            for k in 0..10 {
                let a = std::f32::consts::PI * (k as f32 / 5.0 - 0.5);
                let rr = if k % 2 == 0 { r * 1.25 } else { r * 0.5 };
                d.push_str(&format!("{}{:.1},{:.1}", if k == 0 { "M" } else { "L" }, x + rr * a.cos(), y + rr * a.sin()));
            }
            d + "Z"
        }
        Marker::Dot | Marker::Ring => circle(r * 0.85),
        Marker::Small => circle(1.8),
    }
}

/// Whether a marker is drawn as an outline in its class colour (the others are filled).
pub fn is_hollow(marker: Marker) -> bool {
    matches!(marker, Marker::HollowDiamond | Marker::Ring)
}

/// Maps 2-D points into a `size x size` box with a margin, keeping the aspect ratio: returns
/// `(scale, offset_x, offset_y)` so that pixel = `(x * scale + ox, oy - y * scale)` (y up).
pub fn fit_square(points: impl Iterator<Item = (f32, f32)>, size: f32, margin: f32) -> (f32, f32, f32) {
    let (mut x0, mut x1, mut y0, mut y1) = (f32::INFINITY, f32::NEG_INFINITY, f32::INFINITY, f32::NEG_INFINITY);
    for (x, y) in points.filter(|(x, y)| x.is_finite() && y.is_finite()) {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if !x0.is_finite() {
        return (1.0, size / 2.0, size / 2.0);
    }
    let span = (x1 - x0).max(y1 - y0).max(1e-6);
    let scale = (size - 2.0 * margin) / span;
    let ox = size / 2.0 - (x0 + x1) / 2.0 * scale;
    let oy = size / 2.0 + (y0 + y1) / 2.0 * scale;
    (scale, ox, oy)
}

/// Histogram bars in a `w x h` box: `(x, y, width, height)` per count, tallest bar full height.
pub fn histogram_bars(counts: &[usize], w: f32, h: f32) -> Vec<(f32, f32, f32, f32)> {
    let top = counts.iter().copied().max().unwrap_or(0).max(1) as f32;
    let bw = w / counts.len().max(1) as f32;
    counts.iter().enumerate().map(|(i, &c)| {
        let bh = c as f32 / top * h;
        (i as f32 * bw + 0.5, h - bh, (bw - 1.0).max(0.5), bh)
    }).collect()
}

/// Axis ranges of a line chart: `[x0, x1, y0, y1]` over every finite point (x as `log10` when
/// `log_x`), padded so flat curves still have height.
pub fn chart_range(series: &[&[[f32; 2]]], log_x: bool) -> [f32; 4] {
    let (mut x0, mut x1, mut y0, mut y1) = (f32::INFINITY, f32::NEG_INFINITY, f32::INFINITY, f32::NEG_INFINITY);
    for p in series.iter().flat_map(|s| s.iter()) {
        let x = if log_x { p[0].max(1e-30).log10() } else { p[0] };
        if x.is_finite() && p[1].is_finite() {
            (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(p[1]), y1.max(p[1]));
        }
    }
    if !x0.is_finite() {
        return [0.0, 1.0, 0.0, 1.0];
    }
    if y1 - y0 < 1e-9 {
        (y0, y1) = (y0 - 0.5, y1 + 0.5);
    }
    [x0, x1.max(x0 + 1e-6), y0, y1]
}

/// An SVG path through `points` in a `w x h` box for the ranges of [`chart_range`] (y up);
/// non-finite points break the line.
pub fn chart_path(points: &[[f32; 2]], range: [f32; 4], log_x: bool, w: f32, h: f32) -> String {
    let [x0, x1, y0, y1] = range;
    let mut d = String::new();
    let mut pen = false;
    for p in points {
        let x = if log_x { p[0].max(1e-30).log10() } else { p[0] };
        if !(x.is_finite() && p[1].is_finite()) {
            pen = false;
            continue;
        }
        let (px, py) = ((x - x0) / (x1 - x0) * w, h - (p[1] - y0) / (y1 - y0) * h);
        d.push_str(&format!("{}{px:.1},{py:.1}", if pen { "L" } else { "M" }));
        pen = true;
    }
    d
}

/// The draggable marker under canvas pixel `(px, py)` (within `radius` pixels, nearest first):
/// `(overlay index, row)`.
pub fn hit_marker(overlays: &[crate::train::ResolvedOverlay], b: Bounds, size: usize, px: f32, py: f32, radius: f32) -> Option<(usize, usize)> {
    let mut best: Option<((usize, usize), f32)> = None;
    for (o, ov) in overlays.iter().enumerate().filter(|(_, o)| o.draggable && o.kind == crate::classifiers::OverlayKind::Markers && o.width >= 2) {
        for (r, row) in ov.coords.chunks(ov.width).enumerate() {
            let (x, y) = data_to_pixel(b, size, row[0], row[1]);
            let d = (x - px).powi(2) + (y - py).powi(2);
            if d <= radius * radius && best.is_none_or(|(_, bd)| d < bd) {
                best = Some(((o, r), d));
            }
        }
    }
    best.map(|(hit, _)| hit)
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
        // A loss that goes negative is drawn on a linear scale, every step kept.
        let neg: Vec<(usize, f32)> = (0..10).map(|s| (s, 1.0 - s as f32 * 0.3)).collect();
        assert!(!loss_is_log(&neg) && loss_is_log(&h));
        assert_eq!(loss_path(&neg, 90.0, 50.0).matches('L').count(), 9);
    }

    #[test]
    fn markers_fit_and_figures_fit_their_boxes() {
        for m in [Marker::Diamond, Marker::HollowDiamond, Marker::Star, Marker::Dot, Marker::Ring, Marker::Small] {
            let d = marker_path(m, 50.0, 40.0, 6.0);
            assert!(d.starts_with('M') && d.ends_with('Z'), "{m:?}: {d}");
            // Every coordinate lies within 1.25 r of the centre (the star's points reach 1.25 r).
            let nums: Vec<f32> = d.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-')).filter_map(|t| t.parse().ok()).collect();
            if matches!(m, Marker::Diamond | Marker::Star) {
                for xy in nums.chunks(2) {
                    assert!((xy[0] - 50.0).abs() <= 7.6 && (xy[1] - 40.0).abs() <= 7.6, "{m:?}: {xy:?}");
                }
            }
        }
        assert!(is_hollow(Marker::Ring) && !is_hollow(Marker::Star));
        let pts = [(-1.0, 0.0), (3.0, 2.0)];
        let (s, ox, oy) = fit_square(pts.iter().copied(), 100.0, 10.0);
        for (x, y) in pts {
            let (px, py) = (x * s + ox, oy - y * s);
            assert!((10.0 - 1e-3..=90.0 + 1e-3).contains(&px) && (10.0 - 1e-3..=90.0 + 1e-3).contains(&py), "{px},{py}");
        }
        let bars = histogram_bars(&[1, 4, 0, 2], 80.0, 40.0);
        assert_eq!(bars.len(), 4);
        assert_eq!(bars[1].3, 40.0);
        assert_eq!(bars[2].3, 0.0);
        assert!(bars.iter().all(|b| b.0 >= 0.0 && b.0 + b.2 <= 80.0 && (b.1 + b.3 - 40.0).abs() < 1e-4));
    }

    #[test]
    fn figure_histograms_count_every_value_once() {
        let v = [0.0, 0.1, 0.5, 1.2, 1.2, 0.9];
        let crate::classifiers::FigureView::Histogram { edges, counts, .. } = crate::classifiers::FigureView::histogram(&v, "x", String::new()) else { panic!("a histogram") };
        assert_eq!(counts.iter().sum::<usize>(), v.len());
        assert_eq!((edges.len(), edges[0], *edges.last().unwrap()), (counts.len() + 1, 0.0, 1.2));
        assert_eq!(counts[counts.len() - 1], 2, "the largest values fall in the last bin");
    }

    #[test]
    fn only_draggable_markers_are_hit() {
        use crate::classifiers::OverlayKind;
        use crate::train::ResolvedOverlay;
        let o = |draggable, kind| ResolvedOverlay { label: "p".into(), kind, coords: vec![0.0, 0.0, 0.5, 1.0], width: 2, classes: vec![0, 1], marker: Marker::Star, draggable, on_hover: false };
        let overlays = [o(false, OverlayKind::Markers), o(true, OverlayKind::Circles), o(true, OverlayKind::Markers)];
        let (px, py) = data_to_pixel(B, 100, 0.5, 1.0);
        assert_eq!(hit_marker(&overlays, B, 100, px + 3.0, py, 5.0), Some((2, 1)));
        assert_eq!(hit_marker(&overlays, B, 100, px + 30.0, py, 5.0), None);
    }

    #[test]
    fn nearest_point_respects_radius() {
        let pts = [[0.0, 0.0], [1.0, 1.0]];
        assert_eq!(nearest_point(&pts, 0.9, 0.9, 0.5), Some(1));
        assert_eq!(nearest_point(&pts, 5.0, 5.0, 0.5), None);
    }
}
