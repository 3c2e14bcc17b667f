//! Word-level comparison of two descriptions (similar), for renderers to highlight.

use similar::{ChangeTag, TextDiff};

/// A run of words: kept, removed from OLD, or inserted in NEW.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span {
    Same(String),
    Removed(String),
    Inserted(String),
}

pub fn words(old: &str, new: &str) -> Vec<Span> {
    let diff = TextDiff::from_words(old, new);
    diff.iter_all_changes()
        .map(|c| match c.tag() {
            ChangeTag::Equal => Span::Same(c.value().to_string()),
            ChangeTag::Delete => Span::Removed(c.value().to_string()),
            ChangeTag::Insert => Span::Inserted(c.value().to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_added_word_is_inserted_and_unchanged_words_are_kept() {
        let spans = words("flow rate", "flow rate, each");
        assert!(spans.contains(&Span::Inserted("each".into())));
        assert!(spans.contains(&Span::Same("flow".into())));
    }
}
