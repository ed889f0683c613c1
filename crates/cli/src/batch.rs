//! The JSON Lines batch contract shared by `meddesk rx check` and `meddesk triage`:
//! one request per input line, one answer per line in the same order; a malformed line or an
//! unknown field yields `{"id":…,"error":{"code":…,"message":…}}` for that line and the batch
//! goes on. The caller exits 0 when every line was answered, 1 when any line was an error.
//!
//! Error messages name the field by its path (`patient.allergys`) and never echo a value:
//! a value on a line may be patient data.

use std::io::{self, BufRead, Write};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchSummary {
    pub answered: u64,
    pub errors: u64,
}

/// Read requests from `input`, answer each with `answer`, write one line each to `output`.
/// Blank lines are skipped (no answer line).
pub fn run<T, O>(
    input: impl BufRead,
    mut output: impl Write,
    mut answer: impl FnMut(T) -> O,
) -> io::Result<BatchSummary>
where
    T: DeserializeOwned,
    O: Serialize,
{
    let mut summary = BatchSummary::default();
    let mut buf = Vec::with_capacity(256);
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        buf.clear();
        match decode::<T>(&line) {
            Ok(request) => {
                serde_json::to_writer(&mut buf, &answer(request)).map_err(io::Error::other)?;
                summary.answered += 1;
            }
            Err(error) => {
                serde_json::to_writer(&mut buf, &error).map_err(io::Error::other)?;
                summary.errors += 1;
            }
        }
        buf.push(b'\n');
        output.write_all(&buf)?;
    }
    output.flush()?;
    Ok(summary)
}

/// The batch input: a file, or standard input for `-` or no path.
pub fn input(path: Option<&std::path::Path>) -> Result<Box<dyn BufRead>, String> {
    match path {
        None => Ok(Box::new(io::stdin().lock())),
        Some(p) if p == std::path::Path::new("-") => Ok(Box::new(io::stdin().lock())),
        Some(p) => {
            let file = std::fs::File::open(p)
                .map_err(|e| format!("input_unreadable: {}: {e}", p.display()))?;
            Ok(Box::new(io::BufReader::with_capacity(1 << 16, file)))
        }
    }
}

/// The buffered standard output a batch writes to.
pub fn output() -> impl Write {
    io::BufWriter::with_capacity(1 << 16, io::stdout().lock())
}

impl BatchSummary {
    /// The exit status of the contract: an error when any line was an error.
    pub fn into_result(self) -> Result<(), String> {
        if self.errors > 0 {
            Err(format!(
                "{} of {} line(s) could not be answered (see the error lines)",
                self.errors,
                self.errors + self.answered
            ))
        } else {
            Ok(())
        }
    }
}

/// Decode one line; on failure, the error line to print (with the request's id when the
/// line was JSON with a string or number `id`).
pub fn decode<T: DeserializeOwned>(line: &str) -> Result<T, Value> {
    let id = || {
        // The first JSON value on the line, even when garbage follows it.
        serde_json::Deserializer::from_str(line)
            .into_iter::<Value>()
            .next()
            .and_then(Result::ok)
            .and_then(|v| v.get("id").cloned())
            .filter(|id| id.is_string() || id.is_number())
            .unwrap_or(Value::Null)
    };
    let mut de = serde_json::Deserializer::from_str(line);
    let value = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => v,
        Err(err) => {
            let inner = err.inner();
            let path = err.path().to_string();
            return Err(error_line(
                id(),
                inner,
                (!path.is_empty() && path != ".").then_some(path),
            ));
        }
    };
    // Anything after the request on the same line is malformed input, not a second request.
    de.end().map_err(|e| error_line(id(), &e, None))?;
    Ok(value)
}

fn error_line(id: Value, err: &serde_json::Error, path: Option<String>) -> Value {
    let (code, what) = if err.is_syntax() || err.is_eof() {
        ("invalid_json", "the line is not valid JSON")
    } else {
        ("invalid_request", "the request does not match the contract")
    };
    let detail = redact_values(&err.to_string());
    let message = match path {
        Some(path) => format!("{what}: field `{path}`: {detail}"),
        None => format!("{what}: {detail}"),
    };
    json!({ "id": id, "error": { "code": code, "message": message } })
}

/// serde quotes offending string values in double quotes (`invalid type: string "张三"`) and
/// names fields and variants in backticks; keep the backticks, drop the quoted values.
fn redact_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut in_quote = false;
    for c in message.chars() {
        match (c, in_quote) {
            ('"', false) => {
                in_quote = true;
                out.push_str("\"…\"");
            }
            ('"', true) => in_quote = false,
            (_, true) => {}
            (c, false) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Req {
        id: String,
        patient: Patient,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Patient {
        #[serde(default)]
        allergies: Vec<String>,
        age_years: Option<f64>,
    }

    fn batch(input: &str) -> (Vec<Value>, BatchSummary) {
        let mut out = Vec::new();
        let summary = run(
            input.as_bytes(),
            &mut out,
            |r: Req| json!({"id": r.id, "allergies": r.patient.allergies.len(), "age": r.patient.age_years}),
        )
        .expect("in-memory io");
        let lines = String::from_utf8(out)
            .expect("utf8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("each output line is JSON"))
            .collect();
        (lines, summary)
    }

    #[test]
    fn one_answer_per_line_in_order_and_the_batch_goes_on_after_errors() {
        let input = concat!(
            r#"{"id":"a","patient":{"allergies":["x"]}}"#,
            "\n",
            r#"{"id":"b","patient":{"allergys":["penicillin"]}}"#,
            "\n\n",
            "{not json\n",
            r#"{"id":"d","patient":{"age_years":"张三"}}"#,
            "\n",
            r#"{"id":"e","patient":{}}"#,
            "\n",
        );
        let (lines, summary) = batch(input);
        assert_eq!(
            summary,
            BatchSummary {
                answered: 2,
                errors: 3
            }
        );
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0]["allergies"], 1);

        assert_eq!(lines[1]["id"], "b");
        assert_eq!(lines[1]["error"]["code"], "invalid_request");
        let msg = lines[1]["error"]["message"].as_str().expect("message");
        assert!(msg.contains("patient") && msg.contains("allergys"), "{msg}");

        assert_eq!(lines[2]["id"], Value::Null);
        assert_eq!(lines[2]["error"]["code"], "invalid_json");

        assert_eq!(lines[3]["id"], "d");
        let msg = lines[3]["error"]["message"].as_str().expect("message");
        assert!(msg.contains("patient.age_years"), "{msg}");
        assert!(
            !msg.contains("张三"),
            "a value never reaches the message: {msg}"
        );

        assert_eq!(lines[4]["id"], "e");
    }

    #[test]
    fn a_numeric_id_is_echoed_on_its_error_line() {
        let (lines, _) = batch(r#"{"id":7,"patient":{}}"#);
        assert_eq!(lines[0]["id"], 7);
        assert_eq!(lines[0]["error"]["code"], "invalid_request");
    }

    #[test]
    fn trailing_garbage_after_a_request_is_an_error() {
        let (lines, summary) = batch(r#"{"id":"a","patient":{}} x"#);
        assert_eq!(summary.errors, 1);
        assert_eq!(lines[0]["id"], "a");
    }
}
