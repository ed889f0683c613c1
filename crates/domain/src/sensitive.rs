//! `Sensitive<T>`: patient data that must never reach a log, an error message or a panic.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A value that is patient data. `Debug` and `Display` print a placeholder, never the value;
/// serde passes the value through unchanged because the wire (IPC, the encrypted store) is
/// where it is meant to go.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The value itself. Call sites are where patient data is used on purpose; grep for them.
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sensitive(<redacted>)")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// On the wire a `Sensitive<T>` is a `T`: the TypeScript side sees the plain type.
impl<T: ts_rs::TS> ts_rs::TS for Sensitive<T> {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn name(cfg: &ts_rs::Config) -> String {
        T::name(cfg)
    }

    fn inline(cfg: &ts_rs::Config) -> String {
        T::inline(cfg)
    }

    fn visit_dependencies(v: &mut impl ts_rs::TypeVisitor)
    where
        Self: 'static,
    {
        T::visit_dependencies(v);
    }

    fn visit_generics(v: &mut impl ts_rs::TypeVisitor)
    where
        Self: 'static,
    {
        T::visit_generics(v);
        v.visit::<T>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let name = Sensitive::new(String::from("张三丰"));
        assert!(!format!("{name:?}").contains("张三丰"));
        assert!(!format!("{name}").contains("张三丰"));
        assert!(!format!("{:?}", Some(&name)).contains("张三丰"));
    }

    #[test]
    fn serde_is_transparent() {
        let v = Sensitive::new(42u32);
        assert_eq!(serde_json::to_string(&v).unwrap(), "42");
        let back: Sensitive<u32> = serde_json::from_str("42").unwrap();
        assert_eq!(back.expose(), &42);
    }
}
