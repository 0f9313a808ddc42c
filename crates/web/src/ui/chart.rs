//! Server-rendered SVG charts for the pages: line charts (volume over time, volume against a
//! baseline), bar charts (distributions) and sparklines. Hand-built SVG rather than plotters:
//! the pages need small inline charts that are styled by the page's CSS classes (so they follow
//! the theme and pass the Content-Security-Policy without inline styles), carry an accessible
//! title, and escape every label; plotters' SVG backend writes inline styles and fixed fonts.
//! If the `report` crate publishes its chart functions, these can be unified with them.

use std::fmt::{self, Write as _};

/// Finished SVG markup. Every text inside was escaped when it was built, so templates may
/// print it as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Svg(String);

impl Svg {
    #[cfg(test)]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Svg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// The markup is ours and every label in it went through `escape`.
impl askama::filters::HtmlSafe for Svg {}

/// Escapes text for an SVG/XML text node or attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One line of a line chart. `class` picks the colour from the stylesheet (`s0`..`s7`,
/// `baseline`, `neg`, `neu`, `pos`).
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub class: &'static str,
    pub values: Vec<f64>,
    /// Dashed (used for baselines).
    pub dashed: bool,
}

const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 40.0;

fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * mag >= max {
            return step * mag;
        }
    }
    10.0 * mag
}

fn fmt_num(v: f64) -> String {
    if v.fract().abs() < 1e-9 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

fn open_svg(out: &mut String, id: &str, title: &str, w: f64, h: f64, class: &str) {
    let _ = write!(
        out,
        r#"<svg class="chart {class}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-t" xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{}</title>"#,
        escape(title)
    );
}

/// Axes with four horizontal grid lines and up to `max_labels` x labels.
fn axes(out: &mut String, ymax: f64, x_labels: &[String], n: usize, max_labels: usize) {
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    for i in 0..=4 {
        let v = ymax * f64::from(i) / 4.0;
        let y = TOP + ph - ph * f64::from(i) / 4.0;
        let _ = write!(
            out,
            r#"<line class="grid" x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            fmt_num(v)
        );
    }
    if n == 0 || x_labels.is_empty() {
        return;
    }
    let every = n.div_ceil(max_labels.max(1)).max(1);
    for (i, label) in x_labels.iter().enumerate().take(n) {
        if i % every != 0 {
            continue;
        }
        let x = x_pos(i, n);
        let _ = write!(
            out,
            r#"<text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            H - BOTTOM + 16.0,
            escape(label)
        );
    }
    let _ = pw;
}

fn x_pos(i: usize, n: usize) -> f64 {
    let pw = W - LEFT - RIGHT;
    if n <= 1 {
        LEFT + pw / 2.0
    } else {
        LEFT + pw * i as f64 / (n - 1) as f64
    }
}

fn y_pos(v: f64, ymax: f64) -> f64 {
    let ph = H - TOP - BOTTOM;
    TOP + ph - ph * (v / ymax).clamp(0.0, 1.0)
}

fn legend(out: &mut String, series: &[Series]) {
    let mut x = LEFT;
    let y = H - 8.0;
    for s in series {
        let _ = write!(
            out,
            r#"<rect class="key {}" x="{x:.1}" y="{:.1}" width="10" height="10"/><text class="legend" x="{:.1}" y="{y:.1}">{}</text>"#,
            s.class,
            y - 9.0,
            x + 14.0,
            escape(&s.name)
        );
        x += 24.0 + 7.0 * s.name.chars().count() as f64;
    }
}

/// A line chart of several series over the same x labels.
pub fn line_chart(id: &str, title: &str, x_labels: &[String], series: &[Series]) -> Svg {
    let n = series.iter().map(|s| s.values.len()).max().unwrap_or(0);
    let ymax = nice_max(
        series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .fold(0.0, f64::max),
    );
    let mut out = String::with_capacity(4096);
    open_svg(&mut out, id, title, W, H, "line");
    axes(&mut out, ymax, x_labels, n, 8);
    for s in series {
        let mut d = String::new();
        for (i, v) in s.values.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1}",
                if i == 0 { "M" } else { " L" },
                x_pos(i, n),
                y_pos(*v, ymax)
            );
        }
        let _ = write!(
            out,
            r#"<path class="series {}{}" d="{d}" fill="none"><title>{}</title></path>"#,
            s.class,
            if s.dashed { " dashed" } else { "" },
            escape(&s.name)
        );
    }
    legend(&mut out, series);
    out.push_str("</svg>");
    Svg(out)
}

