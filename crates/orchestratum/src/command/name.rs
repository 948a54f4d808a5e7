//! The naming convention: `SendEmailCommand` → `send_email`.

/// Derives a command's stored name from its Rust type name: the path and generic arguments are
/// dropped, a trailing `Command` is removed, PascalCase becomes snake_case, all lowercase.
pub fn convention(type_name: &str) -> String {
    let base = type_name.split('<').next().unwrap_or(type_name);
    let base = base.rsplit("::").next().unwrap_or(base);
    let base = match base.strip_suffix("Command") {
        Some(stripped) if !stripped.is_empty() => stripped,
        _ => base,
    };
    let chars: Vec<char> = base.chars().collect();
    let mut out = String::with_capacity(base.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            // "HTTPRequest" → "http_request": break before the last capital of an acronym.
            let boundary = prev.is_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_uppercase() && next_is_lower);
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::convention;

    #[test]
    fn reference_examples() {
        assert_eq!(convention("SendEmailCommand"), "send_email");
        assert_eq!(
            convention("my_app::jobs::GenerateReportCommand"),
            "generate_report"
        );
        assert_eq!(convention("ProcessOrder"), "process_order");
    }

    #[test]
    fn edge_cases() {
        assert_eq!(convention("Command"), "command");
        assert_eq!(convention("HTTPRequestCommand"), "http_request");
        assert_eq!(convention("Wrapper<u8>"), "wrapper");
        assert_eq!(convention("Resize2xImageCommand"), "resize2x_image");
        assert_eq!(convention("already_snake"), "already_snake");
    }
}
