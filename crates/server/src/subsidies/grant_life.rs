//! A grant's life as a table (no IO): which event may move a grant from which status, to
//! which status, and what the person is told. [`crate::subsidies::grant_moves::move_grant`] is the one
//! place that writes a change, and it asks [`next`] first.
//!
//! ```text
//!                 consent            treasury accepts        treasury pays
//! awaiting_consent ──────> approved ─────────────────> payment_instructed ─────> paid
//!     │  │  └─ decline ──> declined      ▲
//!     │  └─ lapse ───────> expired       │ treasury accepts
//!     └─ revoke ─┐                    matched
//! matched ───────┼─ revoke ──> revoked
//! approved ──────┘ (only while its payment was never sent)
//! ```

use api::subsidy::GrantStatus;

/// What happens to a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantEvent {
    /// The subject agrees to receive it (意愿确认).
    Consent,
    /// The subject declines it.
    Decline,
    /// Nobody answered before the consent deadline.
    Lapse,
    /// The data it was decided on changed and it no longer holds. `payment_sent`: the
    /// treasury has seen its instruction (then it cannot be taken back).
    Revoke { payment_sent: bool },
    /// The treasury accepted the payment instruction.
    Instructed,
    /// The treasury paid it.
    Paid,
}

impl GrantEvent {
    /// Every event, for tables and tests.
    pub const ALL: [GrantEvent; 7] = [
        GrantEvent::Consent,
        GrantEvent::Decline,
        GrantEvent::Lapse,
        GrantEvent::Revoke {
            payment_sent: false,
        },
        GrantEvent::Revoke { payment_sent: true },
        GrantEvent::Instructed,
        GrantEvent::Paid,
    ];

    /// The kind of message the person gets when it happens (their inbox, SMS, WeChat).
    pub fn notification(self) -> Option<&'static str> {
        match self {
            GrantEvent::Revoke { .. } => Some("revoked"),
            GrantEvent::Lapse => Some("expired"),
            GrantEvent::Paid => Some("paid"),
            GrantEvent::Consent | GrantEvent::Decline | GrantEvent::Instructed => None,
        }
    }
}

/// A move the table does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub from: GrantStatus,
    pub event: GrantEvent,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a grant that is {} cannot take {:?}",
            self.from.as_str(),
            self.event
        )
    }
}

impl std::error::Error for Refusal {}

/// The status `event` moves a grant in status `from` to, or why it cannot.
pub fn next(from: GrantStatus, event: GrantEvent) -> Result<GrantStatus, Refusal> {
    use GrantEvent as E;
    use GrantStatus as S;
    match (from, event) {
        (S::AwaitingConsent, E::Consent) => Ok(S::Approved),
        (S::AwaitingConsent, E::Decline) => Ok(S::Declined),
        (S::AwaitingConsent, E::Lapse) => Ok(S::Expired),
        (S::Matched | S::AwaitingConsent, E::Revoke { .. }) => Ok(S::Revoked),
        (
            S::Approved,
            E::Revoke {
                payment_sent: false,
            },
        ) => Ok(S::Revoked),
        (S::Matched | S::Approved, E::Instructed) => Ok(S::PaymentInstructed),
        (S::PaymentInstructed, E::Paid) => Ok(S::Paid),
        _ => Err(Refusal { from, event }),
    }
}

/// What becomes of a period's grant of a policy when the subject's data changed: `existing`
/// is the grant there is (its status and amount), `decided` the amount the rules give now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reconcile {
    /// No grant yet, and one is due: make it, for this amount.
    Grant(i64),
    /// A grant that is no longer due and can still be taken back (whether its payment left
    /// decides, at the time, whether it is).
    Revoke,
    /// An offer not yet consented to follows the data: this amount now.
    Amend(i64),
    /// Nothing changes.
    Keep,
}