/// A bar chart (one bar per label), used for distributions.
pub fn bar_chart(id: &str, title: &str, labels: &[String], values: &[f64]) -> Svg {
    let n = values.len();
    let ymax = nice_max(values.iter().copied().fold(0.0, f64::max));
    let mut out = String::with_capacity(4096);
    open_svg(&mut out, id, title, W, H, "bars");
    // Bars sit in slots, not on points: draw the axes without x labels, then label each slot.
    axes(&mut out, ymax, &[], 0, 0);
    let pw = W - LEFT - RIGHT;
    let slot = if n == 0 { pw } else { pw / n as f64 };
    let every = n.div_ceil(10).max(1);
    for (i, v) in values.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot * 0.1;
        let y = y_pos(*v, ymax);
        let label = labels.get(i).map(String::as_str).unwrap_or("");
        let _ = write!(
            out,
            r#"<rect class="bar s0" x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}"><title>{}: {}</title></rect>"#,
            slot * 0.8,
            (H - BOTTOM - y).max(0.0),
            escape(label),
            fmt_num(*v)
        );
        if i % every == 0 {
            let _ = write!(
                out,
                r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + slot * 0.4,
                H - BOTTOM + 16.0,
                escape(label)
            );
        }
    }
    out.push_str("</svg>");
    Svg(out)
}

/// A small trend line without axes, for tables.
pub fn sparkline(title: &str, values: &[f64]) -> Svg {
    let (w, h) = (96.0, 24.0);
    let max = values.iter().copied().fold(0.0, f64::max).max(1.0);
    let n = values.len();
    let mut d = String::new();
    for (i, v) in values.iter().enumerate() {
        let x = if n <= 1 {
            w / 2.0
        } else {
            1.0 + (w - 2.0) * i as f64 / (n - 1) as f64
        };
        let y = h - 2.0 - (h - 4.0) * (v / max);
        let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { " L" });
    }
    let mut out = String::with_capacity(512);
    let _ = write!(
        out,
        r#"<svg class="spark" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg"><path class="series s0" d="{d}" fill="none"/></svg>"#,
        escape(title)
    );
    Svg(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        let svg = line_chart(
            "c",
            "<script>alert(1)</script>",
            &["<b>".into()],
            &[Series {
                name: "\"><img src=x onerror=alert(1)>".into(),
                class: "s0",
                values: vec![1.0, 2.0],
                dashed: false,
            }],
        );
        assert!(!svg.as_str().contains("<script>"));
        assert!(!svg.as_str().contains("<img"));
        assert!(!svg.as_str().contains("<b>"));
        assert!(svg.as_str().contains("&lt;script&gt;"));
        let bars = bar_chart("b", "t", &["<i>".into()], &[3.0]);
        assert!(!bars.as_str().contains("<i>"));
        assert!(sparkline("\"x", &[1.0]).as_str().contains("&quot;x"));
    }

    #[test]
    fn scale_is_rounded_up() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(180.0), 200.0);
        assert_eq!(nice_max(230.0), 250.0);
    }

    #[test]
    fn line_chart_draws_one_path_per_series() {
        let svg = line_chart(
            "v",
            "Volume",
            &["a".into(), "b".into(), "c".into()],
            &[
                Series {
                    name: "x".into(),
                    class: "s0",
                    values: vec![1.0, 5.0, 3.0],
                    dashed: false,
                },
                Series {
                    name: "base".into(),
                    class: "baseline",
                    values: vec![2.0, 2.0, 2.0],
                    dashed: true,
                },
            ],
        );
        assert_eq!(svg.as_str().matches("<path").count(), 2);
        assert!(svg.as_str().contains("dashed"));
    }
}
