//! The usage chart's geometry: one stacked bar per step of `GET /api/v1/metrics`, a part per
//! variant, in a fixed view box the SVG scales to its width. Computed here, not in the
//! component, so that the scale, the ticks and the numbers each bar shows are tested natively.

use std::collections::BTreeSet;

use burgee_api::{MetricsBody, MetricsPoint};
use burgee_core::time::{format_rfc3339, parse_rfc3339};

use super::values::display_time;

/// The view box: wide enough for 30 daily bars with labels, readable at 1280 px.
pub const WIDTH: f64 = 960.0;
pub const HEIGHT: f64 = 280.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 44.0;
/// The plot's bottom edge, where the x axis is.
pub const BASE: f64 = HEIGHT - BOTTOM;

/// The name under which evaluations that served no variant (the caller's default) are drawn.
pub const DEFAULT_SERIES: &str = "caller's default";

/// A range the chart offers: its button, its length and the step asked for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub label: &'static str,
    pub span_ms: i64,
    /// Seconds.
    pub step: u32,
}

const HOUR_MS: i64 = 3_600_000;

pub const RANGES: [Range; 3] = [
    Range {
        label: "24 h",
        span_ms: 24 * HOUR_MS,
        step: 3_600,
    },
    Range {
        label: "7 d",
        span_ms: 7 * 24 * HOUR_MS,
        step: 6 * 3_600,
    },
    Range {
        label: "30 d",
        span_ms: 30 * 24 * HOUR_MS,
        step: 24 * 3_600,
    },
];

/// One variant's part of a bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub series: usize,
    pub count: u64,
    pub y: f64,
    pub height: f64,
}

/// One step.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// The step's start, as the API wrote it.
    pub start: String,
    pub x: f64,
    pub width: f64,
    pub evaluations: u64,
    pub parts: Vec<Part>,
    /// What hovering says: the step, its total and every variant's count.
    pub title: String,
}

/// A label on an axis, at `at` (x for the time axis, y for the count axis).
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub at: f64,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// The legend's names, in stacking order (bottom first): variants by name, then the
    /// caller's default when any step has one.
    pub series: Vec<String>,
    pub bars: Vec<Bar>,
    pub y_ticks: Vec<Tick>,
    pub x_ticks: Vec<Tick>,
    /// The plot's left and right edges.
    pub left: f64,
    pub right: f64,
}

/// 1, 2 or 5 times a power of ten, at least `x`.
fn nice(x: u64) -> u64 {
    let mut p = 1u64;
    loop {
        for m in [1, 2, 5] {
            if p.saturating_mul(m) >= x {
                return p.saturating_mul(m);
            }
        }
        p = p.saturating_mul(10);
    }
}

/// `12345` → `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How a step's start is labelled: the time of day for hourly steps over a day, the date and
/// time for finer steps over longer, the date for daily steps (all UTC).
fn time_label(start_ms: i64, step: i64, span_ms: i64) -> String {
    let text = format_rfc3339(start_ms);
    let (date, time) = (
        text.get(5..10).unwrap_or(""),
        text.get(11..16).unwrap_or(""),
    );
    if step >= 86_400 {
        date.to_string()
    } else if span_ms <= 24 * HOUR_MS + step * 1000 {
        time.to_string()
    } else {
        format!("{date} {time}")
    }
}

/// What `point` served no variant for: the caller's default.
fn unattributed(point: &MetricsPoint) -> u64 {
    point
        .evaluations
        .saturating_sub(point.variants.values().sum::<u64>())
}

/// The legend's names: every variant any step served, then the caller's default if any.
fn series_names(body: &MetricsBody) -> Vec<String> {
    let names: BTreeSet<&String> = body.series.iter().flat_map(|p| p.variants.keys()).collect();
    let mut series: Vec<String> = names.into_iter().cloned().collect();
    if body.series.iter().any(|p| unattributed(p) > 0) {
        series.push(DEFAULT_SERIES.into());
    }
    series
}

fn title(point: &MetricsPoint, when: &str, series: &[String]) -> String {
    let mut text = format!("{when}: {} evaluations", thousands(point.evaluations));
    let counts: Vec<String> = series
        .iter()
        .map(|name| {
            let n = if name == DEFAULT_SERIES {
                unattributed(point)
            } else {
                point.variants.get(name).copied().unwrap_or(0)
            };
            format!("{name} {}", thousands(n))
        })
        .collect();
    if !counts.is_empty() {
        text.push_str(" (");
        text.push_str(&counts.join(", "));
        text.push(')');
    }
    text
}

