//! What every page shares: the head (a content security policy that lets in the site's own
//! stylesheet and scripts only), a header with the site's navigation and a search form, the
//! main landmark and a footer saying what the site was made from; and the one stylesheet.

use std::io::{self, Write};

use super::{Site, esc};

/// The policy in every page's `<meta>`: nothing but the site's own files. Chromium counts a
/// `file://` page's folder as `'self'` for scripts and styles, so it holds from disk too.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; base-uri 'none'; form-action 'self'";

/// Where a page sits: the prefix that leads back to the site's root (`""` or `"../"`), and
/// its title.
pub struct Frame<'a> {
    pub root: &'a str,
    pub title: &'a str,
    /// Scripts the page loads, from the root (`search.js`); only the search page has any.
    pub scripts: &'a [&'a str],
    /// The footer says when the site was made (the home page's alone).
    pub dated: bool,
}

/// Writes a whole page: the head and header, `main` as `body` writes it, the footer.
pub fn page(
    out: &mut dyn Write,
    site: &Site,
    frame: &Frame,
    body: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let root = frame.root;
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"generator\" content=\"hcpcs-diff site\">\n\
         <title>{} · HCPCS code history</title>\n\
         <link rel=\"stylesheet\" href=\"{root}site.css\">\n</head><body>",
        esc(frame.title)
    )?;
    writeln!(
        out,
        "<a class=\"skip\" href=\"#main\">Skip to content</a>\n\
         <header class=\"site\"><a class=\"home\" href=\"{root}index.html\">HCPCS code history</a>\n\
         <nav class=\"site\" aria-label=\"Site\"><ul>\
         <li><a href=\"{root}index.html#releases\">Releases</a></li>\
         <li><a href=\"{root}sections/index.html\">Sections</a></li>\
         <li><a href=\"{root}search.html\">Search</a></li></ul></nav>\n\
         <form class=\"search\" role=\"search\" action=\"{root}search.html\" method=\"get\">\
         <label for=\"site-q\">Search codes</label>\
         <input id=\"site-q\" name=\"q\" type=\"search\" placeholder=\"E1392 or oxygen\" autocomplete=\"off\">\
         <button type=\"submit\">Search</button></form>\n</header>\n<main id=\"main\">"
    )?;
    body(out)?;
    // Only the home page says when the site was made and from which releases: a page whose
    // content did not change keeps its bytes, so a refresh rewrites only what changed.
    let made = match (frame.dated, site.releases.first(), site.releases.last()) {
        (true, Some(a), Some(b)) => format!(
            " at {} from {} stored releases, {} to {}",
            esc(&site.generated_at),
            site.releases.len(),
            a.id,
            b.id
        ),
        _ => " from the stored releases".to_string(),
    };
    writeln!(
        out,
        "</main>\n<footer class=\"site\"><p>Made by hcpcs-diff {}{made}. \
         Codes, descriptions and dates are CMS's, as its HCPCS Level II files give them; \
         every coded field is decoded with CMS's tables.</p></footer>",
        env!("CARGO_PKG_VERSION"),
    )?;
    for script in frame.scripts {
        writeln!(out, "<script src=\"{root}{script}\"></script>")?;
    }
    writeln!(out, "</body></html>")
}

/// The site's stylesheet: the changelog's (release pages hold one), then the site's own.
pub fn stylesheet() -> String {
    format!("{}\n{SITE_CSS}\n", super::super::html::CSS)
}

/// Links in a dark blue that passes WCAG AA on white; focus rings that show; tables that
/// scroll in their own box on a phone, never the page; navigation left out of print.
const SITE_CSS: &str = "\
a{color:#0b4f9c}a:visited{color:#5a2d91}\
:focus-visible{outline:3px solid #c25e00;outline-offset:2px}\
.skip{position:absolute;left:-10000px}.skip:focus{left:.5em;top:.5em;background:#fff;padding:.3em;z-index:2}\
header.site{display:flex;flex-wrap:wrap;gap:.4em 1.5em;align-items:center;border-bottom:2px solid #0b4f9c;padding:.4em 0;margin-bottom:.8em}\
header.site a.home{font-weight:bold;font-size:1.15em;text-decoration:none;color:#0b4f9c}\
nav.site ul,nav.pager ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.3em 1.2em}\
form.search{display:flex;flex-wrap:wrap;gap:.3em;align-items:center}\
form.search input{font:inherit;padding:.25em .4em;width:13em;max-width:55vw;border:1px solid #555;border-radius:3px}\
form.search button{font:inherit;padding:.25em .8em;border:1px solid #0b4f9c;background:#0b4f9c;color:#fff;border-radius:3px;cursor:pointer}\
main{min-width:0}\
.scroll{overflow-x:auto;max-width:100%}\
table.list td.n,table.list th.n{text-align:right;font-variant-numeric:tabular-nums}\
table.list thead th{background:#eee}table.list tbody th{white-space:nowrap}\
table.list td.file{overflow-wrap:anywhere;min-width:12em}\
nav.pager{margin:.6em 0;padding:.4em 0;border-bottom:1px solid #ccc}\
.lede{font-size:1.05em;max-width:60em}\
.valid{font-size:1.1em;font-weight:bold}\
.active{color:#05620a}.ended{color:#a10000}\
.redefined{color:#a10000;font-weight:bold}\
ul.groups{columns:16em;padding-left:1.2em}\
ul.results{padding-left:1.2em}ul.results li{margin:.2em 0}\
svg.chart{display:block}svg.chart.fit{width:100%;max-width:56em;min-width:44em;height:auto}\
svg.chart text{font:12px system-ui,sans-serif;fill:#222}svg.chart text.small{font-size:9.5px}\
table.by-section tbody th{white-space:normal;min-width:12em}table.by-section thead th{white-space:nowrap}\
svg.chart .effect{fill:#0b4f9c}svg.chart .added{fill:#2e7d32}svg.chart .retired{fill:#c62828}\
svg.chart .axis{stroke:#888;stroke-width:1}\
svg.spark{display:block}svg.spark polyline{fill:none;stroke:#0b4f9c;stroke-width:2}\
.legend span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;vertical-align:middle}\
.legend .effect{background:#0b4f9c}.legend .added{background:#2e7d32}.legend .retired{background:#c62828}\
footer.site{margin-top:2em;border-top:1px solid #ccc;padding-top:.4em;color:#444;font-size:.9em}\
@media (max-width:40em){h1{font-size:1.3em}p,li{overflow-wrap:anywhere}\
table.list th,table.list td.n{white-space:nowrap}table.list td{min-width:6em}}\
@media print{.skip,nav.site,form.search,nav.pager{display:none}.scroll{overflow:visible}\
header.site{border-bottom:1px solid #000}svg.chart{max-width:100%}}";