pub fn reconcile(existing: Option<(GrantStatus, i64)>, decided: Option<i64>) -> Reconcile {
    let revocable = |s| {
        next(
            s,
            GrantEvent::Revoke {
                payment_sent: false,
            },
        )
        .is_ok()
    };
    match (existing, decided) {
        (None, Some(amount)) => Reconcile::Grant(amount),
        (Some((status, _)), None) if revocable(status) => Reconcile::Revoke,
        (Some((GrantStatus::AwaitingConsent, old)), Some(amount)) if old != amount => {
            Reconcile::Amend(amount)
        }
        _ => Reconcile::Keep,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use GrantEvent as E;
    use GrantStatus as S;

    /// Whether a grant in this status will still change (or is settled for good).
    fn is_final(status: GrantStatus) -> bool {
        GrantEvent::ALL.iter().all(|e| next(status, *e).is_err())
    }

    const STATUSES: [GrantStatus; 8] = [
        S::Matched,
        S::AwaitingConsent,
        S::Approved,
        S::PaymentInstructed,
        S::Paid,
        S::Declined,
        S::Revoked,
        S::Expired,
    ];

    /// The whole table, written out: every status × every event.
    #[test]
    fn the_whole_table() {
        let unsent = E::Revoke {
            payment_sent: false,
        };
        let sent = E::Revoke { payment_sent: true };
        let allowed: &[(GrantStatus, GrantEvent, GrantStatus)] = &[
            (S::AwaitingConsent, E::Consent, S::Approved),
            (S::AwaitingConsent, E::Decline, S::Declined),
            (S::AwaitingConsent, E::Lapse, S::Expired),
            (S::AwaitingConsent, unsent, S::Revoked),
            (S::AwaitingConsent, sent, S::Revoked),
            (S::Matched, unsent, S::Revoked),
            (S::Matched, sent, S::Revoked),
            (S::Approved, unsent, S::Revoked),
            (S::Matched, E::Instructed, S::PaymentInstructed),
            (S::Approved, E::Instructed, S::PaymentInstructed),
            (S::PaymentInstructed, E::Paid, S::Paid),
        ];
        let mut legal = 0;
        for from in STATUSES {
            for event in GrantEvent::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|(_, _, to)| *to);
                match (next(from, event), expected) {
                    (Ok(to), Some(want)) => {
                        assert_eq!(to, want, "{from:?} × {event:?}");
                        legal += 1;
                    }
                    (Err(r), None) => assert_eq!(r, Refusal { from, event }),
                    (got, want) => panic!("{from:?} × {event:?}: {got:?}, the table says {want:?}"),
                }
            }
        }
        assert_eq!(legal, allowed.len());
    }

    #[test]
    fn money_that_left_is_never_taken_back() {
        for from in [S::Approved, S::PaymentInstructed, S::Paid] {
            assert!(
                next(from, E::Revoke { payment_sent: true }).is_err(),
                "{from:?}"
            );
        }
        assert!(next(
            S::PaymentInstructed,
            E::Revoke {
                payment_sent: false
            }
        )
        .is_err());
    }

    #[test]
    fn settled_grants_take_nothing_and_every_status_is_reached() {
        for s in [S::Paid, S::Declined, S::Revoked, S::Expired] {
            assert!(is_final(s), "{s:?}");
        }
        for s in [
            S::Matched,
            S::AwaitingConsent,
            S::Approved,
            S::PaymentInstructed,
        ] {
            assert!(!is_final(s), "{s:?}");
        }
        // Every status is the end of some move but `matched` (grants made before approval was
        // immediate) and `awaiting_consent` (a consent policy's grants are created in it).
        for s in STATUSES {
            let reached = STATUSES
                .iter()
                .any(|f| GrantEvent::ALL.iter().any(|e| next(*f, *e) == Ok(s)));
            assert!(
                reached || matches!(s, S::Matched | S::AwaitingConsent),
                "{s:?} is never reached"
            );
        }
    }

    #[test]
    fn people_are_told_of_what_changes_their_money() {
        assert_eq!(E::Paid.notification(), Some("paid"));
        assert_eq!(E::Lapse.notification(), Some("expired"));
        assert_eq!(
            E::Revoke {
                payment_sent: false
            }
            .notification(),
            Some("revoked")
        );
        assert_eq!(E::Consent.notification(), None);
    }

    #[test]
    fn reconciling_a_period_s_grant_with_new_data() {
        assert_eq!(reconcile(None, Some(10_000)), Reconcile::Grant(10_000));
        assert_eq!(reconcile(None, None), Reconcile::Keep);
        // No longer due: taken back while it can be, kept once its money has left.
        for s in [S::Matched, S::AwaitingConsent, S::Approved] {
            assert_eq!(reconcile(Some((s, 100)), None), Reconcile::Revoke, "{s:?}");
        }
        for s in [
            S::PaymentInstructed,
            S::Paid,
            S::Declined,
            S::Revoked,
            S::Expired,
        ] {
            assert_eq!(reconcile(Some((s, 100)), None), Reconcile::Keep, "{s:?}");
        }
        // A different amount changes only an offer not yet accepted.
        assert_eq!(
            reconcile(Some((S::AwaitingConsent, 100)), Some(250)),
            Reconcile::Amend(250)
        );
        assert_eq!(
            reconcile(Some((S::AwaitingConsent, 100)), Some(100)),
            Reconcile::Keep
        );
        for s in [S::Approved, S::PaymentInstructed, S::Paid] {
            assert_eq!(
                reconcile(Some((s, 100)), Some(250)),
                Reconcile::Keep,
                "{s:?}"
            );
        }
        // Due again after a revocation: the period's grant exists (one per period), kept.
        assert_eq!(
            reconcile(Some((S::Revoked, 100)), Some(100)),
            Reconcile::Keep
        );
    }
}
