//! The statistics charts, drawn on the server as SVG with `plotters`: a transparent background
//! and a mid grey for text and axes, so one image reads on the dashboard's light and dark
//! themes; each chart's numbers are also in a table beside it.

use plotters::prelude::*;

use crate::store::DayCount;

/// Axis and label colour, readable on white and on near-black.
const INK: RGBColor = RGBColor(0x8a, 0x8f, 0x98);
/// The first series.
const BLUE: RGBColor = RGBColor(0x3d, 0x7f, 0xe0);
/// The second series.
const ORANGE: RGBColor = RGBColor(0xe0, 0x7b, 0x2d);
/// Size of every chart.
const SIZE: (u32, u32) = (720, 320);

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("drawing a chart: {0}")]
pub struct ChartError(String);

fn failed<E: std::fmt::Debug>(error: E) -> ChartError {
    ChartError(format!("{error:?}"))
}

/// Tickets opened and closed per day, as two lines.
pub fn daily(days: &[DayCount], opened: &str, closed: &str) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let top = days
            .iter()
            .map(|d| d.opened.max(d.closed))
            .max()
            .unwrap_or(0)
            .max(1);
        let n = days.len().max(2) as u32 - 1;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(36)
            .build_cartesian_2d(0u32..n, 0u64..top + top / 5 + 1)
            .map_err(failed)?;
        let label = |i: &u32| {
            days.get(*i as usize)
                .map(|d| d.day.format("%m-%d").to_string())
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .axis_style(INK)
            .label_style(("sans-serif", 13).into_font().color(&INK))
            .x_labels(8)
            .y_labels(5)
            .x_label_formatter(&label)
            .draw()
            .map_err(failed)?;
        for (values, colour, name) in [
            (
                days.iter().map(|d| d.opened).collect::<Vec<_>>(),
                BLUE,
                opened,
            ),
            (
                days.iter().map(|d| d.closed).collect::<Vec<_>>(),
                ORANGE,
                closed,
            ),
        ] {
            chart
                .draw_series(LineSeries::new(
                    values.iter().enumerate().map(|(i, v)| (i as u32, *v)),
                    colour.stroke_width(2),
                ))
                .map_err(failed)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 13).into_font().color(&INK))
            .border_style(INK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

/// One bar per labelled value (e.g. a median in minutes per staff member); labels are cut to
/// 16 characters.
pub fn bars(items: &[(String, f64)], unit: &str) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let top = items
            .iter()
            .map(|(_, v)| *v)
            .fold(0.0_f64, f64::max)
            .max(1.0);
        let n = items.len().max(1) as u32;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(48)
            .build_cartesian_2d((0u32..n).into_segmented(), 0.0..top * 1.2)
            .map_err(failed)?;
        let label = |segment: &SegmentValue<u32>| match segment {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => items
                .get(*i as usize)
                .map(|(l, _)| l.chars().take(16).collect())
                .unwrap_or_default(),
            SegmentValue::Last => String::new(),
        };
        let y_label = |v: &f64| {
            let number = if (v - v.round()).abs() < 1e-9 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            };
            format!("{number} {unit}").trim_end().to_owned()
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .axis_style(INK)
            .label_style(("sans-serif", 13).into_font().color(&INK))
            .x_labels(items.len().max(1))
            .y_labels(5)
            .x_label_formatter(&label)
            .y_label_formatter(&y_label)
            .draw()
            .map_err(failed)?;
        chart
            .draw_series(
                Histogram::vertical(&chart)
                    .style(BLUE.filled())
                    .margin(12)
                    .data(items.iter().enumerate().map(|(i, (_, v))| (i as u32, *v))),
            )
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_their_labels_and_no_background() {
        let days: Vec<DayCount> = (1..=3)
            .map(|d| DayCount {
                day: chrono::NaiveDate::from_ymd_opt(2026, 12, d).unwrap(),
                opened: u64::from(d),
                closed: 1,
            })
            .collect();
        let svg = daily(&days, "opened", "closed").unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("12-01") && svg.contains("opened"));
        assert!(!svg.contains(
            "<rect x=\"0\" y=\"0\" width=\"720\" height=\"320\" opacity=\"1\" fill=\"#FFFFFF\""
        ));
        let svg = bars(
            &[("Officer Reyes".into(), 12.5), ("<b>".into(), 3.0)],
            "min",
        )
        .unwrap();
        assert!(svg.contains("Officer Reyes"));
        assert!(!svg.contains("<b>"), "labels are escaped");
    }
}
