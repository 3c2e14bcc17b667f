//! The changeset as versioned JSON for cron jobs and webhooks (schema in README).

use std::io::{self, Write};

use serde::Serialize;

use crate::diff::cms::Agreement;
use crate::diff::{Changeset, CodeChange, Disagreement, ReleaseInfo, Summary};

/// Bumped when the JSON changeset's shape changes incompatibly. 2: `cms_agrees` may be null
/// (not checked, see `cms_agreement`), and replacement statuses include `outside_level_ii`.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    old: &'a ReleaseInfo,
    new: &'a ReleaseInfo,
    summary: Summary,
    changes: &'a [CodeChange],
    cms_agreement: &'a Agreement,
    disagreements: &'a [Disagreement],
    /// Disagreements CMS's corrections account for (their changes carry `explained_by`).
    #[serde(skip_serializing_if = "<[Disagreement]>::is_empty")]
    explained_disagreements: &'a [Disagreement],
}

pub fn render(out: &mut dyn Write, set: &Changeset) -> io::Result<()> {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        old: &set.old,
        new: &set.new,
        summary: set.summary(),
        changes: &set.changes,
        cms_agreement: &set.cms_agreement,
        disagreements: &set.disagreements,
        explained_disagreements: &set.explained_disagreements,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
