//! Compile-fail cases: each misuse of the macros is an error that points at the mistake.

#[test]
fn macros_reject_misuse_with_clear_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/event/*.rs");
    cases.compile_fail("tests/ui/aggregate/*.rs");
    cases.compile_fail("tests/ui/log_event/*.rs");
    cases.compile_fail("tests/ui/system/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
