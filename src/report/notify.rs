//! What `check --notify` posts, in the shape each kind of webhook takes: the JSON changeset
//! (for programs), Slack's and Mattermost's `{"text": ...}` (Google Chat's takes the same), a
//! Microsoft Teams message card, or plain text. A chat message is short: the summary line and
//! the first `MAX_LISTED` codes that changed, most urgent first, then how many more there are;
//! the report itself stays where `check` wrote it.

use serde_json::json;

use crate::diff::{Change, Changeset, CodeChange};

/// Codes named in a chat message; the rest are counted.
pub const MAX_LISTED: usize = 20;

/// Characters of a description shown in a chat message.
const DESCRIPTION_CHARS: usize = 80;

/// What `check --notify` posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NotifyFormat {
    /// The JSON changeset (`report::json`), for programs.
    #[default]
    Json,
    /// A chat message.
    Chat(ChatFormat),
}

/// A webhook's message format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatFormat {
    /// `{"text": "..."}` with Slack's markup: Slack, Mattermost, Google Chat.
    Slack,
    /// An Office 365 connector message card: Microsoft Teams.
    Teams,
    /// Plain text (`text/plain`), for a webhook that forwards it as it is (e.g. to mail).
    Text,
}

impl ChatFormat {
    /// The `Content-Type` of the POST.
    pub fn content_type(self) -> &'static str {
        match self {
            ChatFormat::Slack | ChatFormat::Teams => "application/json",
            ChatFormat::Text => "text/plain; charset=utf-8",
        }
    }
}

/// The heading of a chat message: the releases compared, with their revisions when a re-post
/// is reported (`HCPCS 2025-01@1 → 2025-01@2`), as the changelogs head themselves.
pub fn headline(set: &Changeset) -> String {
    let side = |r: &crate::diff::ReleaseInfo| match r.revision {
        Some(n) => format!("{}@{n}", r.release),
        None => r.release.to_string(),
    };
    format!("HCPCS {} → {}", side(&set.old), side(&set.new))
}

/// The message for `set` (the changes `check` found, after its filters), headed `headline`.
pub fn message(format: ChatFormat, set: &Changeset, headline: &str) -> Vec<u8> {
    let summary = super::summary_line(set);
    let listed = urgent_first(set);
    let more = set.changes.len().saturating_sub(MAX_LISTED);
    match format {
        ChatFormat::Text => {
            let mut text = format!("{headline}\n{summary}\n");
            for c in listed.iter().take(MAX_LISTED) {
                text.push_str(&format!(
                    "{:<10} {} {}\n",
                    c.change.as_str(),
                    c.code,
                    detail(c)
                ));
            }
            if more > 0 {
                text.push_str(&format!("... and {more} more: see the report\n"));
            }
            text.into_bytes()
        }
        ChatFormat::Slack => {
            let mut text = format!("*{}*\n{}", slack_escape(headline), slack_escape(&summary));
            for c in listed.iter().take(MAX_LISTED) {
                text.push_str(&format!(
                    "\n• *{}* `{}` {}",
                    c.change.as_str(),
                    c.code,
                    slack_escape(&detail(c))
                ));
            }
            if more > 0 {
                text.push_str(&format!("\n… and {more} more: see the report"));
            }
            json!({ "text": text }).to_string().into_bytes()
        }
        ChatFormat::Teams => {
            let s = set.summary();
            let facts: Vec<serde_json::Value> = [
                ("Retired", s.retired),
                ("Dropped", s.dropped),
                ("Changed", s.changed),
                ("Added", s.added),
                ("Reinstated", s.reinstated),
            ]
            .into_iter()
            .map(|(name, n)| json!({ "name": name, "value": n.to_string() }))
            .collect();
            let mut lines: Vec<String> = listed
                .iter()
                .take(MAX_LISTED)
                .map(|c| format!("**{}** {} {}", c.change.as_str(), c.code, detail(c)))
                .collect();
            if more > 0 {
                lines.push(format!("... and {more} more: see the report"));
            }
            json!({
                "@type": "MessageCard",
                "@context": "https://schema.org/extensions",
                "summary": headline,
                "title": headline,
                "text": summary,
                "sections": [
                    { "facts": facts },
                    { "text": lines.join("\n\n") },
                ],
            })
            .to_string()
            .into_bytes()
        }
    }
}

/// The changes in the order a reviewer acts on them: retired and dropped codes first (claims
/// will be refused), then redefined, changed, added and reinstated; by code within each.
fn urgent_first(set: &Changeset) -> Vec<&CodeChange> {
    let rank = |c: &CodeChange| match c.change {
        Change::Retired => 0,
        Change::Dropped => 1,
        Change::Changed if c.redefined => 2,
        Change::Changed => 3,
        Change::Added => 4,
        Change::Reinstated => 5,
    };
    let mut changes: Vec<&CodeChange> = set.changes.iter().collect();
    changes.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.code.cmp(&b.code)));
    changes
}

/// A change in a line: its description, what changed (fields) and what replaces it.
fn detail(c: &CodeChange) -> String {
    let mut text = cut(&c.description, DESCRIPTION_CHARS);
    if c.change == Change::Changed && !c.fields.is_empty() {
        let mut labels: Vec<&str> = c.fields.iter().map(|f| f.label).collect();
        labels.dedup();
        text.push_str(&format!(" ({})", labels.join(", ")));
    }
    if !c.replacements.is_empty() {
        let codes: Vec<&str> = c.replacements.iter().map(|r| r.code.as_str()).collect();
        text.push_str(&format!(" (use {})", codes.join(", ")));
    }
    text
}

/// `text` cut to `max` characters at a character boundary, with an ellipsis when cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", text[..i].trim_end()),
        None => text.to_string(),
    }
}

/// Slack reads `&`, `<` and `>` as markup (links, mentions): a description shows them as text.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_description_is_cut_at_a_character() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcdé fgh", 5), "abcdé…");
        assert_eq!(cut("ab cd", 3), "ab…");
    }

    #[test]
    fn slack_markup_in_a_description_is_shown_as_text() {
        assert_eq!(
            slack_escape("<!channel> & <http://x|y>"),
            "&lt;!channel&gt; &amp; &lt;http://x|y&gt;"
        );
    }
}
