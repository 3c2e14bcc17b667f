//! Exit statuses, as README and `--help` document them (ripgrep's convention: errors win).

/// Success; for `diff` and `check`, no changes (after filters).
pub const OK: u8 = 0;
/// `diff` and `check` found changes.
pub const CHANGES: u8 = 1;
/// An error: bad input, a missing release, a store problem. Nothing stored was changed.
pub const ERROR: u8 = 2;
