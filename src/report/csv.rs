//! One row per field change, for spreadsheets. A code added, dropped, retired or reinstated
//! without field changes still gets one row, with the field columns empty.

use std::io::{self, Write};

use crate::diff::{Changeset, Cosmetic};

const HEADER: [&str; 15] = [
    "old_release",
    "new_release",
    "code",
    "kind",
    "change",
    "group",
    "field",
    "old",
    "new",
    "cosmetic",
    "cms_action_code",
    "cms_agrees",
    "cosmetic_reason",
    "added_date",
    "termination_date",
];

pub fn render(out: &mut dyn Write, set: &Changeset) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    let (old, new) = (set.old.release.to_string(), set.new.release.to_string());
    for c in &set.changes {
        let action = c.action_code.clone().unwrap_or_default();
        let agrees = super::agrees_cell(set, c.cms_agrees);
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let (added, terminated) = (date(c.added_date), date(c.termination_date));
        let base = [
            old.as_str(),
            new.as_str(),
            c.code.as_str(),
            c.kind.as_str(),
            c.change.as_str(),
        ];
        if c.fields.is_empty() {
            w.write_record(base.iter().copied().chain([
                "",
                "",
                "",
                "",
                "",
                &action,
                &agrees,
                "",
                &added,
                &terminated,
            ]))?;
        }
        for f in &c.fields {
            let (o, n) = (f.old.join("; "), f.new.join("; "));
            let cosmetic = f.cosmetic.to_string();
            w.write_record(base.iter().copied().chain([
                f.group.label(),
                f.field,
                &o,
                &n,
                &cosmetic,
                &action,
                &agrees,
                f.cosmetic_reason.map_or("", |r| match r {
                    Cosmetic::Punctuation => "punctuation",
                    Cosmetic::Encoding => "encoding",
                }),
                &added,
                &terminated,
            ]))?;
        }
    }
    w.flush()
}
