//! The application workflow as a state machine: which actions are legal in which state, by
//! whom, and where they lead. Nothing here touches a database; the server records each
//! transition (actor, time, comment) and refuses whatever [`next`] refuses.
//!
//! ```text
//! draft ─submit→ submitted ─accept→ accepted ─schedule_check→ on_site_check ─pass_check→ check_passed ─approve→ approved ─issue→ issued
//!                  │  ↑                │      ─use_commitment→ commitment ───────────────────────────approve→ ┘
//!                  │  └──resubmit── returned                    (approve straight from accepted when no permit needs a check)
//!                  └─return→ returned
//! reject: from submitted, accepted, on_site_check, check_passed, commitment → rejected
//! withdraw (applicant): from submitted, returned, accepted, on_site_check, check_passed, commitment → withdrawn
//! ```

use serde::{Deserialize, Serialize};

pub use api::licence::{Action, Stage};

/// Who asks for a transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The person who applies (or acts for the enterprise that does).
    Applicant,
    /// A licence reviewer at the service centre.
    Reviewer,
    /// Zhida itself (issuing the licence once approved).
    System,
}

/// What the state machine needs to know of the application beyond its stage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// Some chosen permit requires an on-site check.
    pub needs_check: bool,
    /// Every permit that requires a check allows a signed commitment instead (告知承诺制), and
    /// the applicant signed it.
    pub commitment_signed: bool,
}

/// Why an action is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not possible in this stage.
    Illegal,
    /// Possible, but not by this role.
    NotYours,
    /// Possible in this stage, but not for this application (e.g. approving without the
    /// on-site check it needs).
    Condition,
}

/// Every stage, in workflow order.
pub const STAGES: [Stage; 11] = [
    Stage::Draft,
    Stage::Submitted,
    Stage::Returned,
    Stage::Accepted,
    Stage::OnSiteCheck,
    Stage::CheckPassed,
    Stage::Commitment,
    Stage::Approved,
    Stage::Issued,
    Stage::Rejected,
    Stage::Withdrawn,
];

/// Every action.
pub const ACTIONS: [Action; 12] = [
    Action::Submit,
    Action::Resubmit,
    Action::Withdraw,
    Action::Accept,
    Action::Return,
    Action::ScheduleCheck,
    Action::PassCheck,
    Action::FailCheck,
    Action::UseCommitment,
    Action::Approve,
    Action::Reject,
    Action::Issue,
];

/// The role that may take `action`.
pub fn role_of(action: Action) -> Role {
    match action {
        Action::Submit | Action::Resubmit | Action::Withdraw => Role::Applicant,
        Action::Issue => Role::System,
        Action::Accept
        | Action::Return
        | Action::ScheduleCheck
        | Action::PassCheck
        | Action::FailCheck
        | Action::UseCommitment
        | Action::Approve
        | Action::Reject => Role::Reviewer,
    }
}

/// Whether a stage is final: nothing more happens to the application.
pub fn is_final(stage: Stage) -> bool {
    matches!(stage, Stage::Issued | Stage::Rejected | Stage::Withdrawn)
}

/// Whether the stage waits for the applicant (rather than for the service centre): the
/// stages in which answers and materials may be changed.
pub fn waits_for_applicant(stage: Stage) -> bool {
    matches!(stage, Stage::Draft | Stage::Returned)
}

/// Whether the stage waits for the service centre: the reviewers' queue.
pub fn waits_for_centre(stage: Stage) -> bool {
    !is_final(stage) && !waits_for_applicant(stage)
}

