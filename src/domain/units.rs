//! The unit tree as materialised paths: a unit's path is the ids from the root down to it,
//! '/1/4/9/'. A subtree is every path that starts with the unit's path, which both
//! databases answer with an indexed `LIKE 'prefix%'`.

/// Path of a unit with `id` under a parent with `parent_path` (None for a root).
pub fn child_path(parent_path: Option<&str>, id: i64) -> String {
    format!("{}{id}/", parent_path.unwrap_or("/"))
}

/// Whether `path` lies in the subtree rooted at `ancestor_path` (a unit is in its own subtree).
pub fn in_subtree(path: &str, ancestor_path: &str) -> bool {
    path.starts_with(ancestor_path)
}

/// The `LIKE` pattern matching the subtree of a unit. Paths hold only digits and '/', so
/// no escaping is needed.
pub fn subtree_pattern(path: &str) -> String {
    format!("{path}%")
}

/// Depth of a unit: a root is 0.
pub fn depth(path: &str) -> usize {
    path.matches('/').count().saturating_sub(2)
}

/// The new path of a descendant when its subtree moves from `old_prefix` to `new_prefix`.
pub fn rebase(path: &str, old_prefix: &str, new_prefix: &str) -> Option<String> {
    path.strip_prefix(old_prefix)
        .map(|rest| format!("{new_prefix}{rest}"))
}

/// Why a unit cannot be moved under a new parent, if it cannot.
pub fn move_conflict(unit_path: &str, new_parent_path: &str) -> Option<&'static str> {
    if in_subtree(new_parent_path, unit_path) {
        Some("a unit cannot be moved under itself or one of its own units")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_subtrees() {
        let root = child_path(None, 1);
        assert_eq!(root, "/1/");
        let dept = child_path(Some(&root), 4);
        assert_eq!(dept, "/1/4/");
        let div = child_path(Some(&dept), 9);
        assert!(in_subtree(&div, &root));
        assert!(in_subtree(&div, &dept));
        assert!(in_subtree(&dept, &dept));
        assert!(!in_subtree(&dept, &div));
        // '/1/4/' must not match a sibling '/1/41/'.
        assert!(!in_subtree("/1/41/", "/1/4/"));
        assert_eq!(subtree_pattern(&dept), "/1/4/%");
        assert_eq!(depth(&root), 0);
        assert_eq!(depth(&div), 2);
    }

    #[test]
    fn moving_subtrees() {
        assert_eq!(
            rebase("/1/4/9/", "/1/4/", "/1/7/4/").as_deref(),
            Some("/1/7/4/9/")
        );
        assert_eq!(rebase("/1/5/", "/1/4/", "/1/7/4/"), None);
        assert!(move_conflict("/1/4/", "/1/4/9/").is_some());
        assert!(move_conflict("/1/4/", "/1/4/").is_some());
        assert!(move_conflict("/1/4/", "/1/7/").is_none());
    }
}
