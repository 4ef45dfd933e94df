//! sbpl