/// The stage `action` by `role` leads to from `from`, or why it may not be taken.
pub fn next(from: Stage, action: Action, role: Role, facts: Facts) -> Result<Stage, Refusal> {
    use Stage::*;
    let to = match (from, action) {
        (Draft, Action::Submit) => Submitted,
        (Returned, Action::Resubmit) => Submitted,
        (
            Submitted | Returned | Accepted | OnSiteCheck | CheckPassed | Commitment,
            Action::Withdraw,
        ) => Withdrawn,
        (Submitted, Action::Accept) => Accepted,
        (Submitted, Action::Return) => Returned,
        (Accepted, Action::ScheduleCheck) => OnSiteCheck,
        // Rescheduling keeps the stage.
        (OnSiteCheck, Action::ScheduleCheck) => OnSiteCheck,
        (OnSiteCheck, Action::PassCheck) => CheckPassed,
        (OnSiteCheck, Action::FailCheck) => Rejected,
        (Accepted, Action::UseCommitment) => Commitment,
        (Accepted | CheckPassed | Commitment, Action::Approve) => Approved,
        (Submitted | Accepted | OnSiteCheck | CheckPassed | Commitment, Action::Reject) => Rejected,
        (Approved, Action::Issue) => Issued,
        _ => return Err(Refusal::Illegal),
    };
    if role_of(action) != role {
        return Err(Refusal::NotYours);
    }
    let allowed = match (from, action) {
        (Accepted, Action::UseCommitment) => facts.commitment_signed,
        (Accepted, Action::ScheduleCheck) => facts.needs_check,
        (Accepted, Action::Approve) => !facts.needs_check,
        _ => true,
    };
    if allowed {
        Ok(to)
    } else {
        Err(Refusal::Condition)
    }
}

