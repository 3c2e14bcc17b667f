//! The changeset as versioned JSON for cron jobs and webhooks (schema in README).

use std::io::{self, Write};

use serde::Serialize;

use crate::diff::cms::Agreement;
use crate::diff::context::Context;
use crate::diff::{Changeset, CodeChange, Disagreement, ReleaseInfo, SectionSummary, Summary};

/// Bumped when the JSON changeset's shape changes. 2: `cms_agrees` may be null (not checked,
/// see `cms_agreement`), and replacement statuses include `outside_level_ii`. 3: `context`
/// (filters, consecutive quarters, tool, version, time made), `redefined` on a change, and
/// `added`/`removed` on a field change of values. 4: `section` on a change, `by_section` (the
/// summary by section of HCPCS Level II) and `context.filters.sections`. The shape is published as a JSON Schema in
/// `schema/changeset.schema.json`.
pub const SCHEMA_VERSION: u32 = 4;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    old: &'a ReleaseInfo,
    new: &'a ReleaseInfo,
    summary: Summary,
    by_section: Vec<SectionSummary>,
    changes: &'a [CodeChange],
    cms_agreement: &'a Agreement,
    disagreements: &'a [Disagreement],
    /// Disagreements CMS's corrections account for (their changes carry `explained_by`).
    #[serde(skip_serializing_if = "<[Disagreement]>::is_empty")]
    explained_disagreements: &'a [Disagreement],
    context: &'a Context,
    /// Keys a caller adds (`check`'s `revision` for a re-post), after the others.
    #[serde(flatten)]
    extra: &'a serde_json::Map<String, serde_json::Value>,
}

pub fn render(out: &mut dyn Write, set: &Changeset) -> io::Result<()> {
    render_with(out, set, &serde_json::Map::new())
}

/// The changeset's JSON with `extra`'s keys added at the end.
pub fn render_with(
    out: &mut dyn Write,
    set: &Changeset,
    extra: &serde_json::Map<String, serde_json::Value>,
) -> io::Result<()> {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        old: &set.old,
        new: &set.new,
        summary: set.summary(),
        by_section: set.by_section(),
        changes: &set.changes,
        cms_agreement: &set.cms_agreement,
        disagreements: &set.disagreements,
        explained_disagreements: &set.explained_disagreements,
        context: &set.context,
        extra,
    };
    // The pretty printer writes a few bytes at a time: through a buffer, not each through
    // `out`'s dynamic dispatch.
    let mut buffered = io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut buffered, &doc)?;
    writeln!(buffered)?;
    buffered.flush()
}
