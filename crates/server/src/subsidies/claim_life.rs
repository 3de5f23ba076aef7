//! An application under review as a table (no IO): who may take which step from which status.
//!
//! ```text
//!          submit              approve
//! draft ──────────> submitted ─────────> approved (the grant pays)
//!   ▲ │              │  ▲   └─ reject ──> rejected
//!   │ │       return │  │ submit
//!   │ │              ▼  │
//!   │ │            returned
//!   └─┴── withdraw (draft, submitted, returned) ──> withdrawn
//! ```

use api::claim::{ClaimAction, ClaimStatus};

/// Who takes a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    Applicant,
    Reviewer,
}

impl By {
    pub fn label(self) -> &'static str {
        match self {
            By::Applicant => "applicant",
            By::Reviewer => "reviewer",
        }
    }
}

/// The status `action` by `by` moves an application in status `from` to, or `None`.
pub fn next(from: ClaimStatus, action: ClaimAction, by: By) -> Option<ClaimStatus> {
    use ClaimAction as A;
    use ClaimStatus as S;
    match (from, action, by) {
        (S::Draft | S::Returned, A::Submit, By::Applicant) => Some(S::Submitted),
        (S::Draft | S::Submitted | S::Returned, A::Withdraw, By::Applicant) => Some(S::Withdrawn),
        (S::Submitted, A::Return, By::Reviewer) => Some(S::Returned),
        (S::Submitted, A::Approve, By::Reviewer) => Some(S::Approved),
        (S::Submitted, A::Reject, By::Reviewer) => Some(S::Rejected),
        _ => None,
    }
}

/// What `by` may do to an application in status `from`.
pub fn available(from: ClaimStatus, by: By) -> Vec<ClaimAction> {
    [
        ClaimAction::Submit,
        ClaimAction::Approve,
        ClaimAction::Return,
        ClaimAction::Reject,
        ClaimAction::Withdraw,
    ]
    .into_iter()
    .filter(|a| next(from, *a, by).is_some())
    .collect()
}

/// The applicant can change answers and materials.
pub fn editable(status: ClaimStatus) -> bool {
    matches!(status, ClaimStatus::Draft | ClaimStatus::Returned)
}

/// It holds its subject's period for the policy: no second application may be opened (the
/// predicate of the index `claims_one_open`).
pub fn holds_the_period(status: ClaimStatus) -> bool {
    !matches!(status, ClaimStatus::Rejected | ClaimStatus::Withdrawn)
}

/// The statuses for which `keep` holds, as an SQL list: `('draft', 'returned')`. The sets come
/// from this table, never from literals.
pub fn statuses_sql(keep: fn(ClaimStatus) -> bool) -> String {
    let names: Vec<String> = ClaimStatus::ALL
        .into_iter()
        .filter(|s| keep(*s))
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("({})", names.join(", "))
}

/// It is with the department: its clock runs.
pub fn with_department(status: ClaimStatus) -> bool {
    status == ClaimStatus::Submitted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_table() {
        use ClaimAction as A;
        use ClaimStatus as S;
        let allowed = [
            (S::Draft, A::Submit, By::Applicant, S::Submitted),
            (S::Returned, A::Submit, By::Applicant, S::Submitted),
            (S::Draft, A::Withdraw, By::Applicant, S::Withdrawn),
            (S::Submitted, A::Withdraw, By::Applicant, S::Withdrawn),
            (S::Returned, A::Withdraw, By::Applicant, S::Withdrawn),
            (S::Submitted, A::Return, By::Reviewer, S::Returned),
            (S::Submitted, A::Approve, By::Reviewer, S::Approved),
            (S::Submitted, A::Reject, By::Reviewer, S::Rejected),
        ];
        for from in S::ALL {
            for action in [A::Submit, A::Withdraw, A::Return, A::Approve, A::Reject] {
                for by in [By::Applicant, By::Reviewer] {
                    let expected = allowed
                        .iter()
                        .find(|(f, a, b, _)| (*f, *a, *b) == (from, action, by))
                        .map(|(_, _, _, to)| *to);
                    assert_eq!(
                        next(from, action, by),
                        expected,
                        "{from:?} {action:?} {by:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_decided_application_is_final_and_a_reviewer_cannot_act_on_a_draft() {
        for s in [
            ClaimStatus::Approved,
            ClaimStatus::Rejected,
            ClaimStatus::Withdrawn,
        ] {
            assert!(available(s, By::Applicant).is_empty());
            assert!(available(s, By::Reviewer).is_empty());
            assert!(!editable(s));
        }
        assert!(available(ClaimStatus::Draft, By::Reviewer).is_empty());
        assert_eq!(
            available(ClaimStatus::Submitted, By::Reviewer),
            [
                ClaimAction::Approve,
                ClaimAction::Return,
                ClaimAction::Reject
            ]
        );
        assert!(
            !editable(ClaimStatus::Submitted),
            "not while the department reads it"
        );
    }
}
