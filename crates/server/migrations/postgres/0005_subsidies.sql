-- 免申即享: the departments' shared data, the grants the rules engine makes from it, their
-- payments, and the notifications people see. Times are UTC RFC 3339 text; money is fen.

-- One push of a department's feed, or one `zhida import`: applied whole or not at all.
CREATE TABLE feed_batches (
    id          BIGSERIAL PRIMARY KEY,
    -- A department of the catalogue, or 'import' for a whole data set loaded by an operator.
    department  TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('api', 'import', 'demo')),
    records     BIGINT NOT NULL,
    -- Subjects whose data this batch changed (0 when it repeated what was known).
    changed     BIGINT NOT NULL,
    received_at TEXT NOT NULL
);

-- A resident or an enterprise as the departments know it. `vals` is a JSON object of the
-- catalogue's attributes (absent = no value); `prov` names, per attribute, the batch that set it.
CREATE TABLE subjects (
    id         BIGSERIAL PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('resident', 'enterprise')),
    ref        TEXT NOT NULL,
    vals       TEXT NOT NULL,
    prov       TEXT NOT NULL,
    -- 1 while the subject's grants have not been re-evaluated since its data changed.
    pending    BIGINT NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    UNIQUE (kind, ref)
);
CREATE INDEX subjects_pending ON subjects (pending);

-- Every change of a subject's data: {"attribute": [old, new], "fact_table YYYY-MM": [old, new]}.
CREATE TABLE subject_changes (
    id         BIGSERIAL PRIMARY KEY,
    subject_id BIGINT NOT NULL REFERENCES subjects (id),
    batch_id BIGINT NOT NULL REFERENCES feed_batches (id),
    changes    TEXT NOT NULL
);
CREATE INDEX subject_changes_subject ON subject_changes (subject_id, id);

-- Rows of the monthly fact tables (loan interest, gas use): JSON objects of their fields. A
-- department's rows for (subject, table, month) are replaced together.
CREATE TABLE facts (
    id         BIGSERIAL PRIMARY KEY,
    subject_id BIGINT NOT NULL REFERENCES subjects (id),
    tbl        TEXT NOT NULL,
    month      TEXT NOT NULL,
    fields     TEXT NOT NULL,
    batch_id BIGINT NOT NULL REFERENCES feed_batches (id)
);
CREATE INDEX facts_subject ON facts (subject_id, tbl, month);
CREATE INDEX facts_month ON facts (month);

-- One grant per (policy version, subject, period): the constraint is what makes a second run
-- of a month, or a retried event, unable to grant twice.
CREATE TABLE grants (
    id               BIGSERIAL PRIMARY KEY,
    policy_id        TEXT NOT NULL,
    policy_version   BIGINT NOT NULL,
    subject_id BIGINT NOT NULL REFERENCES subjects (id),
    -- 'YYYY-MM' (monthly), 'YYYY' (annual) or 'once'.
    period           TEXT NOT NULL,
    amount_fen       BIGINT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('matched', 'awaiting_consent', 'approved',
                         'payment_instructed', 'paid', 'declined', 'revoked', 'expired')),
    -- The decision receipt (JSON): the data used, with its source, to reproduce the decision.
    receipt          TEXT NOT NULL,
    consent_deadline TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (policy_id, policy_version, subject_id, period)
);
CREATE INDEX grants_subject ON grants (subject_id, id);
CREATE INDEX grants_status ON grants (status, policy_id);

-- Each step of a grant's life: its timeline.
CREATE TABLE grant_events (
    id       BIGSERIAL PRIMARY KEY,
    grant_id BIGINT NOT NULL REFERENCES grants (id),
    status   TEXT NOT NULL,
    actor    TEXT NOT NULL,
    note     TEXT,
    at       TEXT NOT NULL
);
CREATE INDEX grant_events_grant ON grant_events (grant_id, id);

-- The payment outbox: one instruction per approved grant, sent to the treasury with the grant
-- id as its idempotency key until the treasury confirms it.
CREATE TABLE payments (
    id              BIGSERIAL PRIMARY KEY,
    grant_id BIGINT NOT NULL UNIQUE REFERENCES grants (id),
    amount_fen      BIGINT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'instructed', 'paid', 'failed', 'cancelled')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    -- Failures since the last success or staff retry; at 6 the payment is marked failed.
    errors          BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    treasury_ref    TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    paid_at         TEXT
);
CREATE INDEX payments_due ON payments (status, next_attempt_at);

-- What a subject is told, in the app's inbox (and by SMS or WeChat through the outbox below).
CREATE TABLE notifications (
    id         BIGSERIAL PRIMARY KEY,
    subject_id BIGINT NOT NULL REFERENCES subjects (id),
    kind       TEXT NOT NULL,
    grant_id BIGINT REFERENCES grants (id),
    policy_id  TEXT,
    amount_fen BIGINT,
    created_at TEXT NOT NULL,
    read_at    TEXT
);
CREATE INDEX notifications_subject ON notifications (subject_id, id);

-- Months whose scheduled run has finished: each month is run to the end once.
CREATE TABLE monthly_runs (
    month       TEXT PRIMARY KEY NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    grants      BIGINT
);
