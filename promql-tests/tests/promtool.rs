//! Runs the real promtool on generated trees: every rule file passes `promtool check rules`, every
//! generated test passes `promtool test rules`, and the generated tests fail when the rules are
//! broken (alerts removed, alerts always firing, a threshold doubled, ratios averaged).

use promql_tests::fixtures;
use promql_tests::{
    check_rules, remove_alerts, replace_factor, require_promtool, test_rules, Tree,
};
use slokit::render::Target;

fn fast_tests(tree: &Tree) -> Vec<std::path::PathBuf> {
    tree.tests()
        .into_iter()
        .filter(|p| !p.to_string_lossy().ends_with(".long.test.yml"))
        .collect()
}

#[test]
fn every_generated_file_passes_promtool() {
    require_promtool();
    let tree = Tree::generate(&fixtures::catalog(&[], false));
    // `slo test` runs this: check every rule file, then test every test file (in parallel).
    let report = slokit::promtool::test_tree(&tree.root()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report.contains("2 rule file(s) checked, 3 test file(s) passed"),
        "{report}"
    );
    // vmalert files use the Prometheus rule format, so promtool can check them too.
    let vmalert = Tree::generate_with(&fixtures::catalog(&[], false), Target::Vmalert, None);
    check_rules(&vmalert.paths())
        .unwrap_or_else(|e| panic!("promtool check rules (vmalert) failed:\n{e}"));
}

/// One SLO, so that each promtool run takes a second or two.
fn single() -> Tree {
    Tree::generate(&fixtures::catalog(&["api-service-availability"], false))
}

/// Breaks the rules of the single-SLO tree with `mutate` (which must leave them valid) and
/// asserts that the generated tests fail, saying `expected_in_output`.
fn assert_mutation_fails(mutate: impl Fn(&str) -> String, what: &str, expected_in_output: &str) {
    require_promtool();
    let tree = single();
    tree.mutate_rules(mutate);
    check_rules(&tree.rules()).expect("the mutated rules are still valid");
    let output = test_rules(&fast_tests(&tree))
        .map(|out| panic!("the generated tests passed although {what}:\n{out}"))
        .unwrap_err();
    assert!(
        output.contains(expected_in_output),
        "expected `{expected_in_output}` in the failure when {what}:\n{output}"
    );
}

#[test]
fn the_unmodified_single_slo_tree_passes() {
    require_promtool();
    let tree = single();
    check_rules(&tree.rules()).unwrap();
    test_rules(&tree.tests()).unwrap();
}

#[test]
fn removing_the_alerts_fails_the_tests() {
    assert_mutation_fails(
        remove_alerts,
        "the alerts were removed",
        "ALERTS{alertname=",
    );
}

#[test]
fn alerts_that_always_fire_fail_the_tests() {
    assert_mutation_fails(
        |text| replace_factor(text, "14.4", "-1"),
        "the page alert always fires",
        "exp: nil",
    );
}

#[test]
fn a_doubled_threshold_fails_the_tests() {
    assert_mutation_fails(
        |text| replace_factor(text, "14.4", "28.8"),
        "the 14.4x threshold was doubled",
        "got: nil",
    );
}

#[test]
fn averaging_ratios_instead_of_events_fails_the_tests() {
    // Sloth's mistake: a long window as the mean of 5m ratios. Record the 1h bad rate so that the
    // 1h error ratio read from it is the mean of the 5m ratios, and the exactness test must notice.
    assert_mutation_fails(
        |text| {
            let start = text
                .find("  - record: slokit:events_bad:rate1h\n")
                .expect("1h bad rate");
            let expr_start = start + text[start..].find("    expr:").unwrap();
            let labels = expr_start + text[expr_start..].find("    labels:").unwrap();
            // The SLO's matchers, from the rule's own `avg_over_time(slokit:events_bad:rate5m{..}[1h])`.
            let expr = &text[expr_start..labels];
            let open = expr.find('{').expect("matchers");
            let close = expr.find('}').expect("matchers");
            let id = &expr[open..=close];
            format!(
                "{}    expr: 'avg_over_time((slokit:events_bad:rate5m{id} / slokit:events_total:rate5m{id})[1h:5m]) * avg_over_time(slokit:events_total:rate5m{id}[1h])'\n{}",
                &text[..expr_start],
                &text[labels..]
            )
        },
        "the 1h window averaged ratios",
        "slokit:events_bad:rate1h",
    );
}

#[test]
fn the_bundled_examples_generate_rules_and_tests_that_pass() {
    require_promtool();
    let catalog = promql_tests::load_specs(&[promql_tests::examples_dir()]);
    assert!(catalog.slos().count() > 0);
    let tree = Tree::generate(&catalog);
    check_rules(&tree.rules()).unwrap_or_else(|e| panic!("promtool check rules failed:\n{e}"));
    test_rules(&tree.tests()).unwrap_or_else(|e| panic!("promtool test rules failed:\n{e}"));
}

/// SLOs alike share one folded set of checks (`render::promtool_tests`): it passes as is, and a
/// broken alert of one of them fails it, naming the checks that lost that SLO's sample.
#[test]
fn folded_checks_of_slos_alike_still_catch_one_broken_slo() {
    require_promtool();
    let catalog = promql_tests::load_specs(&[promql_tests::spec_file("alike.yaml")]);
    let tree = Tree::generate(&catalog);
    let tests = std::fs::read_to_string(&tree.tests()[0]).expect("the test file");
    assert!(
        tests.contains("slokit_slo=~\"jobs-a|jobs-b|jobs-c\""),
        "the checks are folded"
    );
    test_rules(&tree.tests()).unwrap_or_else(|e| panic!("the folded tests fail:\n{e}"));
    tree.mutate_rules(|text| {
        promql_tests::remove_rules(text, |group, rule| {
            group == "slokit:queue"
                && rule.starts_with("alert:")
                && rule.contains("slokit_slo: jobs-b\n")
        })
    });
    let report = test_rules(&tree.tests()).expect_err("a broken SLO fails the folded tests");
    assert!(report.contains("slokit_slo=\"jobs-b\""), "{report}");
}

/// A composite's generated tests pass, and fail when the composite miscounts a member: the cart
/// member's bad events counted six times instead of twice (its weight) doubles the journey's
/// error ratio, which the tests of a burn below the factor must catch.
#[test]
fn composite_tests_pass_and_catch_a_miscounted_member() {
    require_promtool();
    let catalog = promql_tests::load_specs(&[promql_tests::spec_file("composite.yaml")]);
    let tree = Tree::generate(&catalog);
    let tests = std::fs::read_to_string(&tree.tests()[0]).expect("the test file");
    assert!(
        !tests.contains("# No tests for SLO `journey"),
        "both journeys are tested:\n{}",
        &tests[..tests.len().min(600)]
    );
    test_rules(&tree.tests()).unwrap_or_else(|e| panic!("the composite tests fail:\n{e}"));
    let member =
        r#"slokit:events_bad:rate5m{slokit_product="shop",slokit_slo="cart-availability"}) * 2"#;
    tree.mutate_rules(|text| {
        assert!(
            text.contains(member),
            "the events journey weighs the cart member by 2"
        );
        text.replace(member, &member.replace("* 2", "* 6"))
    });
    check_rules(&tree.rules()).expect("the mutated rules are still valid");
    let output = test_rules(&fast_tests(&tree))
        .map(|out| panic!("the tests passed although a member was miscounted:\n{out}"))
        .unwrap_err();
    assert!(output.contains("journey-events"), "{output}");
}