impl Chart {
    pub fn new(body: &MetricsBody) -> Chart {
        let series = series_names(body);
        let max = body.series.iter().map(|p| p.evaluations).max().unwrap_or(0);
        let tick = nice(max.div_ceil(4).max(1));
        let top = (max.div_ceil(tick).max(1)) * tick;
        let scale = (BASE - TOP) / top as f64;
        let right = WIDTH - RIGHT;
        let slot = (right - LEFT) / body.series.len().max(1) as f64;
        let span_ms = match (parse_rfc3339(&body.from), parse_rfc3339(&body.to)) {
            (Some(f), Some(t)) => t - f,
            _ => 24 * HOUR_MS,
        };
        let bars = body
            .series
            .iter()
            .enumerate()
            .map(|(i, point)| {
                let x = LEFT + slot * i as f64;
                let when = display_time(parse_rfc3339(&point.start).unwrap_or(0));
                let mut y = BASE;
                let parts = series
                    .iter()
                    .enumerate()
                    .filter_map(|(s, name)| {
                        let count = if name == DEFAULT_SERIES {
                            unattributed(point)
                        } else {
                            point.variants.get(name).copied().unwrap_or(0)
                        };
                        (count > 0).then(|| {
                            let height = count as f64 * scale;
                            y -= height;
                            Part {
                                series: s,
                                count,
                                y,
                                height,
                            }
                        })
                    })
                    .collect();
                Bar {
                    start: point.start.clone(),
                    x,
                    width: slot,
                    evaluations: point.evaluations,
                    parts,
                    title: title(point, &when, &series),
                }
            })
            .collect::<Vec<_>>();
        let y_ticks = (0..=top / tick)
            .map(|k| Tick {
                at: BASE - (k * tick) as f64 * scale,
                label: thousands(k * tick),
            })
            .collect();
        // About six labels, on whole bars.
        let every = bars.len().div_ceil(6).max(1);
        let x_ticks = body
            .series
            .iter()
            .enumerate()
            .filter(|(i, _)| i % every == 0)
            .map(|(i, p)| Tick {
                at: LEFT + slot * (i as f64 + 0.5),
                label: time_label(parse_rfc3339(&p.start).unwrap_or(0), body.step, span_ms),
            })
            .collect();
        Chart {
            series,
            bars,
            y_ticks,
            x_ticks,
            left: LEFT,
            right,
        }
    }
}

