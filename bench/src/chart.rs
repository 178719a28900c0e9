// The results as a bar chart in SVG: one bar per row, messages per second
// on a logarithmic scale, coloured by client.

use std::path::Path;

use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::RangedCoordusize;
use plotters::prelude::*;

use crate::report::{thousands, Row};

const RUST: RGBColor = RGBColor(0xb7, 0x41, 0x0e);
const PYTHON: RGBColor = RGBColor(0x30, 0x69, 0x98);
const JAVA: RGBColor = RGBColor(0x5a, 0x8f, 0x29);

fn color(client: &str) -> RGBColor {
    match client {
        "rust" => RUST,
        "python" => PYTHON,
        _ => JAVA,
    }
}

/// The chart's drawing area: messages per second on a logarithmic x axis,
/// one segment per slot on the y axis.
type Chart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<LogCoord<f64>, SegmentedCoord<RangedCoordusize>>>;

/// The bars' rows from top to bottom: three empty slots for the legend,
/// then the rows, with an empty slot between message counts. Returns the
/// number of slots and each row's y.
fn layout(rows: &[Row]) -> (usize, Vec<Option<usize>>, Vec<usize>) {
    let mut slots: Vec<Option<usize>> = vec![None; 3];
    for (i, row) in rows.iter().enumerate() {
        if i > 0 && rows[i - 1].messages != row.messages {
            slots.push(None);
        }
        slots.push(Some(i));
    }
    let n = slots.len();
    let mut y_of = vec![0; rows.len()];
    for (k, slot) in slots.iter().enumerate() {
        if let Some(i) = slot {
            y_of[*i] = n - 1 - k;
        }
    }
    (n, slots, y_of)
}

/// Writes `rows` (already sorted) as a chart to `path`.
pub fn write_svg(path: &Path, title: &str, rows: &[Row]) -> anyhow::Result<()> {
    let rates: Vec<Option<f64>> = rows
        .iter()
        .map(|row| {
            row.result
                .as_ref()
                .ok()
                .map(|m| m.msgs_per_sec(row.messages))
        })
        .collect();
    let top = rates.iter().flatten().fold(10.0_f64, |a, &b| a.max(b));
    // Room on the right for the numbers at the end of the bars.
    let x_max = 10f64.powf((top * 30.0).log10().ceil());
    let (n, slots, y_of) = layout(rows);
    let bars: Vec<Bar> = rows
        .iter()
        .zip(rates)
        .zip(y_of)
        .map(|((row, rate), y)| Bar { row, rate, y })
        .collect();

    let height = 80 + 24 * n as u32;
    let root = SVGBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE).map_err(draw_error)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .margin_right(40)
        .x_label_area_size(40)
        .y_label_area_size(330)
        .build_cartesian_2d((X_MIN..x_max).log_scale(), (0..n).into_segmented())
        .map_err(draw_error)?;
    let labels: Vec<String> = slots
        .iter()
        .rev()
        .map(|slot| match slot {
            Some(i) => format!(
                "{} · {}",
                thousands(rows[*i].messages as f64),
                rows[*i].label()
            ),
            None => String::new(),
        })
        .collect();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(k) if *k < n => labels[*k].clone(),
            _ => String::new(),
        })
        .x_desc("messages per second (logarithmic)")
        .x_label_formatter(&|x| thousands(*x))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(draw_error)?;
    draw_bars(&mut chart, &bars)?;
    draw_notes(&mut chart, &bars)?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(draw_error)?;
    root.present().map_err(draw_error)?;
    Ok(())
}

/// Where the bars start: one message per second.
const X_MIN: f64 = 1.0;

/// A row of the chart: its messages per second (none when skipped) and
/// where it stands.
struct Bar<'a> {
    row: &'a Row,
    rate: Option<f64>,
    y: usize,
}

/// One bar per measured row, a series per client, each in the legend.
fn draw_bars(chart: &mut Chart<'_, '_>, bars: &[Bar]) -> anyhow::Result<()> {
    for client in ["rust", "python", "java"] {
        let rectangles: Vec<_> = bars
            .iter()
            .filter(|bar| bar.row.client == client)
            .filter_map(|&Bar { rate, y, .. }| {
                let mut bar = Rectangle::new(
                    [
                        (X_MIN, SegmentValue::Exact(y)),
                        (rate?.max(X_MIN), SegmentValue::Exact(y + 1)),
                    ],
                    color(client).filled(),
                );
                bar.set_margin(3, 3, 0, 0);
                Some(bar)
            })
            .collect();
        if rectangles.is_empty() {
            continue;
        }
        let name = match client {
            "rust" => "Rust (rdkafka)",
            "python" => "Python notebook (confluent-kafka)",
            _ => "kafka-producer-perf-test (Java)",
        };
        chart
            .draw_series(rectangles)
            .map_err(draw_error)?
            .label(name)
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 12, y + 5)], color(client).filled())
            });
    }
    Ok(())
}

/// The number at the end of each bar, or why there is no bar.
fn draw_notes(chart: &mut Chart<'_, '_>, bars: &[Bar]) -> anyhow::Result<()> {
    let left_centre = plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Left,
        plotters::style::text_anchor::VPos::Center,
    );
    let notes = bars.iter().map(|&Bar { row, rate, y }| {
        let (x, text) = match (rate, &row.result) {
            (Some(rate), _) => (rate * 1.15, format!("{} msg/s", thousands(rate))),
            (None, Err(reason)) => (X_MIN * 1.15, reason.clone()),
            (None, Ok(_)) => (X_MIN, String::new()),
        };
        Text::new(
            text,
            (x, SegmentValue::CenterOf(y)),
            ("sans-serif", 12)
                .into_font()
                .color(&BLACK)
                .pos(left_centre),
        )
    });
    chart.draw_series(notes).map_err(draw_error)?;
    Ok(())
}

fn draw_error<E: std::fmt::Debug>(err: E) -> anyhow::Error {
    anyhow::anyhow!("could not draw the chart: {err:?}")
}
