//! Renderers: they format what other stages computed and never compute a change themselves.
//! Each writes to a `&mut dyn Write`.

pub mod changes;
pub mod show;

/// Output formats of `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShowFormat {
    Text,
    Json,
}
