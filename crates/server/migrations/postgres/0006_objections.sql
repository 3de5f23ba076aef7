-- 我认为我符合条件 / 我的数据有误: a person's objection to a decision or to their data, routed to
-- the department that owns the disputed attribute and tracked until it answers.
CREATE TABLE objections (
    id          BIGSERIAL PRIMARY KEY,
    subject_id  BIGINT NOT NULL REFERENCES subjects (id),
    policy_id   TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('think_eligible', 'data_wrong')),
    -- The attribute or fact table disputed.
    attribute   TEXT NOT NULL,
    department  TEXT NOT NULL,
    explanation TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'answered')),
    answer      TEXT,
    created_at  TEXT NOT NULL,
    answered_at TEXT
);
CREATE INDEX objections_subject ON objections (subject_id, id);
CREATE INDEX objections_department ON objections (department, status, id);
