//! bundle

pub mod runtime_tools;
