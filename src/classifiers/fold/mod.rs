//! FOLD-SE / FOLD-R++ / FOLD-RM: readable rule programs (`shared/specs/fold-se.md`).
//!
//! Work in progress (issue 6): [`learn`] is the learning algorithm with the spec's testable
//! properties as tests; the registry entry, the printed program and the page's rule overlays
//! follow.

pub mod learn;
pub mod print;
