//! "Did you mean": the valid name nearest to a misspelt one.

/// The candidate closest to `written` by edit distance, if it is close enough to be a likely
/// misspelling (at most a third of its letters differ).
pub(crate) fn nearest<'a>(written: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|candidate| (edit_distance(written, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= candidate.len().max(3) / 3)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// `candidates` as "`a`, `b` or `c`".
pub(crate) fn one_of(candidates: &[&str]) -> String {
    let quoted: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_close_misspellings_only() {
        let keys = [
            "engine",
            "capacity",
            "growth_factor",
            "shrink_threshold",
            "name",
        ];
        assert_eq!(nearest("engin", &keys), Some("engine"));
        assert_eq!(nearest("capacty", &keys), Some("capacity"));
        assert_eq!(nearest("growthfactor", &keys), Some("growth_factor"));
        assert_eq!(nearest("partitions", &keys), None);
    }

    #[test]
    fn lists_candidates() {
        assert_eq!(one_of(&["a"]), "`a`");
        assert_eq!(one_of(&["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
