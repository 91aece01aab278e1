//! Which environment variables a settings parser reads: the parser runs
//! against an empty environment whose lookup records each name asked for.
//! Both services check with it that `--help` documents every variable their
//! parser really reads (rather than a list kept by hand).

use std::cell::RefCell;

/// The names `parse` looks up, in order, when every variable is unset.
pub fn variables_read(parse: impl FnOnce(&dyn Fn(&str) -> Option<String>)) -> Vec<String> {
    let read = RefCell::new(Vec::new());
    parse(&|name: &str| {
        read.borrow_mut().push(name.to_owned());
        None
    });
    read.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_every_lookup() {
        let read = variables_read(|get| {
            let _ = get("A");
            let _ = get("B").or_else(|| get("C"));
        });
        assert_eq!(read, ["A", "B", "C"]);
    }
}
