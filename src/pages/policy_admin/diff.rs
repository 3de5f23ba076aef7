//! A side-by-side line diff of a draft against the version in force: the longest common
//! subsequence of lines, with a run of removed lines beside the run of added lines that
//! replaces it.

/// A line and its 1-based number.
type Line = (usize, String);

/// One row of the side-by-side view: a line on the left (the version in force), on the right
/// (the draft), or both, each with its 1-based number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub left: Option<(usize, String)>,
    pub right: Option<(usize, String)>,
}

impl Row {
    /// Whether the row shows a difference.
    pub fn changed(&self) -> bool {
        match (&self.left, &self.right) {
            (Some((_, a)), Some((_, b))) => a != b,
            _ => true,
        }
    }
}

/// The rows that turn `old` into `new`.
pub fn side_by_side(old: &str, new: &str) -> Vec<Row> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut rows = Vec::new();
    let mut removed: Vec<Line> = Vec::new();
    let mut added: Vec<Line> = Vec::new();
    let flush = |rows: &mut Vec<Row>, removed: &mut Vec<Line>, added: &mut Vec<Line>| {
        let n = removed.len().max(added.len());
        let mut r = removed.drain(..);
        let mut d = added.drain(..);
        for _ in 0..n {
            rows.push(Row {
                left: r.next(),
                right: d.next(),
            });
        }
    };
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            flush(&mut rows, &mut removed, &mut added);
            rows.push(Row {
                left: Some((i + 1, a[i].to_owned())),
                right: Some((j + 1, b[j].to_owned())),
            });
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            added.push((j + 1, b[j].to_owned()));
            j += 1;
        } else {
            removed.push((i + 1, a[i].to_owned()));
            i += 1;
        }
    }
    flush(&mut rows, &mut removed, &mut added);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_line_sits_beside_its_old_self() {
        let old = "a\nb = 300\nc\n";
        let new = "a\nb = 350\nc\nd\n";
        let rows = side_by_side(old, new);
        assert_eq!(rows.len(), 4);
        assert!(!rows[0].changed());
        assert_eq!(rows[1].left, Some((2, "b = 300".to_owned())));
        assert_eq!(rows[1].right, Some((2, "b = 350".to_owned())));
        assert!(rows[1].changed());
        assert!(!rows[2].changed());
        assert_eq!(
            (rows[3].left.clone(), rows[3].right.clone()),
            (None, Some((4, "d".to_owned())))
        );
    }

    #[test]
    fn identical_files_show_no_change_and_every_line_once() {
        let text = "x\ny\nz";
        let rows = side_by_side(text, text);
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| !r.changed()));
        let removed_only = side_by_side("x\ny", "");
        assert_eq!(removed_only.len(), 2);
        assert!(removed_only.iter().all(|r| r.right.is_none()));
    }
}
