//! A release's page: the reviewer-first changelog from the stored release before it (the
//! same renderer as `diff --format html`), inside the site's layout, with links to the
//! previous and next release and every code linked to its own page.

use std::io::{self, Write};

use super::layout::{Frame, page};
use super::{Site, code_page, esc, release_page};
use crate::diff::Changeset;
use crate::model::ReleaseId;

/// `changeset` is the changelog from the stored release before; `None` for the oldest.
pub fn render(
    out: &mut dyn Write,
    site: &Site,
    release: ReleaseId,
    changeset: Option<&Changeset>,
) -> io::Result<()> {
    let title = format!("Release {release}");
    let frame = Frame {
        root: "../",
        title: &title,
        scripts: &[],
        dated: false,
    };
    let at = site.releases.iter().position(|r| r.id == release);
    let previous = at
        .and_then(|i| i.checked_sub(1))
        .map(|i| site.releases[i].id);
    let next = at.and_then(|i| site.releases.get(i + 1)).map(|r| r.id);
    page(out, site, &frame, |out| {
        write!(out, "<nav class=\"pager\" aria-label=\"Releases\"><ul>")?;
        if let Some(p) = previous {
            write!(
                out,
                "<li><a rel=\"prev\" href=\"../{}\">← {p}</a></li>",
                release_page(p)
            )?;
        }
        write!(
            out,
            "<li><a href=\"../index.html#releases\">All releases</a></li>"
        )?;
        if let Some(n) = next {
            write!(
                out,
                "<li><a rel=\"next\" href=\"../{}\">{n} →</a></li>",
                release_page(n)
            )?;
        }
        writeln!(out, "</ul></nav>")?;
        match changeset {
            Some(set) => {
                let link = |code: &str| {
                    site.has_page(code)
                        .then(|| format!("../{}", code_page(code)))
                };
                super::super::html::body(out, set, &link)
            }
            None => oldest(out, site, release),
        }
    })
}

fn oldest(out: &mut dyn Write, site: &Site, release: ReleaseId) -> io::Result<()> {
    writeln!(out, "<h1>HCPCS release {release}</h1>")?;
    if let Some(r) = site.releases.iter().find(|r| r.id == release) {
        writeln!(
            out,
            "<p>{} codes and {} modifiers, from <code>{}</code>.</p>",
            r.provenance.counts.procedure,
            r.provenance.counts.modifier,
            esc(&r.provenance.source.display())
        )?;
    }
    writeln!(
        out,
        "<p>The oldest stored release: there is nothing stored before it to compare it with. \
         Its codes are on the <a href=\"../sections/index.html\">section pages</a>, each with its \
         history from here on.</p>"
    )
}
