//! Size limits (R-SEC-8): per text field, per array, per operation, per record and per request,
//! so one push cannot make the platform store or send unbounded data. Pure: the operation's
//! JSON in, the first limit it breaks (named by its path, never its value) out.

use meddesk_sync::{Operation, RecordKey, Rejection, RejectionCode};
use serde_json::Value;

/// A request body (a push of up to [`crate::http::MAX_OPS_PER_PUSH`] operations).
pub const MAX_REQUEST_BYTES: usize = 32 * 1024 * 1024;
/// One operation as JSON (a signed prescription with its document and checker result is
/// the largest, a few tens of KiB).
pub const MAX_OPERATION_BYTES: usize = 128 * 1024;
/// Any one text value (a message has its own, smaller limit in `decide`).
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Any one array (lines, findings, reasons, overrides …).
pub const MAX_ARRAY_LEN: usize = 1_000;
/// Nesting of objects and arrays.
pub const MAX_DEPTH: usize = 32;
/// One stored record as JSON: a consultation grows with field history, follow-ups and
/// complaints, never with its thread (messages are records of their own).
pub const MAX_RECORD_BYTES: usize = 512 * 1024;

fn too_large(message: String) -> Rejection {
    Rejection::new(RejectionCode::InvalidInput, message)
}

/// The first limit `op` breaks, if any.
pub fn check_operation(op: &Operation) -> Result<(), Rejection> {
    let value = serde_json::to_value(op)
        .map_err(|e| too_large(format!("the operation cannot be encoded: {e}")))?;
    let bytes = serde_json::to_vec(&value).map_or(usize::MAX, |b| b.len());
    if bytes > MAX_OPERATION_BYTES {
        return Err(too_large(format!(
            "the operation is {bytes} bytes; at most {MAX_OPERATION_BYTES}"
        )));
    }
    walk(&value, &mut String::new(), 0)
}

fn walk(value: &Value, path: &mut String, depth: usize) -> Result<(), Rejection> {
    if depth > MAX_DEPTH {
        return Err(too_large(format!(
            "`{path}` is nested more than {MAX_DEPTH} levels deep"
        )));
    }
    match value {
        Value::String(s) if s.chars().count() > MAX_TEXT_CHARS => Err(too_large(format!(
            "`{path}` is longer than {MAX_TEXT_CHARS} characters"
        ))),
        Value::Array(items) => {
            if items.len() > MAX_ARRAY_LEN {
                return Err(too_large(format!(
                    "`{path}` has more than {MAX_ARRAY_LEN} entries"
                )));
            }
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, path, depth + 1)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(map) => {
            if map.len() > MAX_ARRAY_LEN {
                return Err(too_large(format!(
                    "`{path}` has more than {MAX_ARRAY_LEN} entries"
                )));
            }
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                // Keys are the protocol's names or the sender's map keys: keep them short.
                path.extend(key.chars().take(64));
                walk(item, path, depth + 1)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A record the operation would write must stay under [`MAX_RECORD_BYTES`].
pub fn check_record(key: &RecordKey, json: &str) -> Result<(), Rejection> {
    if json.len() > MAX_RECORD_BYTES {
        return Err(too_large(format!(
            "the {} record would be {} bytes; at most {MAX_RECORD_BYTES}",
            key.kind.as_str(),
            json.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use meddesk_sync::{Hlc, OpKind};
    use uuid::Uuid;

    fn op(kind: OpKind) -> Operation {
        Operation {
            op_id: Uuid::from_u128(1),
            user: "u".into(),
            device: "d".into(),
            base_version: 0,
            hlc: Hlc {
                wall_ms: 0,
                logical: 0,
            },
            kind,
        }
    }

    fn message(body: String) -> OpKind {
        OpKind::PostMessage {
            consultation_id: Uuid::from_u128(2),
            message_id: Uuid::from_u128(3),
            body,
        }
    }

    #[test]
    fn each_limit_names_the_path_and_never_the_value() {
        assert!(check_operation(&op(message("好".repeat(MAX_TEXT_CHARS)))).is_ok());
        let long =
            check_operation(&op(message("好".repeat(MAX_TEXT_CHARS + 1)))).expect_err("too long");
        assert_eq!(long.code, RejectionCode::InvalidInput);
        assert!(long.message.contains("`kind.body`"), "{}", long.message);
        assert!(!long.message.contains('好'));
        let huge =
            check_operation(&op(message("x".repeat(MAX_OPERATION_BYTES)))).expect_err("too big");
        assert!(huge.message.contains("bytes"), "{}", huge.message);
    }

    #[test]
    fn arrays_and_nesting_are_bounded() {
        let mut path = String::new();
        let wide = Value::Array(vec![Value::Null; MAX_ARRAY_LEN + 1]);
        assert!(walk(&wide, &mut path, 0).is_err());
        let mut deep = Value::Null;
        for _ in 0..=MAX_DEPTH + 1 {
            deep = Value::Array(vec![deep]);
        }
        let err = walk(&deep, &mut String::new(), 0).expect_err("deep");
        assert!(err.message.contains("nested"), "{}", err.message);
        let fine = serde_json::json!({"a": [1, 2, {"b": "c"}]});
        assert!(walk(&fine, &mut String::new(), 0).is_ok());
    }

    #[test]
    fn records_are_bounded() {
        let key = RecordKey::consultation(Uuid::from_u128(1));
        assert!(check_record(&key, &"x".repeat(MAX_RECORD_BYTES)).is_ok());
        let err = check_record(&key, &"x".repeat(MAX_RECORD_BYTES + 1)).expect_err("big");
        assert!(err.message.contains("consultation record"));
    }
}
