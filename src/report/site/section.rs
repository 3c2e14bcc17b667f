//! The section pages, the way to every code without a script: an index of the sections of
//! HCPCS Level II, and a page per section listing its codes with their status (active,
//! terminated on ..., no longer in CMS's file) and CMS's date added.

use std::io::{self, Write};

use super::layout::{Frame, page};
use super::{Group, Site, code_page, esc, group_page};

pub fn index(out: &mut dyn Write, site: &Site) -> io::Result<()> {
    let frame = Frame {
        root: "../",
        title: "Codes by section",
        scripts: &[],
        dated: false,
    };
    page(out, site, &frame, |out| {
        writeln!(out, "<h1>Codes by section</h1><ul class=\"groups\">")?;
        for g in &site.groups {
            writeln!(
                out,
                "<li><a href=\"../{}\">{}</a> ({})</li>",
                group_page(&g.id),
                esc(&g.title),
                g.codes.len()
            )?;
        }
        writeln!(out, "</ul>")
    })
}

pub fn render(out: &mut dyn Write, site: &Site, group: &Group) -> io::Result<()> {
    let frame = Frame {
        root: "../",
        title: &group.title,
        scripts: &[],
        dated: false,
    };
    let newest = site.newest();
    page(out, site, &frame, |out| {
        writeln!(
            out,
            "<nav class=\"pager\" aria-label=\"Browse\"><ul><li><a href=\"index.html\">All sections</a></li></ul></nav>\n\
             <h1>{} ({})</h1>\n<div class=\"scroll\"><table class=\"list\"><thead><tr>\
             <th scope=\"col\">Code</th><th scope=\"col\">Description</th>\
             <th scope=\"col\">Status</th><th scope=\"col\">CMS's date added</th></tr></thead><tbody>",
            esc(&group.title),
            group.codes.len()
        )?;
        for &i in &group.codes {
            let Some(c) = site.codes.get(i) else { continue };
            let status = newest.map_or_else(String::new, |n| c.status(n));
            let class = if status == "active" {
                "active"
            } else {
                "ended"
            };
            writeln!(
                out,
                "<tr><th scope=\"row\"><a href=\"../{}\">{}</a></th><td>{}</td>\
                 <td class=\"{class}\">{}</td><td>{}</td></tr>",
                code_page(&c.code),
                esc(&c.code),
                esc(&c.description),
                esc(&status),
                c.added_date
                    .map_or_else(|| "—".to_string(), |d| d.to_string())
            )?;
        }
        writeln!(out, "</tbody></table></div>")
    })
}
