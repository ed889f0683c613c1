//! RFC 8785 (JCS) conformance: the RFC's own examples, then properties over random values.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use meddesk_signature::canonical;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn canonical_string(value: &Value) -> String {
    String::from_utf8(canonical::to_vec(value).unwrap()).unwrap()
}

/// RFC 8785 Appendix B, checked against ECMAScript's own `String(number)`.
#[test]
fn rfc8785_appendix_b_numbers() {
    let fixture: Value = serde_json::from_str(include_str!("fixtures/jcs-numbers.json")).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 26);
    for case in cases {
        let bits = u64::from_str_radix(case[0].as_str().unwrap(), 16).unwrap();
        let number = f64::from_bits(bits);
        match case[1].as_str() {
            Some(expected) => {
                assert_eq!(
                    canonical::number(number).unwrap(),
                    expected,
                    "bits {bits:016x}"
                );
                if let Some(n) = serde_json::Number::from_f64(number) {
                    assert_eq!(canonical_string(&Value::Number(n)), expected);
                }
            }
            None => assert_eq!(
                canonical::number(number).unwrap_err().code(),
                "number_not_finite"
            ),
        }
    }
}

/// RFC 8785 §3.2.3: members sorted by UTF-16 code units (the emoji's surrogates sort
/// before U+FB33 although its code point is larger).
#[test]
fn rfc8785_sorting_example() {
    let input = r#"{
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\ud83d\ude00": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis"
    }"#;
    let value: Value = serde_json::from_str(input).unwrap();
    let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\
                    \"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\
                    \"😀\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
    assert_eq!(canonical_string(&value), expected);
}

/// RFC 8785 §3.2.2: numbers, string escapes and literals together.
#[test]
fn rfc8785_input_example() {
    let input = r#"{
        "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
        "literals": [null, true, false]
    }"#;
    let value: Value = serde_json::from_str(input).unwrap();
    assert_eq!(
        canonical_string(&value),
        r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
    );
}

#[test]
fn short_escapes_and_lowercase_hex() {
    let value = json!("\u{8}\u{c}\n\r\t\u{0}\u{1f}\u{7f}é/");
    assert_eq!(
        canonical_string(&value),
        "\"\\b\\f\\n\\r\\t\\u0000\\u001f\u{7f}é/\""
    );
}

#[test]
fn insertion_order_does_not_matter() {
    // The workspace's serde_json preserves insertion order; JCS must not.
    let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,2],"x":null}}"#).unwrap();
    let b: Value = serde_json::from_str(r#"{"a":{"x":null,"y":[1,2]},"b":1}"#).unwrap();
    assert_eq!(canonical_string(&a), canonical_string(&b));
    assert_eq!(canonical_string(&a), r#"{"a":{"x":null,"y":[1,2]},"b":1}"#);
}

/// Equality as JSON numbers are doubles: `1`, `1.0` and `1e0` are one value.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let exact = 1_i64 << 53;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-exact..=exact).prop_map(|i| json!(i)),
        any::<f64>()
            .prop_filter_map("finite", serde_json::Number::from_f64)
            .prop_map(Value::Number),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #[test]
    fn parse_canonicalise_parse_is_the_same_value(value in json_value()) {
        let bytes = canonical::to_vec(&value).unwrap();
        let parsed: Value = serde_json::from_slice(&bytes).unwrap();
        prop_assert!(same_json(&value, &parsed));
    }

    #[test]
    fn canonicalising_twice_is_stable(value in json_value()) {
        let once = canonical::to_vec(&value).unwrap();
        let parsed: Value = serde_json::from_slice(&once).unwrap();
        prop_assert_eq!(canonical::to_vec(&parsed).unwrap(), once);
    }

    #[test]
    fn every_finite_number_round_trips(bits in any::<u64>()) {
        let number = f64::from_bits(bits);
        prop_assume!(number.is_finite());
        let text = canonical::number(number).unwrap();
        prop_assert_eq!(text.parse::<f64>().unwrap(), number);
    }
}
