-- The policies, versioned (政策制定、实施、评估、修订、退出): each version's file (TOML, the
-- rules language) with its place in the lifecycle. A version is a draft until submitted for
-- review; a reviewer with the approve permission (not its drafter) publishes it from a date;
-- once published its text never changes. Its window (effective_from..effective_until,
-- inclusive, Asia/Shanghai dates) is the decision: a successor closes it the day before its own
-- start, a retirement (废止 repealed, 失效 expired) on the retirement date.
CREATE TABLE policy_versions (
    policy_id         TEXT NOT NULL,
    version           BIGINT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('draft', 'review', 'published', 'retired')),
    source            TEXT NOT NULL,
    effective_from    TEXT,
    effective_until   TEXT,
    drafted_by        BIGINT REFERENCES staff (id),
    drafted_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    submitted_at      TEXT,
    -- Why a reviewer sent it back to its drafter (the draft keeps it until submitted again).
    returned_reason   TEXT,
    approved_by       BIGINT REFERENCES staff (id),
    approved_at       TEXT,
    retired_at        TEXT,
    retirement_kind   TEXT CHECK (retirement_kind IN ('repealed', 'expired')),
    retirement_notice TEXT,
    -- When the server followed its start (everyone re-matched) and its retirement (its
    -- beneficiaries told, grants of periods after its last day revoked).
    took_effect_at    TEXT,
    retirement_told_at TEXT,
    -- The impact sandbox's yearly cost of this version when it was approved (simulated vs actual).
    simulated_annual_fen BIGINT,
    PRIMARY KEY (policy_id, version)
);
CREATE INDEX policy_versions_status ON policy_versions (status);

-- A grant is one per policy, subject and period whatever the version: a new version never
-- grants the same subject twice for the same period (nor a one-time policy twice).
CREATE UNIQUE INDEX grants_one_per_period ON grants (policy_id, subject_id, period);
