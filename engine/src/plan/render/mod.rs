//! Renderers for `xpr plan`: a text summary grouped by profile, Graphviz, and JSON.

mod dot;
mod json;
mod text;

pub use dot::dot;
pub use json::{json, json_value};
pub use text::text;
