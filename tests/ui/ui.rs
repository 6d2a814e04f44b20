//! Compile-time behaviour of `#[derive(ElasticQueue)]` and `#[elasticq::queue]`, checked with
//! trybuild: every rejected declaration must fail with its message spanned on the token at
//! fault (snapshots in `fail/*.stderr`), and every accepted form, including
//! hygiene-hostile surroundings, must compile and run (`pass/`).
//!
//! This is a package of its own (`elasticq-ui`, see its Cargo.toml) so that trybuild's
//! project holds elasticq alone. Regenerate the snapshots with
//! `TRYBUILD=overwrite cargo test -p elasticq-ui`, then read them.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("fail/*.rs");
    cases.pass("pass/*.rs");
}
