//! `TablePrefix`: the only text ever interpolated into SQL, so it is validated once here.

use crate::error::{Error, Result};

/// A table prefix made only of `[A-Za-z0-9_]`, safe to place inside quoted identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TablePrefix(String);

impl TablePrefix {
    /// Validates `prefix`; an empty prefix is allowed (the table is then plain `commands`).
    pub fn new(prefix: &str) -> Result<Self> {
        if prefix.len() > 40
            || !prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(Error::InvalidTablePrefix(prefix.to_owned()));
        }
        Ok(Self(prefix.to_owned()))
    }

    /// The prefix as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Replaces every `{prefix}` token in a statement's text with the prefix.
    pub(crate) fn render(&self, sql: &str) -> String {
        sql.replace("{prefix}", &self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_letters_digits_underscore() {
        for ok in ["ORCH_", "", "a1_B2", "_"] {
            assert_eq!(TablePrefix::new(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "a-b",
            "a b",
            "x\"; drop table y; --",
            "é",
            "a.b",
            &"x".repeat(41),
        ] {
            assert!(
                matches!(TablePrefix::new(bad), Err(Error::InvalidTablePrefix(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn renders_tokens() {
        let p = TablePrefix::new("P_").unwrap();
        assert_eq!(
            p.render(r#"SELECT * FROM "{prefix}commands""#),
            r#"SELECT * FROM "P_commands""#
        );
    }
}
