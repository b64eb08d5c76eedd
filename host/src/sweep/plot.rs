//! PNG plots of a sweep, drawn with plotters' bitmap backend and encoded with `png`.
//! Text uses DejaVu Sans embedded in the binary (through plotters' `ab_glyph` feature),
//! so no system font is needed.
//!
//! Each figure has side-by-side panels; a panel plots a metric against k on a log2 axis
//! (one line per mode that has a k) with every run without k (LoRA, PCA gradient) as a
//! dashed horizontal reference line.
use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::FontStyle;

use super::error::SweepError;

/// Figure size of one panel, in pixels.
pub const PANEL_SIZE: (u32, u32) = (640, 480);

/// A metric against k.
#[derive(Debug, Clone, Default)]
pub struct Panel {
    pub title: String,
    pub y_label: String,
    /// One line per label: (k, value) points.
    pub series: Vec<(String, Vec<(f64, f64)>)>,
    /// Horizontal reference lines: (label, value).
    pub baselines: Vec<(String, f64)>,
}

impl Panel {
    fn has_points(&self) -> bool {
        self.series.iter().any(|(_, points)| !points.is_empty())
    }
}

const FONT: &str = "sans-serif";

/// Matplotlib's "tab10" colours: distinct on white, colour-blind friendlier than the
/// default palette.
const COLOURS: [(u8, u8, u8); 10] = [
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

fn palette(index: usize) -> RGBColor {
    let (r, g, b) = COLOURS[index % COLOURS.len()];
    RGBColor(r, g, b)
}

fn register_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
                .map_err(|_| "the embedded DejaVu Sans font is not valid".to_string())
        })
        .clone()
}

/// Draws `panels` side by side and returns the PNG bytes; `None` when no panel has a
/// point to plot.
pub fn render(name: &str, panels: &[Panel]) -> Result<Option<Vec<u8>>, SweepError> {
    if !panels.iter().any(Panel::has_points) {
        return Ok(None);
    }
    let fail = |message: String| SweepError::Plot {
        name: name.to_string(),
        message,
    };
    register_font().map_err(fail)?;
    let (width, height) = (PANEL_SIZE.0 * panels.len() as u32, PANEL_SIZE.1);
    let mut rgb = vec![0u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
        for (area, panel) in root.split_evenly((1, panels.len())).iter().zip(panels) {
            draw_panel(area, panel).map_err(fail)?;
        }
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    encode_png(&rgb, width, height).map(Some).map_err(fail)
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

fn draw_panel(area: &Area<'_>, panel: &Panel) -> Result<(), String> {
    let ks: Vec<f64> = panel
        .series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(k, _)| *k))
        .collect();
    let mut keys: Vec<f64> = ks.iter().map(|k| k.max(1e-9).log2()).collect();
    keys.sort_by(f64::total_cmp);
    keys.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    let (x_lo, x_hi) = match (keys.first(), keys.last()) {
        (Some(lo), Some(hi)) => (lo - 0.5, hi + 0.5),
        _ => (-0.5, 0.5),
    };
    let values: Vec<f64> = panel
        .series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, y)| *y))
        .chain(panel.baselines.iter().map(|(_, y)| *y))
        .filter(|y| y.is_finite())
        .collect();
    let (y_lo, y_hi) = padded_range(&values);
    // Room above the data for the legend (one row per line).
    let rows = (panel.series.len() + panel.baselines.len()) as f64;
    let y_hi = y_hi + (y_hi - y_lo) * (0.08 * rows + 0.04);
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FONT, 20))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("k (log2 scale)")
        .y_desc(panel.y_label.as_str())
        .x_labels(((x_hi - x_lo).ceil() as usize + 1).max(2))
        .x_label_formatter(&|x| power_of_two_label(*x))
        .y_label_formatter(&|y| format!("{y:.3}"))
        .light_line_style(RGBColor(238, 238, 238))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(|e| err(&e))?;
    let mut colour_index = 0;
    for (label, points) in &panel.series {
        let colour = palette(colour_index);
        colour_index += 1;
        let mut sorted: Vec<(f64, f64)> = points
            .iter()
            .map(|(k, y)| (k.max(1e-9).log2(), *y))
            .collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        chart
            .draw_series(LineSeries::new(sorted.clone(), colour.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
            });
        chart
            .draw_series(sorted.iter().map(|p| Circle::new(*p, 4, colour.filled())))
            .map_err(|e| err(&e))?;
    }
    for (label, y) in &panel.baselines {
        let colour = palette(colour_index);
        colour_index += 1;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x_lo, *y), (x_hi, *y)],
                8,
                6,
                colour.stroke_width(2),
            ))
            .map_err(|e| err(&e))?
            .label(label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    Ok(())
}

/// The label of log2 position `x`: 2^x at whole positions, nothing between them.
fn power_of_two_label(x: f64) -> String {
    if (x - x.round()).abs() < 1e-6 {
        format!("{}", 2f64.powf(x.round()) as i64)
    } else {
        String::new()
    }
}

/// A y range around `values` with 8% padding (and a sensible span for one value).
fn padded_range(values: &[f64]) -> (f64, f64) {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let span = (hi - lo).max(hi.abs() * 0.1).max(1e-3);
    (lo - span * 0.08, hi + span * 0.08)
}

/// 8-bit RGB → PNG.
fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(rgb).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panel_renders_to_a_png_of_the_panel_size() {
        let panel = Panel {
            title: "in-domain accuracy".into(),
            y_label: "accuracy".into(),
            series: vec![("clora".into(), vec![(1.0, 0.5), (4.0, 0.6), (16.0, 0.55)])],
            baselines: vec![("lora".into(), 0.58)],
        };
        let png = render("test", &[panel.clone(), panel]).unwrap().unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((width, height), (2 * PANEL_SIZE.0, PANEL_SIZE.1));
        let decoder = png::Decoder::new(std::io::Cursor::new(&png));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut pixels).unwrap();
        let non_white = pixels.chunks(3).filter(|p| p != &[255, 255, 255]).count();
        assert!(
            non_white > 5_000,
            "the plot draws something: {non_white} pixels"
        );
    }

    #[test]
    fn nothing_to_plot_gives_no_png() {
        let panel = Panel {
            baselines: vec![("lora".into(), 0.5)],
            ..Default::default()
        };
        assert!(render("empty", &[panel]).unwrap().is_none());
    }
}
