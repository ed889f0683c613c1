//! The guidance crate's errors. They name the line number and the field, never a value: a
//! prescription line and the patient label are patient data.

/// Why a sheet could not be built or rendered.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GuidanceError {
    /// The prescription has no lines: there is nothing to give guidance on.
    #[error("no_lines: the prescription has no lines")]
    NoLines,
    /// A prescription line breaks a rule (line numbers are 1-based).
    #[error("invalid_line: line {line}, field `{field}`: {reason}")]
    InvalidLine {
        line: usize,
        field: &'static str,
        reason: &'static str,
    },
    /// A font given to the PDF renderer could not be parsed or subset.
    #[error("font_invalid: the {which} font: {reason}")]
    FontInvalid { which: &'static str, reason: String },
    /// A prescription slip (处方笺) field cannot be printed as given (names the field, never
    /// the value).
    #[error("slip_invalid: field `{field}`: {reason}")]
    SlipInvalid {
        field: &'static str,
        reason: &'static str,
    },
    /// A demonstration's `steps.toml` breaks its schema.
    #[error("media_invalid: {media}: {reason}")]
    MediaInvalid { media: String, reason: String },
}

impl GuidanceError {
    /// The stable code a front can branch on.
    pub fn code(&self) -> &'static str {
        match self {
            GuidanceError::NoLines => "no_lines",
            GuidanceError::InvalidLine { .. } => "invalid_line",
            GuidanceError::FontInvalid { .. } => "font_invalid",
            GuidanceError::MediaInvalid { .. } => "media_invalid",
            GuidanceError::SlipInvalid { .. } => "slip_invalid",
        }
    }
}
