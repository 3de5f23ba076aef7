-- API keys of the departments' data feeds (machine clients): one active key per department,
-- stored as a hash; a new key revokes the old one.
CREATE TABLE department_keys (
    id         BIGSERIAL PRIMARY KEY,
    department TEXT NOT NULL,
    key_hash   BYTEA NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX department_keys_department ON department_keys (department);