/// Text for XML: keys and variant names are plain, but a title is never trusted to be.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Chart {
    /// The chart as SVG markup, labelled `label`. Colours are the stylesheet's (`.s0`…`.s7`,
    /// by series), so the legend beside it uses the same. Each step is a group holding an
    /// invisible full-height target whose `<title>` is what hovering shows.
    pub fn svg(&self, label: &str) -> String {
        use std::fmt::Write;
        let mut out = format!(
            r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}">"#,
            escape(label)
        );
        for t in &self.y_ticks {
            let _ = write!(
                out,
                r#"<line class="grid" x1="{l}" x2="{r}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{x}" y="{ty:.1}" text-anchor="end">{}</text>"#,
                escape(&t.label),
                l = self.left,
                r = self.right,
                y = t.at,
                x = self.left - 6.0,
                ty = t.at + 4.0,
            );
        }
        for t in &self.x_ticks {
            let _ = write!(
                out,
                r#"<text class="tick" x="{x:.1}" y="{y}" text-anchor="middle">{}</text>"#,
                escape(&t.label),
                x = t.at,
                y = BASE + 18.0,
            );
        }
        let _ = write!(
            out,
            r#"<text class="axis-title" x="{x:.1}" y="{y}" text-anchor="middle">time (UTC)</text><text class="axis-title" x="14" y="{my:.1}" text-anchor="middle" transform="rotate(-90 14 {my:.1})">evaluations</text><line class="axis" x1="{l}" x2="{r}" y1="{BASE}" y2="{BASE}"/>"#,
            x = (self.left + self.right) / 2.0,
            y = HEIGHT - 4.0,
            my = (TOP + BASE) / 2.0,
            l = self.left,
            r = self.right,
        );
        for bar in &self.bars {
            let _ = write!(
                out,
                r#"<g class="step" data-start="{}" data-evaluations="{}"><title>{}</title><rect class="target" x="{x:.2}" y="{TOP}" width="{w:.2}" height="{h:.1}"/>"#,
                escape(&bar.start),
                bar.evaluations,
                escape(&bar.title),
                x = bar.x,
                w = bar.width,
                h = BASE - TOP,
            );
            // A gap between bars, a fifth of the slot at most 8 units.
            let gap = (bar.width / 5.0).min(8.0);
            for part in &bar.parts {
                let name = self.series.get(part.series).map_or("", String::as_str);
                let _ = write!(
                    out,
                    r#"<rect class="part s{}" data-variant="{}" data-count="{}" x="{x:.2}" y="{y:.2}" width="{w:.2}" height="{h:.2}"/>"#,
                    part.series % 8,
                    escape(name),
                    part.count,
                    x = bar.x + gap / 2.0,
                    y = part.y,
                    w = bar.width - gap,
                    h = part.height,
                );
            }
            out.push_str("</g>");
        }
        out.push_str("</svg>");
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use burgee_metrics::series::{Resolution, Totals};
    use std::collections::BTreeMap;

    fn point(start: &str, on: u64, off: u64, default: u64) -> MetricsPoint {
        let mut variants = BTreeMap::new();
        if on > 0 {
            variants.insert("on".to_string(), on);
        }
        if off > 0 {
            variants.insert("off".to_string(), off);
        }
        MetricsPoint {
            start: start.into(),
            evaluations: on + off + default,
            variants,
            reasons: BTreeMap::new(),
        }
    }

    fn body(series: Vec<MetricsPoint>, step: i64) -> MetricsBody {
        MetricsBody {
            environment: "production".into(),
            flag: "a".into(),
            from: "2026-12-06T00:00:00Z".into(),
            to: "2026-12-07T00:00:00Z".into(),
            step,
            resolution: Resolution::Hour,
            series,
            totals: Totals::default(),
            last_evaluated_at: None,
            last_evaluated_at_by_environment: BTreeMap::new(),
        }
    }

    #[test]
    fn bars_stack_each_variant_to_the_step_total() {
        let b = body(
            vec![
                point("2026-12-06T00:00:00Z", 30, 10, 0),
                point("2026-12-06T01:00:00Z", 0, 0, 0),
                point("2026-12-06T02:00:00Z", 5, 0, 2),
            ],
            3600,
        );
        let chart = Chart::new(&b);
        assert_eq!(chart.series, ["off", "on", DEFAULT_SERIES]);
        // 40 at most: ticks of 10 up to 40.
        let labels: Vec<&str> = chart.y_ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["0", "10", "20", "30", "40"]);
        let first = &chart.bars[0];
        assert_eq!(first.evaluations, 40);
        assert_eq!(
            first.title,
            "2026-12-06 00:00 UTC: 40 evaluations (off 10, on 30, caller's default 0)"
        );
        // The tallest bar reaches the top tick; parts stack from the axis up.
        let top = first.parts.last().unwrap().y;
        assert!((top - chart.y_ticks[4].at).abs() < 1e-9);
        assert!((first.parts[0].y + first.parts[0].height - BASE).abs() < 1e-9);
        assert!(chart.bars[1].parts.is_empty());
        assert_eq!(chart.bars[2].parts.len(), 2);
        assert_eq!(chart.bars[2].parts[1].series, 2);
        // Bars share the plot's width.
        assert!((chart.bars[2].x + chart.bars[2].width - chart.right).abs() < 1e-9);
        assert_eq!(chart.x_ticks[0].label, "00:00");
    }

    #[test]
    fn the_svg_carries_each_steps_numbers() {
        let b = body(vec![point("2026-12-06T00:00:00Z", 3, 1, 0)], 3600);
        let svg = Chart::new(&b).svg("a <b>");
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"aria-label="a &lt;b&gt;""#));
        assert!(svg.contains(r#"<g class="step" data-start="2026-12-06T00:00:00Z" data-evaluations="4"><title>2026-12-06 00:00 UTC: 4 evaluations (off 1, on 3)</title>"#));
        assert!(svg.contains(r#"class="part s1" data-variant="on" data-count="3""#));
    }

    #[test]
    fn an_empty_range_still_has_an_axis() {
        let chart = Chart::new(&body(vec![point("2026-12-06T00:00:00Z", 0, 0, 0)], 86_400));
        assert!(chart.series.is_empty());
        assert_eq!(chart.y_ticks.len(), 2);
        assert_eq!(chart.x_ticks[0].label, "12-06");
    }

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(
            (nice(1), nice(3), nice(7), nice(11), nice(2001)),
            (1, 5, 10, 20, 5000)
        );
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(time_label(0, 21_600, 7 * 24 * HOUR_MS), "01-01 00:00");
    }
}
