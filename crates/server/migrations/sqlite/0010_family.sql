-- 家人代办: a resident authorises a family member (by phone) to handle their subsidies, until
-- a date, unless revoked.
CREATE TABLE family_agents (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    principal_user_id INTEGER NOT NULL REFERENCES users (id),
    user_id           INTEGER NOT NULL REFERENCES users (id),
    scope_subsidies   INTEGER NOT NULL,
    expires_at        TEXT NOT NULL,
    revoked_at        TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX family_agents_principal ON family_agents (principal_user_id);
CREATE INDEX family_agents_user ON family_agents (user_id);

-- The person a session acts for (a family member who authorised it), beside acting_for (an
-- enterprise); at most one of the two is set.
ALTER TABLE sessions ADD COLUMN acting_for_person INTEGER REFERENCES users (id);

-- Everything a family agent did for the person, shown in the person's access log.
CREATE TABLE family_acts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    principal_user_id INTEGER NOT NULL REFERENCES users (id),
    agent_user_id     INTEGER NOT NULL REFERENCES users (id),
    what              TEXT NOT NULL,
    at                TEXT NOT NULL
);
CREATE INDEX family_acts_principal ON family_acts (principal_user_id, at);
