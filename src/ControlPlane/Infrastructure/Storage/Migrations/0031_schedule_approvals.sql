-- Approvals of schedules (DESIGN.md §13, §14; docs/schedules.md "Approval"): a schedule whose
-- action needs an approval (a destructive kind, a runbook that declares `approval` or has a
-- destructive step) is approved once for its content, when it is saved; its slots then run without
-- one until its content changes. `schedules.approval_id` is the approval of the current content
-- (NULL when the action needs none), written in the transaction of the PUT that saved that content;
-- `schedule_slots.approval_id` is the approval that covered the slot's operation or run (or, for a
-- slot skipped for want of it, the approval it waited for).

ALTER TABLE schedules ADD COLUMN approval_id uuid REFERENCES approvals (id);
ALTER TABLE schedule_slots ADD COLUMN approval_id uuid REFERENCES approvals (id);
