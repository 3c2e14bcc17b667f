//! What a report covers and where it comes from, beside its two releases: the filters applied,
//! whether the releases are consecutive quarters, the tool's version and when it was made.

use serde::Serialize;

use super::watch::Origin;
use super::{Change, Filter};
use crate::model::{Kind, ReleaseId};

/// A report's context. `generated_at` is set by the caller (an option, or the clock), so that
/// the diff itself stays pure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Context {
    /// NEW is the quarterly release right after OLD (2020-01 → 2020-04, 2020-10 → 2021-01).
    pub consecutive: bool,
    pub filters: Applied,
    pub tool: &'static str,
    pub version: &'static str,
    /// When the report was made, RFC 3339 (`2026-01-02T03:04:05+00:00`).
    pub generated_at: Option<String>,
}

impl Context {
    pub fn between(old: ReleaseId, new: ReleaseId) -> Self {
        Context {
            consecutive: old.next_quarter() == new,
            filters: Applied::default(),
            tool: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            generated_at: None,
        }
    }
}

/// A watch file, by the name it was given and the codes and ranges it lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WatchFile {
    pub file: String,
    pub entries: usize,
}

/// The filters a report was made with (all empty and false: every code, every change).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// `--code` values.
    pub codes: Vec<String>,
    /// `--range` values, `FIRST-LAST`.
    pub ranges: Vec<String>,
    pub prefixes: Vec<String>,
    /// `--section` values: the sections' ids (`E0100-E9999`, `modifiers`).
    pub sections: Vec<String>,
    pub watch: Option<WatchFile>,
    pub kind: Option<Kind>,
    pub only: Vec<Change>,
    pub hide_cosmetic: bool,
}

impl Applied {
    pub fn of(filter: &Filter) -> Self {
        let named = |origin: Origin| {
            filter
                .named
                .iter()
                .filter(|e| e.origin == origin)
                .map(|e| match e.range.first == e.range.last {
                    true => e.range.first.clone(),
                    false => format!("{}-{}", e.range.first, e.range.last),
                })
                .collect()
        };
        Applied {
            codes: named(Origin::Code),
            ranges: named(Origin::Range),
            prefixes: filter.prefixes.clone(),
            sections: filter.sections.iter().map(|s| s.id.to_string()).collect(),
            watch: filter.watch.clone(),
            kind: filter.kind,
            only: filter.only.clone(),
            hide_cosmetic: filter.hide_cosmetic,
        }
    }

    /// The filters as command-line options would give them: `--prefix E; --watch watch.txt
    /// (3 codes or ranges); --hide-cosmetic`, or `none: every code and change`.
    pub fn words(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        parts.extend(self.codes.iter().map(|c| format!("--code {c}")));
        parts.extend(self.ranges.iter().map(|r| format!("--range {r}")));
        parts.extend(self.prefixes.iter().map(|p| format!("--prefix {p}")));
        if !self.sections.is_empty() {
            parts.push(format!("--section {}", self.sections.join(",")));
        }
        if let Some(w) = &self.watch {
            parts.push(format!(
                "--watch {} ({} codes or ranges)",
                w.file, w.entries
            ));
        }
        if let Some(k) = self.kind {
            parts.push(format!("--kind {}", k.as_str()));
        }
        if !self.only.is_empty() {
            let only: Vec<&str> = self.only.iter().map(|c| c.as_str()).collect();
            parts.push(format!("--only {}", only.join(",")));
        }
        if self.hide_cosmetic {
            parts.push("--hide-cosmetic".to_string());
        }
        if parts.is_empty() {
            "none: every code and change".to_string()
        } else {
            parts.join("; ")
        }
    }
}
