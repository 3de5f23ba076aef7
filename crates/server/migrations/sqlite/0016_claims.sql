-- 线上申报: applications for a policy that staff review (mode apply_reviewed), their
-- materials and every step. An approval makes the grant, which pays like any other.
CREATE TABLE claims (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    number         TEXT NOT NULL UNIQUE,
    policy_id      TEXT NOT NULL,
    -- The version whose questions were answered; the approval decides under the one in force.
    policy_version INTEGER NOT NULL,
    subject_id     INTEGER NOT NULL REFERENCES subjects (id),
    -- The period it is for ('2026', '2026-12' or 'once'), as the grant's.
    period         TEXT NOT NULL,
    -- Who filled it in (the legal representative, an agent, a family member).
    user_id        INTEGER NOT NULL REFERENCES users (id),
    status         TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'returned', 'approved', 'rejected', 'withdrawn')),
    -- The answers (JSON), encrypted.
    answers_enc    BLOB NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    -- The latest (re)submission, and the date (Asia/Shanghai) the department must decide by.
    submitted_at   TEXT,
    due_on         TEXT,
    decided_at     TEXT,
    grant_id       INTEGER REFERENCES grants (id)
);
-- One open or approved application per subject, policy and period.
CREATE UNIQUE INDEX claims_one_open ON claims (policy_id, subject_id, period)
    WHERE status IN ('draft', 'submitted', 'returned', 'approved');
CREATE INDEX claims_queue ON claims (status, due_on);
CREATE INDEX claims_subject ON claims (subject_id, id);

CREATE TABLE claim_materials (
    claim_id        INTEGER NOT NULL REFERENCES claims (id),
    material        TEXT NOT NULL,
    storage_key     TEXT NOT NULL,
    file_name       TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            BIGINT NOT NULL,
    sha256          TEXT NOT NULL,
    uploaded_at     TEXT NOT NULL,
    -- Set when the reviewer returns it; cleared by a new upload.
    returned_reason TEXT,
    PRIMARY KEY (claim_id, material)
);

CREATE TABLE claim_steps (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    claim_id  INTEGER NOT NULL REFERENCES claims (id),
    action    TEXT NOT NULL,
    to_status TEXT NOT NULL,
    actor     TEXT NOT NULL CHECK (actor IN ('applicant', 'reviewer', 'system')),
    user_id   INTEGER REFERENCES users (id),
    staff_id  INTEGER REFERENCES staff (id),
    at        TEXT NOT NULL,
    reason    TEXT,
    -- JSON [{material, reason}] for a return.
    items     TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX claim_steps_claim ON claim_steps (claim_id, id);

-- A message about an application links to it.
ALTER TABLE notifications ADD COLUMN claim_id INTEGER REFERENCES claims (id);
