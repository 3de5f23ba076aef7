-- 一照通: the permit catalogue's versions, applications with their materials and every step,
-- issued licences with their permits, and the applicant's notifications.

-- Every edit of the catalogue is a new version; the newest is in force. JSON of
-- api::licence::Catalogue.
CREATE TABLE licence_catalogues (
    version    BIGINT PRIMARY KEY NOT NULL,
    document   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES staff (id)
);

CREATE TABLE licence_applications (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    number            TEXT NOT NULL UNIQUE,
    user_id           INTEGER NOT NULL REFERENCES users (id),
    -- The enterprise the user acted for, if any.
    enterprise_id     INTEGER REFERENCES enterprises (id),
    catalogue_version BIGINT NOT NULL REFERENCES licence_catalogues (version),
    business_type     TEXT NOT NULL,
    -- Permit codes, comma-separated, business licence first.
    permits           TEXT NOT NULL,
    stage             TEXT NOT NULL CHECK (stage IN ('draft', 'submitted', 'returned', 'accepted', 'on_site_check', 'check_passed', 'commitment', 'approved', 'issued', 'rejected', 'withdrawn')),
    -- The answers (JSON), encrypted: they hold ID and phone numbers.
    answers_enc       BLOB NOT NULL,
    -- Not personal: shown in queues.
    business_name     TEXT NOT NULL DEFAULT '',
    -- The keyed hash of the applicant's login phone: the public tracking page's second key.
    phone_hash        BLOB NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    submitted_at      TEXT,
    accepted_at       TEXT,
    -- The end of the promised time (UTC), set on acceptance.
    deadline          TEXT,
    finished_at       TEXT,
    licence_number    TEXT,
    rejection         TEXT
);
CREATE INDEX licence_applications_user ON licence_applications (user_id, id);
CREATE INDEX licence_applications_stage ON licence_applications (stage, deadline);

-- The current upload of each material (a new upload replaces the row; files are kept).
CREATE TABLE licence_materials (
    application_id  INTEGER NOT NULL REFERENCES licence_applications (id),
    material        TEXT NOT NULL,
    storage_key     TEXT NOT NULL,
    file_name       TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            BIGINT NOT NULL,
    sha256          TEXT NOT NULL,
    uploaded_at     TEXT NOT NULL,
    -- Set when the reviewer returns it; cleared by a new upload.
    returned_reason TEXT,
    PRIMARY KEY (application_id, material)
);

-- Every transition: who, when, why.
CREATE TABLE licence_steps (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES licence_applications (id),
    action         TEXT NOT NULL,
    from_stage     TEXT NOT NULL,
    to_stage       TEXT NOT NULL,
    actor          TEXT NOT NULL CHECK (actor IN ('applicant', 'reviewer', 'system')),
    user_id        INTEGER REFERENCES users (id),
    staff_id       INTEGER REFERENCES staff (id),
    at             TEXT NOT NULL,
    comment        TEXT,
    -- JSON [{material, reason}] for a return.
    items          TEXT NOT NULL DEFAULT '[]',
    scheduled_for  TEXT
);
CREATE INDEX licence_steps_application ON licence_steps (application_id, id);

CREATE TABLE licences (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    number               TEXT NOT NULL UNIQUE,
    application_id       INTEGER NOT NULL UNIQUE REFERENCES licence_applications (id),
    uscc                 TEXT NOT NULL,
    business_name        TEXT NOT NULL,
    legal_representative TEXT NOT NULL,
    address              TEXT NOT NULL,
    business_scope       TEXT NOT NULL,
    issued_at            TEXT NOT NULL,
    -- The signed QR payload.
    token                TEXT NOT NULL
);

CREATE TABLE licence_permits (
    licence_id        INTEGER NOT NULL REFERENCES licences (id),
    code              TEXT NOT NULL,
    number            TEXT NOT NULL UNIQUE,
    valid_from        TEXT NOT NULL,
    valid_to          TEXT,
    revoked_at        TEXT,
    revocation_reason TEXT,
    revoked_by        INTEGER REFERENCES staff (id),
    PRIMARY KEY (licence_id, code)
);

-- The applicant is told of every transition, in the app and outside it (as notifications).
CREATE TABLE licence_notifications (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER NOT NULL REFERENCES users (id),
    application_id    INTEGER NOT NULL REFERENCES licence_applications (id),
    stage             TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    read_at           TEXT,
    delivered_at      TEXT,
    delivery_attempts INTEGER NOT NULL DEFAULT 0,
    next_delivery_at  TEXT,
    delivery_error    TEXT
);
CREATE INDEX licence_notifications_user ON licence_notifications (user_id, id);
CREATE INDEX licence_notifications_undelivered ON licence_notifications (delivered_at, next_delivery_at);
