-- Accounts, sessions and the records that protect them. Times are UTC RFC 3339 text.
-- Phone and ID numbers are stored encrypted (*_enc, AES-256-GCM) and found by a keyed hash
-- (*_hash, HMAC-SHA-256); tokens and one-time codes only as hashes.

-- People who log in with a phone: residents, and enterprise representatives and agents.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    phone_enc     BLOB NOT NULL,
    phone_hash    BLOB NOT NULL UNIQUE,
    name          TEXT,
    id_number_enc BLOB,
    id_number_hash BLOB UNIQUE,
    -- The person's id in the departments' shared data (residents.csv), when known.
    resident_ref  TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE enterprises (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    uscc              TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    legal_rep_user_id INTEGER NOT NULL REFERENCES users (id),
    -- The enterprise's id in the departments' shared data (enterprises.csv), when known.
    enterprise_ref    TEXT,
    created_at        TEXT NOT NULL
);

-- People a legal representative has authorised to act for the enterprise, within a scope,
-- until a date, unless revoked.
CREATE TABLE enterprise_agents (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    enterprise_id   INTEGER NOT NULL REFERENCES enterprises (id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    scope_subsidies INTEGER NOT NULL,
    scope_licences  INTEGER NOT NULL,
    expires_at      TEXT NOT NULL,
    revoked_at      TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX enterprise_agents_user ON enterprise_agents (user_id);
CREATE INDEX enterprise_agents_enterprise ON enterprise_agents (enterprise_id);

CREATE TABLE staff (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    department      TEXT NOT NULL,
    -- Comma-separated: licence_review, policy_admin, request_dispatch, admin.
    permissions     TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    totp_secret_enc BLOB NOT NULL,
    -- The last TOTP time step accepted, so that a code cannot be used twice.
    last_totp_step  BIGINT,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    created_at      TEXT NOT NULL
);

CREATE TABLE sessions (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash          BLOB NOT NULL UNIQUE,
    user_id             INTEGER REFERENCES users (id),
    staff_id            INTEGER REFERENCES staff (id),
    acting_for          INTEGER REFERENCES enterprises (id),
    created_at          TEXT NOT NULL,
    last_seen_at        TEXT NOT NULL,
    idle_expires_at     TEXT NOT NULL,
    absolute_expires_at TEXT NOT NULL,
    user_agent          TEXT,
    revoked_at          TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_staff ON sessions (staff_id);

CREATE TABLE sms_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    phone_hash BLOB NOT NULL,
    code_hash  BLOB NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX sms_codes_phone ON sms_codes (phone_hash);

-- Fixed-window counters for rate limits, shared by every server instance.
CREATE TABLE rate_limits (
    key          TEXT PRIMARY KEY NOT NULL,
    window_start BIGINT NOT NULL,
    count        INTEGER NOT NULL
);

-- Every staff read of a person's record, shown to that person ("who looked at my data").
CREATE TABLE data_access_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id  INTEGER NOT NULL REFERENCES users (id),
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    reason   TEXT NOT NULL,
    what     TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX data_access_log_user ON data_access_log (user_id, at);
