//! Amounts and strengths as the pack writes them: "<number> <unit>", optionally per a
//! quantity ("125 mg/5 mL", "100 mcg/dose"). Parsed once at load so the checker never parses.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The dimension an amount is measured in; the checker compares only like with like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Normalised to milligrams.
    Mass,
    /// International units and units (IU and U are treated as the same measure).
    Units,
    /// Normalised to millilitres.
    Volume,
    /// Percent (w/v or w/w as the label says).
    Percent,
    /// Countable dispensing units: dose (puff), tablet, capsule, drop, sachet.
    Count,
    /// Millimoles.
    Amount,
}

/// A unit of measure known to the pack and the checker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Mg,
    G,
    Mcg,
    Iu,
    U,
    Ml,
    Percent,
    Mmol,
    Dose,
    Tablet,
    Capsule,
    Drop,
    Sachet,
}

impl Unit {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "mg" => Unit::Mg,
            "g" => Unit::G,
            "mcg" | "µg" | "μg" | "ug" => Unit::Mcg,
            "IU" | "iu" => Unit::Iu,
            "U" | "u" | "units" => Unit::U,
            "mL" | "ml" | "ML" => Unit::Ml,
            "%" => Unit::Percent,
            "mmol" => Unit::Mmol,
            "dose" | "doses" | "puff" | "puffs" | "actuation" => Unit::Dose,
            "tablet" | "tablets" | "tab" => Unit::Tablet,
            "capsule" | "capsules" | "cap" => Unit::Capsule,
            "drop" | "drops" => Unit::Drop,
            "sachet" | "sachets" => Unit::Sachet,
            _ => return None,
        })
    }

    pub fn dimension(self) -> Dimension {
        match self {
            Unit::Mg | Unit::G | Unit::Mcg => Dimension::Mass,
            Unit::Iu | Unit::U => Dimension::Units,
            Unit::Ml => Dimension::Volume,
            Unit::Percent => Dimension::Percent,
            Unit::Mmol => Dimension::Amount,
            Unit::Dose | Unit::Tablet | Unit::Capsule | Unit::Drop | Unit::Sachet => {
                Dimension::Count
            }
        }
    }

    /// The factor to the dimension's base unit (mg for mass).
    pub fn to_base(self) -> f64 {
        match self {
            Unit::G => 1000.0,
            Unit::Mcg => 0.001,
            _ => 1.0,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Mg => "mg",
            Unit::G => "g",
            Unit::Mcg => "mcg",
            Unit::Iu => "IU",
            Unit::U => "U",
            Unit::Ml => "mL",
            Unit::Percent => "%",
            Unit::Mmol => "mmol",
            Unit::Dose => "dose",
            Unit::Tablet => "tablet",
            Unit::Capsule => "capsule",
            Unit::Drop => "drop",
            Unit::Sachet => "sachet",
        }
    }
}

/// A measured amount in its base unit, e.g. 0.5 g → `Measure { value: 500.0, dim: Mass }`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    pub value: f64,
    pub dim: Dimension,
}

/// "500 mg", "125 mg/5 mL", "100 mcg/dose", "0.5 %": an amount, optionally per a quantity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Amount {
    pub value: f64,
    pub unit: Unit,
    /// The denominator of a concentration: "/5 mL" → (5, mL); "/dose" → (1, dose).
    pub per: Option<(f64, Unit)>,
    text: String,
}

/// Why an amount string did not parse. Names the expected shape, never echoes free text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountError(pub String);

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AmountError {}

fn split_number(s: &str) -> Option<(f64, &str)> {
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map_or(s.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    let value: f64 = s[..end].parse().ok()?;
    Some((value, s[end..].trim()))
}

impl Amount {
    pub fn parse(text: &str) -> Result<Self, AmountError> {
        let bad = || {
            AmountError(
                "expected \"<number> <unit>\" or \"<number> <unit>/<number> <unit>\" with a \
                 unit among mg, g, mcg, IU, U, mL, %, mmol, dose, tablet, capsule, drop, sachet"
                    .into(),
            )
        };
        let (num, denom) = match text.split_once('/') {
            Some((n, d)) => (n, Some(d)),
            None => (text, None),
        };
        let (value, unit) = split_number(num).ok_or_else(bad)?;
        let unit = Unit::parse(unit).ok_or_else(bad)?;
        if !value.is_finite() || value <= 0.0 {
            return Err(AmountError("the amount must be a positive number".into()));
        }
        let per = match denom {
            None => None,
            Some(d) => {
                let d = d.trim();
                let (qty, u) = match split_number(d) {
                    Some((q, rest)) => (q, rest),
                    None => (1.0, d),
                };
                if qty <= 0.0 {
                    return Err(bad());
                }
                Some((qty, Unit::parse(u).ok_or_else(bad)?))
            }
        };
        Ok(Amount {
            value,
            unit,
            per,
            text: text.trim().to_owned(),
        })
    }

    /// The amount itself in base units, ignoring any denominator.
    pub fn measure(&self) -> Measure {
        Measure {
            value: self.value * self.unit.to_base(),
            dim: self.unit.dimension(),
        }
    }

    /// Base-unit amount per one unit of the denominator, e.g. "125 mg/5 mL" → 25 mg per mL.
    /// `None` when the amount is not a concentration.
    pub fn per_unit(&self) -> Option<(Measure, Unit)> {
        let (qty, unit) = self.per?;
        let m = self.measure();
        Some((
            Measure {
                value: m.value / (qty * unit.to_base()),
                dim: m.dim,
            },
            unit,
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl TryFrom<String> for Amount {
    type Error = AmountError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Amount::parse(&s)
    }
}

impl From<Amount> for String {
    fn from(a: Amount) -> String {
        a.text
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_concentration_amounts() {
        let a = Amount::parse("0.5 g").expect("valid");
        assert_eq!(a.measure().value, 500.0);
        assert_eq!(a.measure().dim, Dimension::Mass);
        let c = Amount::parse("125 mg/5 mL").expect("valid");
        let (m, u) = c.per_unit().expect("concentration");
        assert_eq!((m.value, u), (25.0, Unit::Ml));
        let p = Amount::parse("100 mcg/dose").expect("valid");
        let (m, u) = p.per_unit().expect("per dose");
        assert!((m.value - 0.1).abs() < 1e-12);
        assert_eq!(u, Unit::Dose);
        assert_eq!(
            Amount::parse("10 mg/mL").expect("valid").per,
            Some((1.0, Unit::Ml))
        );
    }

    #[test]
    fn rejects_unknown_units_and_non_positive_values() {
        for bad in ["500", "mg", "5 grains", "0 mg", "-1 mg", "5 mg/5 litres"] {
            assert!(Amount::parse(bad).is_err(), "{bad} should not parse");
        }
    }
}
