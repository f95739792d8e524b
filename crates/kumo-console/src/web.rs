//! What the statistics pages and the console share: the embedded static files (vendored by
//! `web/vendor.sh`, pinned in `web/package.json`), the page chrome every template extends
//! (`templates/base.html`), gzip for everything served, and the number formatting that puts a
//! unit on every figure.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// `(file name, content type, bytes)` of every file under `/static/`.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "kumo.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/kumo.css"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/htmx.min.js"),
    ),
    (
        "uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/uPlot.iife.min.js"),
    ),
    (
        "uPlot.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/uPlot.min.css"),
    ),
    (
        "xterm.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/xterm.js"),
    ),
    (
        "xterm.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/xterm.css"),
    ),
    (
        "stats.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/stats.js"),
    ),
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/console.js"),
    ),
    (
        "console-shell.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/console-shell.js"),
    ),
    (
        "addon-fit.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/addon-fit.js"),
    ),
];

/// The bytes of one static file, if it exists (for page-weight figures and tests).
pub fn asset(name: &str) -> Option<&'static [u8]> {
    ASSETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, b)| *b)
}

/// `GET /static/{file}` for any router state.
pub fn static_routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/static/{file}", get(static_file))
}

async fn static_file(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == file) {
        Some((_, ctype, bytes)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(ctype)),
                // The files change only with the binary; an hour keeps reloads cheap without
                // serving a stale file for long after an upgrade.
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                ),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, format!("no static file {file:?}")).into_response(),
    }
}

/// gzip for pages, JSON and static files (browsers and curl --compressed ask for it).
pub fn compression() -> tower_http::compression::CompressionLayer {
    tower_http::compression::CompressionLayer::new()
}

/// One link of the top navigation.
#[derive(Clone, Debug)]
pub struct NavItem {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

/// The top navigation of `base.html`: links, the current page, and the chain it shows.
#[derive(Clone, Debug, Default)]
pub struct Nav {
    pub items: Vec<NavItem>,
    /// Chain id and height, shown at the right.
    pub chain: Option<String>,
}

impl Nav {
    /// Links as `(label, href)`; the one whose href equals `current` is marked.
    pub fn new(links: &[(&'static str, String)], current: &str) -> Nav {
        Nav {
            items: links
                .iter()
                .map(|(label, href)| NavItem {
                    label,
                    current: href == current,
                    href: href.clone(),
                })
                .collect(),
            chain: None,
        }
    }
}

/// Number formatting for pages: every figure gets a unit and thousands separators.
pub mod fmt {
    /// `1234567` → `1,234,567`.
    pub fn thousands(n: u128) -> String {
        let s = n.to_string();
        let mut out = String::with_capacity(s.len() + s.len() / 3);
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    }

    /// Bytes in binary units with one decimal: `(value, unit)`, e.g. `("1.5", "GiB")`.
    pub fn bytes(n: u128) -> (String, &'static str) {
        const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        let mut unit = 0;
        let mut scaled = n;
        while scaled >= 1024 * 1024 && unit + 2 < UNITS.len() {
            scaled /= 1024;
            unit += 1;
        }
        if n < 1024 {
            return (n.to_string(), UNITS[0]);
        }
        // scaled is in UNITS[unit]; show it in the next unit with one decimal.
        let tenths = scaled * 10 / 1024;
        (
            format!("{}.{}", thousands(tenths / 10), tenths % 10),
            UNITS[unit + 1],
        )
    }

    /// Millicores as cores with up to one decimal: `1500` → `1.5`.
    pub fn cores(millicores: u128) -> String {
        let tenths = millicores / 100;
        if tenths % 10 == 0 {
            thousands(tenths / 10)
        } else {
            format!("{}.{}", thousands(tenths / 10), tenths % 10)
        }
    }

    /// An 18-decimal fraction (atomics) as a percentage with two decimals: `0.1234` → `12.34`.
    pub fn percent(atomics: u128) -> String {
        let hundredths = atomics / 10u128.pow(14);
        format!("{}.{:02}", thousands(hundredths / 100), hundredths % 100)
    }

    /// A float with a fixed number of decimals and thousands separators (USD, prices).
    pub fn decimal(v: f64, decimals: usize) -> String {
        if !v.is_finite() {
            return "—".into();
        }
        let s = format!("{:.*}", decimals, v.abs());
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        let int = thousands(int.parse::<u128>().unwrap_or(0));
        let sign = if v < 0.0 && s.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
            "-"
        } else {
            ""
        };
        if frac.is_empty() {
            format!("{sign}{int}")
        } else {
            format!("{sign}{int}.{frac}")
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn units_and_separators() {
            assert_eq!(thousands(0), "0");
            assert_eq!(thousands(999), "999");
            assert_eq!(thousands(1_234_567), "1,234,567");
            assert_eq!(bytes(512), ("512".into(), "B"));
            assert_eq!(bytes(1536), ("1.5".into(), "KiB"));
            assert_eq!(bytes(256 << 20), ("256.0".into(), "MiB"));
            assert_eq!(bytes(3 << 30), ("3.0".into(), "GiB"));
            assert_eq!(bytes(5 << 40), ("5.0".into(), "TiB"));
            assert_eq!(cores(1500), "1.5");
            assert_eq!(cores(2000), "2");
            assert_eq!(cores(12_000_000), "12,000");
            assert_eq!(percent(123_400_000_000_000_000), "12.34");
            assert_eq!(decimal(1234.5, 2), "1,234.50");
            assert_eq!(decimal(-0.001, 2), "0.00");
            assert_eq!(decimal(-3.0, 1), "-3.0");
        }
    }
}

/// A page that says what went wrong in plain words, with the chrome around it.
#[derive(askama::Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub nav: &'a Nav,
    pub title: &'a str,
    pub message: &'a str,
}

/// Renders a template as an HTML response (a render failure is a 500 with its reason).
pub fn html(status: StatusCode, page: &impl askama::Template) -> Response {
    match page.render() {
        Ok(body) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            body,
        )
            .into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the page could not be rendered: {e}"),
        )
            .into_response(),
    }
}

/// An [`ErrorPage`] response.
pub fn error_page(status: StatusCode, nav: &Nav, title: &str, message: &str) -> Response {
    html(
        status,
        &ErrorPage {
            nav,
            title,
            message,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_page_renders_inside_the_chrome_and_escapes() {
        let nav = Nav::new(
            &[
                ("Dashboard", "/".into()),
                ("Providers", "/providers".into()),
            ],
            "/",
        );
        let body = ErrorPage {
            nav: &nav,
            title: "Not found",
            message: "no graph <x>",
        }
        .to_string();
        assert!(
            body.contains("<a href=\"/\" aria-current=\"page\">Dashboard</a>"),
            "{body}"
        );
        assert!(
            body.contains("no graph &#60;x&#62;") && !body.contains("<x>"),
            "{body}"
        );
        assert!(body.contains("/static/htmx.min.js"));
        for (name, _, bytes) in ASSETS {
            assert!(!bytes.is_empty(), "{name} is empty");
        }
    }
}
