//! Compile-time behaviour of `#[derive(ElasticQueue)]` and `#[elasticq::queue]`, checked with
//! trybuild: every rejected declaration must fail with its message spanned on the token at
//! fault (snapshots in `tests/ui/fail/*.stderr`), and every accepted form, including
//! hygiene-hostile surroundings, must compile and run (`tests/ui/pass`).
//!
//! Regenerate the snapshots with `TRYBUILD=overwrite cargo test --all-features --test ui`,
//! then read them. They are taken with every feature on, as the README's test command runs
//! them: with `serde` on, rustc names some traits by their full path (`elasticq::Priority`).

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
