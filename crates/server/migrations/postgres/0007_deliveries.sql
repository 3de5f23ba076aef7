-- Notifications are also delivered outside the app (SMS, WeChat subscription messages): when
-- that finished, how often it was tried, and the last failure.
ALTER TABLE notifications ADD COLUMN delivered_at TEXT;
ALTER TABLE notifications ADD COLUMN delivery_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN next_delivery_at TEXT;
ALTER TABLE notifications ADD COLUMN delivery_error TEXT;
CREATE INDEX notifications_undelivered ON notifications (delivered_at, next_delivery_at);
