-- Who the registers say a subject is, so that a verified account can be linked to its record:
-- a resident's ID number and name (the population register), an enterprise's legal
-- representative's ID number (the market register). Personal data: encrypted (*_enc,
-- AES-256-GCM), found by keyed hash (*_hash, HMAC-SHA-256), never in subjects.vals.
CREATE TABLE register_identities (
    subject_id     INTEGER PRIMARY KEY REFERENCES subjects (id),
    kind           TEXT NOT NULL CHECK (kind IN ('resident', 'enterprise')),
    id_number_enc  BLOB,
    id_number_hash BLOB,
    name_enc       BLOB,
    name_hash      BLOB,
    updated_at     TEXT NOT NULL
);
-- One resident per ID number; one person may represent several enterprises.
CREATE UNIQUE INDEX register_identities_resident ON register_identities (id_number_hash)
    WHERE kind = 'resident';
CREATE INDEX register_identities_number ON register_identities (id_number_hash);

-- When the account's name and ID number were checked (by the register or a real-name
-- service); unchecked accounts are never linked to a record.
ALTER TABLE users ADD COLUMN identity_verified_at TEXT;

-- One account per resident record, one enterprise row per enterprise record.
CREATE UNIQUE INDEX users_resident_ref ON users (resident_ref);
CREATE UNIQUE INDEX enterprises_enterprise_ref ON enterprises (enterprise_ref);

-- 政策找人: who has been told that they may now apply for a policy in a period, so that a
-- data change tells them once, not at every re-match.
CREATE TABLE eligibility_notices (
    subject_id  BIGINT NOT NULL REFERENCES subjects (id),
    policy_id   TEXT NOT NULL,
    period      TEXT NOT NULL,
    notified_at TEXT NOT NULL,
    PRIMARY KEY (subject_id, policy_id, period)
);
