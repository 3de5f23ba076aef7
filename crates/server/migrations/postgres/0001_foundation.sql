-- Settings and markers of this installation (e.g. when demo data was seeded).
CREATE TABLE app_meta (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL -- UTC, RFC 3339
);

-- Problems that people's browsers reported: app crashes and browsers too old to run the app.
CREATE TABLE client_reports (
    id         BIGSERIAL PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('unsupported_browser', 'panic')),
    message    TEXT NOT NULL,
    path       TEXT NOT NULL,
    user_agent TEXT,
    request_id TEXT,
    created_at TEXT NOT NULL -- UTC, RFC 3339
);
CREATE INDEX client_reports_created_at ON client_reports (created_at);
