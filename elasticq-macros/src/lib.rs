//! Procedural macros for elasticq. The derive arrives with its own issue; this crate exports nothing yet.
