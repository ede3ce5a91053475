//! The unit tree as materialised paths: a unit's path is the ids from the root down to it,
//! '/1/4/9/'. A subtree is every path that starts with the unit's path. Databases are
//! asked for it as a byte-ordered range (see `subtree_range`), which both SQLite and
//! PostgreSQL (with the column in the "C" collation) answer from the index.

/// Path of a unit with `id` under a parent with `parent_path` (None for a root).
pub fn child_path(parent_path: Option<&str>, id: i64) -> String {
    format!("{}{id}/", parent_path.unwrap_or("/"))
}

/// The path of a unit's parent: `/1/4/9/` -> `/1/4/`; None for a province (a root).
pub fn parent_path(path: &str) -> Option<&str> {
    let cut = path.strip_suffix('/')?.rfind('/')?;
    (cut > 0).then(|| &path[..=cut])
}

/// Unit ids of a path, nearest first: '/1/4/9/' gives [9, 4, 1].
pub fn chain(path: &str) -> Vec<i64> {
    path.split('/')
        .filter_map(|s| s.parse().ok())
        .rev()
        .collect()
}

/// Whether `path` lies in the subtree rooted at `ancestor_path` (a unit is in its own subtree).
pub fn in_subtree(path: &str, ancestor_path: &str) -> bool {
    path.starts_with(ancestor_path)
}

/// The half-open range `[low, high)` of paths in the subtree of `path`. Paths hold only
/// digits and '/', and every path in the subtree starts with `path`, which ends in '/'
/// (0x2F); replacing that last '/' with '0' (0x30) gives the first string past them all.
/// Unlike `LIKE 'prefix%'` (case-insensitive in SQLite, so never indexed there), a range
/// uses the index on both databases.
pub fn subtree_range(path: &str) -> (String, String) {
    let stem = path.strip_suffix('/').unwrap_or(path);
    (path.to_owned(), format!("{stem}0"))
}

/// The deepest unit whose subtree holds all the given paths, as its id; None for no paths.
pub fn common_ancestor<'a>(paths: impl IntoIterator<Item = &'a str>) -> Option<i64> {
    let mut iter = paths.into_iter();
    let first: Vec<&str> = iter.next()?.split('/').filter(|s| !s.is_empty()).collect();
    let mut common = first.len();
    for path in iter {
        let ids: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        common = common.min(first.iter().zip(&ids).take_while(|(a, b)| a == b).count());
    }
    common.checked_sub(1).and_then(|i| first[i].parse().ok())
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
        let (low, high) = subtree_range(&dept);
        for (path, inside) in [
            ("/1/4/", true),
            ("/1/4/9/", true),
            ("/1/4/99/3/", true),
            ("/1/41/", false),
            ("/1/5/", false),
            ("/1/", false),
            ("/1/3/", false),
        ] {
            assert_eq!(
                path >= low.as_str() && path < high.as_str(),
                inside,
                "{path}"
            );
            assert_eq!(in_subtree(path, &dept), inside, "{path}");
        }
        assert_eq!(depth(&root), 0);
        assert_eq!(depth(&div), 2);
    }

    #[test]
    fn common_ancestors() {
        assert_eq!(common_ancestor(["/1/4/9/", "/1/4/12/"]), Some(4));
        assert_eq!(common_ancestor(["/1/4/9/", "/1/5/"]), Some(1));
        assert_eq!(common_ancestor(["/1/4/9/"]), Some(9));
        assert_eq!(
            common_ancestor(["/1/4/", "/2/4/"]),
            None,
            "different provinces"
        );
        assert_eq!(common_ancestor(Vec::<&str>::new()), None);
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
