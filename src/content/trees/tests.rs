//! Tests of parsing, checking and walking trees.

use super::*;

const SAMPLE: &str = r#"
title = "Printer prints nothing"
start = "power"

[[node]]
id = "power"
kind = "question"
title = "Is the power light on?"
  [[node.option]]
  label = "Yes"
  goto = "paper"
  summary = "Power light is on"
  [[node.option]]
  label = "No"
  goto = "plug"
  summary = "Power light is off"

[[node]]
id = "plug"
kind = "fix"
title = "Plug it in"
text = "Push the cable in firmly."

[[node]]
id = "paper"
kind = "question"
title = "Is there paper?"
  [[node.option]]
  label = "Yes"
  goto = "ask"
  summary = "There is paper"
  [[node.option]]
  label = "Not sure, check power again"
  key = "recheck"
  goto = "power"
  summary = "Unsure about the paper"
  loop = true

[[node]]
id = "ask"
kind = "escalate"
title = "We could not fix it here"
"#;

fn parse(text: &str) -> (Option<Tree>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let tree = parse_str(Path::new("t.toml"), text, DEFAULT_MAX_DEPTH, &mut diags);
    (tree, diags)
}

#[test]
fn parses_and_computes_steps_left() {
    let (tree, diags) = parse(SAMPLE);
    assert!(diags.is_empty(), "{diags:?}");
    let tree = tree.unwrap();
    assert_eq!(tree.slug, "t");
    let power = tree.node("power").unwrap();
    assert_eq!((power.min_left, power.max_left), (2, 3));
    assert_eq!(tree.node("power").unwrap().options[0].key, "yes");
    assert_eq!(
        tree.path_to("ask").unwrap(),
        vec![
            ("power".to_string(), "yes".to_string()),
            ("paper".into(), "yes".into())
        ]
    );
}

#[test]
fn walks_answers_and_stops_where_they_end() {
    let tree = parse(SAMPLE).0.unwrap();
    let a = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let walk = tree.walk(&a(&[("power", "no")]));
    assert_eq!(walk.position, Position::At("plug".into()));
    assert_eq!(walk.answered[0].summary, "Power light is off");
    // Fix says no, no `next`, the tree's escalate node takes over.
    let walk = tree.walk(&a(&[("power", "no"), ("plug", "no")]));
    assert_eq!(walk.position, Position::At("ask".into()));
    // Unknown keys and nodes are ignored; the valid prefix stands.
    let walk = tree.walk(&a(&[("power", "yes"), ("paper", "banana"), ("ghost", "x")]));
    assert_eq!(walk.position, Position::At("paper".into()));
    assert_eq!(walk.ignored, 2);
    // A marked loop asks the earlier question again.
    let walk = tree.walk(&a(&[("power", "yes"), ("paper", "recheck")]));
    assert_eq!(walk.position, Position::At("power".into()));
    assert_eq!(walk.answered.len(), 2);
    // Repeated parameters: the first value wins.
    let walk = tree.walk(&a(&[("power", "no"), ("power", "yes")]));
    assert_eq!(walk.position, Position::At("plug".into()));
}

#[test]
fn every_rule_reports_file_and_line() {
    let (_, d) = parse("title = \"x\"\nstart = \"a\"\n[[node]]\nid = \"a\"\nkind = \"question\"\n  [[node.option]]\n  label = \"Only\"\n  goto = \"nowhere\"\n  summary = \"s\"\n");
    assert!(
        d.iter()
            .any(|d| d.line == 5 || d.line == 4 && d.message.contains("at least 2 options")),
        "{d:?}"
    );
    assert!(
        d.iter()
            .any(|d| d.line == 8 && d.message.contains("unknown node \"nowhere\"")),
        "{d:?}"
    );

    let (_, d) = parse("title = \"x\"\nstart = \"a\"\n[[node]]\nid = \"a\"\nkind = \"fix\"\ntitle = \"A\"\n[[node]]\nid = \"a\"\nkind = \"fix\"\ntitle = \"A\"\n");
    assert!(
        d.iter()
            .any(|d| d.line == 8 && d.message.contains("duplicate node id")),
        "{d:?}"
    );

    let (_, d) = parse("title = \"x\"\nstart = \"a\"\n[[node]]\nid = \"a\"\nkind = \"fix\"\ntitle = \"A\"\n[[node]]\nid = \"lost\"\nkind = \"fix\"\ntitle = \"L\"\n");
    assert!(
        d.iter()
            .any(|d| d.line == 8 && d.message.contains("unreachable")),
        "{d:?}"
    );

    let cycle = "title = \"x\"\nstart = \"a\"\n[[node]]\nid = \"a\"\nkind = \"question\"\ntitle = \"A\"\n  [[node.option]]\n  label = \"1\"\n  goto = \"b\"\n  summary = \"s\"\n  [[node.option]]\n  label = \"2\"\n  goto = \"b\"\n  key = \"two\"\n  summary = \"s\"\n[[node]]\nid = \"b\"\nkind = \"question\"\ntitle = \"B\"\n  [[node.option]]\n  label = \"back\"\n  goto = \"a\"\n  summary = \"s\"\n  [[node.option]]\n  label = \"again\"\n  goto = \"a\"\n  summary = \"s\"\n";
    let (_, d) = parse(cycle);
    assert!(
        d.iter()
            .any(|d| d.line == 17 && d.message.contains("cycle")),
        "{d:?}"
    );
    let marked = cycle.replace("  goto = \"a\"\n", "  goto = \"a\"\n  loop = true\n");
    let (_, d) = parse(&marked);
    assert!(
        d.iter().any(|d| d.message.contains("no way out")),
        "a marked cycle that never reaches a fix: {d:?}"
    );

    let (_, d) = parse("title = \"x\"\nstart = \"zz\"\n[[node]]\nid = \"a\"\nkind = \"maybe\"\n");
    assert!(
        d.iter()
            .any(|d| d.line == 5 && d.message.contains("unknown node kind")),
        "{d:?}"
    );
    let (_, d) = parse("title = \"x\"\nstart = \"a\"\ncolour = 1\n");
    assert!(
        d.iter()
            .any(|d| d.line == 3 && d.message.contains("colour")),
        "{d:?}"
    );
}

#[test]
fn depth_limit() {
    let mut text = String::from("title = \"deep\"\nstart = \"n0\"\n");
    for i in 0..14 {
        text.push_str(&format!(
            "[[node]]\nid = \"n{i}\"\nkind = \"fix\"\ntitle = \"Step {i}\"\nnext = \"n{}\"\n",
            i + 1
        ));
    }
    text.push_str("[[node]]\nid = \"n14\"\nkind = \"escalate\"\ntitle = \"end\"\n");
    let (_, d) = parse(&text);
    assert!(
        d.iter()
            .any(|d| d.line == 4 && d.message.contains("more than the maximum of 12")),
        "{d:?}"
    );
    let mut diags = Vec::new();
    assert!(
        parse_str(Path::new("t.toml"), &text, 20, &mut diags).is_some(),
        "{diags:?}"
    );
}