/// The actions `role` may take now, in the order a screen offers them.
pub fn available(from: Stage, role: Role, facts: Facts) -> Vec<Action> {
    ACTIONS
        .iter()
        .copied()
        .filter(|a| next(from, *a, role, facts).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Stage::*;

    const PLAIN: Facts = Facts {
        needs_check: false,
        commitment_signed: false,
    };
    const CHECK: Facts = Facts {
        needs_check: true,
        commitment_signed: false,
    };
    const SIGNED: Facts = Facts {
        needs_check: true,
        commitment_signed: true,
    };

    fn all_actions() -> Vec<Action> {
        ACTIONS.to_vec()
    }

    /// The whole table, written out: (from, action, facts that allow it, to).
    fn legal() -> Vec<(Stage, Action, Stage)> {
        vec![
            (Draft, Action::Submit, Submitted),
            (Returned, Action::Resubmit, Submitted),
            (Submitted, Action::Withdraw, Withdrawn),
            (Returned, Action::Withdraw, Withdrawn),
            (Accepted, Action::Withdraw, Withdrawn),
            (OnSiteCheck, Action::Withdraw, Withdrawn),
            (CheckPassed, Action::Withdraw, Withdrawn),
            (Commitment, Action::Withdraw, Withdrawn),
            (Submitted, Action::Accept, Accepted),
            (Submitted, Action::Return, Returned),
            (Accepted, Action::ScheduleCheck, OnSiteCheck),
            (OnSiteCheck, Action::ScheduleCheck, OnSiteCheck),
            (OnSiteCheck, Action::PassCheck, CheckPassed),
            (OnSiteCheck, Action::FailCheck, Rejected),
            (Accepted, Action::UseCommitment, Commitment),
            (Accepted, Action::Approve, Approved),
            (CheckPassed, Action::Approve, Approved),
            (Commitment, Action::Approve, Approved),
            (Submitted, Action::Reject, Rejected),
            (Accepted, Action::Reject, Rejected),
            (OnSiteCheck, Action::Reject, Rejected),
            (CheckPassed, Action::Reject, Rejected),
            (Commitment, Action::Reject, Rejected),
            (Approved, Action::Issue, Issued),
        ]
    }

    /// The facts under which a legal pair is allowed.
    fn allowing(from: Stage, action: Action) -> Facts {
        match (from, action) {
            (Accepted, Action::UseCommitment) => SIGNED,
            (Accepted, Action::ScheduleCheck) => CHECK,
            (Accepted, Action::Approve) => PLAIN,
            _ => SIGNED,
        }
    }

    #[test]
    fn every_stage_and_action_pair_is_legal_exactly_as_the_table_says() {
        let table = legal();
        for from in STAGES {
            for action in all_actions() {
                let entry = table.iter().find(|(f, a, _)| *f == from && *a == action);
                let role = role_of(action);
                match entry {
                    Some((_, _, to)) => {
                        assert_eq!(
                            next(from, action, role, allowing(from, action)),
                            Ok(*to),
                            "{from:?} --{action:?}-->"
                        );
                        for other in [Role::Applicant, Role::Reviewer, Role::System] {
                            if other != role {
                                assert_eq!(
                                    next(from, action, other, allowing(from, action)),
                                    Err(Refusal::NotYours),
                                    "{from:?} --{action:?}--> by {other:?}"
                                );
                            }
                        }
                    }
                    None => {
                        for facts in [PLAIN, CHECK, SIGNED] {
                            for r in [Role::Applicant, Role::Reviewer, Role::System] {
                                assert_eq!(
                                    next(from, action, r, facts),
                                    Err(Refusal::Illegal),
                                    "{from:?} --{action:?}--> by {r:?} must be illegal"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn conditions_refuse_a_shortcut_past_the_on_site_check() {
        // Approving without the check a permit needs.
        assert_eq!(
            next(Accepted, Action::Approve, Role::Reviewer, CHECK),
            Err(Refusal::Condition)
        );
        assert_eq!(
            next(Accepted, Action::Approve, Role::Reviewer, SIGNED),
            Err(Refusal::Condition)
        );
        // A commitment nobody signed.
        assert_eq!(
            next(Accepted, Action::UseCommitment, Role::Reviewer, CHECK),
            Err(Refusal::Condition)
        );
        // A check nothing needs.
        assert_eq!(
            next(Accepted, Action::ScheduleCheck, Role::Reviewer, PLAIN),
            Err(Refusal::Condition)
        );
    }

    #[test]
    fn final_stages_accept_nothing() {
        for stage in STAGES.into_iter().filter(|s| is_final(*s)) {
            for role in [Role::Applicant, Role::Reviewer, Role::System] {
                assert!(available(stage, role, SIGNED).is_empty(), "{stage:?}");
            }
        }
        // And every other stage lets someone do something.
        for stage in STAGES.into_iter().filter(|s| !is_final(*s)) {
            let any = [Role::Applicant, Role::Reviewer, Role::System]
                .iter()
                .any(|r| !available(stage, *r, SIGNED).is_empty());
            assert!(any, "{stage:?} is a dead end");
        }
    }

    #[test]
    fn every_stage_is_reachable_from_draft() {
        let mut seen = vec![Draft];
        let mut frontier = vec![Draft];
        while let Some(s) = frontier.pop() {
            for facts in [PLAIN, CHECK, SIGNED] {
                for action in all_actions() {
                    if let Ok(to) = next(s, action, role_of(action), facts) {
                        if !seen.contains(&to) {
                            seen.push(to);
                            frontier.push(to);
                        }
                    }
                }
            }
        }
        for s in STAGES {
            assert!(seen.contains(&s), "{s:?} unreachable");
        }
    }

    #[test]
    fn the_reviewer_is_offered_what_the_application_allows() {
        assert_eq!(
            available(Accepted, Role::Reviewer, SIGNED),
            vec![Action::ScheduleCheck, Action::UseCommitment, Action::Reject]
        );
        assert_eq!(
            available(Accepted, Role::Reviewer, PLAIN),
            vec![Action::Approve, Action::Reject]
        );
        assert_eq!(
            available(OnSiteCheck, Role::Reviewer, CHECK),
            vec![
                Action::ScheduleCheck,
                Action::PassCheck,
                Action::FailCheck,
                Action::Reject
            ]
        );
        assert_eq!(
            available(Returned, Role::Applicant, PLAIN),
            vec![Action::Resubmit, Action::Withdraw]
        );
    }

    #[test]
    fn every_open_stage_waits_for_one_side() {
        let centre: Vec<Stage> = Stage::ALL
            .iter()
            .copied()
            .filter(|s| waits_for_centre(*s))
            .collect();
        assert_eq!(
            centre,
            [
                Stage::Submitted,
                Stage::Accepted,
                Stage::OnSiteCheck,
                Stage::CheckPassed,
                Stage::Commitment,
                Stage::Approved
            ]
        );
        for s in Stage::ALL {
            let sides = [is_final(*s), waits_for_applicant(*s), waits_for_centre(*s)];
            assert_eq!(sides.iter().filter(|b| **b).count(), 1, "{s:?}");
        }
    }
}
