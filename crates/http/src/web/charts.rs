//! Line charts as inline SVG (no script, no image requests): one polyline per
//! series over the days, a zero-based y axis with its maximum, the first and
//! last day on the x axis, and a legend; the numbers are in a table beside it
//! for screen readers and for anyone who wants them.

use crate::l10n::{reader, t};
use maud::{Markup, html};

/// One line.
pub(crate) struct Series {
    /// Its legend.
    pub name: String,
    /// One value per day.
    pub values: Vec<f64>,
}

const W: f64 = 640.0;
const H: f64 = 200.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 8.0;
/// The series' colours (the legend's swatches `.c0`…`.c6` in `app.css` match).
const COLORS: [&str; 7] = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#6b7280"];

/// The points of one series in the plot area (x by index, y scaled to `max`).
fn points(values: &[f64], max: f64) -> String {
    let n = values.len();
    let step = if n > 1 { (W - LEFT - 8.0) / (n - 1) as f64 } else { 0.0 };
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = LEFT + step * i as f64;
            let y = TOP + (H - TOP - BOTTOM) * (1.0 - if max > 0.0 { v / max } else { 0.0 });
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A value as the reader writes it: `12.50` in English, `12,50` in Dutch.
fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else if reader().language() == tenantry_i18n::Language::Nl {
        format!("{v:.2}").replace('.', ",")
    } else {
        format!("{v:.2}")
    }
}

/// The chart, and its data as a table.
pub(crate) fn line_chart(title: &str, days: &[String], series: &[Series]) -> Markup {
    let max = series.iter().flat_map(|s| s.values.iter().copied()).fold(0.0_f64, f64::max);
    let base = H - BOTTOM;
    html! {
        svg viewBox={ "0 0 " (W) " " (H) } role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            line x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(base) stroke="#9ca3af" {}
            line x1=(LEFT) y1=(base) x2=(W - 8.0) y2=(base) stroke="#9ca3af" {}
            text x=(LEFT - 4.0) y=(TOP + 8.0) text-anchor="end" font-size="11" { (number(max)) }
            text x=(LEFT - 4.0) y=(base) text-anchor="end" font-size="11" { "0" }
            @if let Some(first) = days.first() {
                text x=(LEFT) y=(H - 6.0) font-size="11" { (first) }
            }
            @if let (Some(last), true) = (days.last(), days.len() > 1) {
                text x=(W - 8.0) y=(H - 6.0) text-anchor="end" font-size="11" { (last) }
            }
            @for (i, s) in series.iter().enumerate() {
                @let color = COLORS[i % COLORS.len()];
                @if s.values.len() == 1 {
                    circle cx=(LEFT) cy=(points(&s.values, max).split(',').nth(1).unwrap_or("0")) r="3" fill=(color) {}
                } @else {
                    polyline points=(points(&s.values, max)) fill="none" stroke=(color) stroke-width="2" {}
                }
            }
        }
        ul.legend {
            @for (i, s) in series.iter().enumerate() {
                li { span class={ "swatch c" (i % COLORS.len()) } {} (s.name) }
            }
        }
        details {
            summary { (t!("billing-chart-numbers")) }
            table {
                thead { tr {
                    th scope="col" { (t!("billing-chart-day")) } @for s in series { th.num scope="col" { (s.name) } }
                } }
                tbody {
                    @for (d, day) in days.iter().enumerate() {
                        tr { th scope="row" { (day) } @for s in series { td.num { (s.values.get(d).map(|v| number(*v)).unwrap_or_default()) } } }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_value_touches_the_top_and_zero_the_axis() {
        let p = points(&[0.0, 5.0, 10.0], 10.0);
        let ys: Vec<f64> = p.split(' ').filter_map(|xy| xy.split(',').nth(1)?.parse().ok()).collect();
        assert_eq!(ys, vec![H - BOTTOM, TOP + (H - TOP - BOTTOM) / 2.0, TOP]);
        let xs: Vec<f64> = p.split(' ').filter_map(|xy| xy.split(',').next()?.parse().ok()).collect();
        assert_eq!(xs.first().copied(), Some(LEFT));
        assert_eq!(xs.last().copied(), Some(W - 8.0));
    }

    #[test]
    fn an_all_zero_series_lies_on_the_axis_and_the_table_has_every_number() {
        let svg = line_chart("t", &["01".into(), "02".into()], &[Series { name: "a".into(), values: vec![0.0, 0.0] }])
            .into_string();
        assert!(svg.contains(&format!("{LEFT:.1},{:.1}", H - BOTTOM)), "{svg}");
        assert!(svg.contains("<td class=\"num\">0</td>"), "{svg}");
    }
}
