//! The two small derives, `Priority` and `Codec`: each parses, checks and expands in one
//! file, since neither has keys beyond `crate = path`. `ElasticQueue` has `parse`, `check`
//! and `expand` of its own.

pub(crate) mod codec;
pub(crate) mod priority;
