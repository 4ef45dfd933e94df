//! Renderers for `xpr plan`: a text summary grouped by profile, Graphviz, and JSON.
//! Graphviz and JSON stream to a writer, since large plans have millions of lines.

mod dot;
mod json;
mod quote;
mod text;

pub use dot::{dot, write_dot};
pub use json::{SCHEMA_VERSION, json, json_value, write_json};
pub use text::text;
