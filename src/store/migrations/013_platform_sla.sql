-- A platform's response deadline (Taobao refund_remind_timeout, Douyin status_deadline, WeChat Channels
-- deadline): when the platform acts for a merchant who has not answered — usually by agreeing the refund.
-- The platform sync keeps it on the case; the case's SLA is the earlier of the rules' SLA and this deadline.
-- The rules rewrite sla_due_at on every review (submitted, parcel signed, return received…), so the
-- "earlier wins" is kept here, for every writer, rather than in each of them.
ALTER TABLE cases ADD COLUMN platform_due_at timestamptz;

CREATE FUNCTION cases_platform_sla() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- least() ignores nulls: no deadline leaves the rules' SLA, no rule SLA leaves the deadline.
  NEW.sla_due_at := least(NEW.sla_due_at, NEW.platform_due_at);
  RETURN NEW;
END
$$;

CREATE TRIGGER cases_platform_sla BEFORE INSERT OR UPDATE OF sla_due_at, platform_due_at ON cases
  FOR EACH ROW EXECUTE FUNCTION cases_platform_sla();
