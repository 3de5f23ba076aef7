-- Staff provisioned for real: `zhida staff add` makes an account that waits for enrolment
-- through a one-time link (its hash here); the first visit sets the password and enrols the
-- authenticator. Until then the account cannot log in; a disabled one never again.
ALTER TABLE staff ADD COLUMN enrolment_hash BYTEA;
ALTER TABLE staff ADD COLUMN enrolment_expires_at TEXT;
ALTER TABLE staff ADD COLUMN enrolled_at TEXT;
ALTER TABLE staff ADD COLUMN disabled_at TEXT;
UPDATE staff SET enrolled_at = created_at;

-- One-time recovery codes (hashes), for a staff member who lost their authenticator.
CREATE TABLE staff_recovery_codes (
    id        BIGSERIAL PRIMARY KEY,
    staff_id  BIGINT NOT NULL REFERENCES staff (id),
    code_hash BYTEA NOT NULL,
    used_at   TEXT
);
CREATE INDEX staff_recovery_codes_staff ON staff_recovery_codes (staff_id);
