-- Issue 14: the operation's first lease (queued → running) called two PL/pgSQL trigger functions
-- that only act on a terminal status (the operation.* events, the schedule slot settlement). Their
-- WHEN clauses now say so, so a non-terminal status change runs no trigger function at all.
DROP TRIGGER operations_status_changed ON operations;
CREATE TRIGGER operations_status_changed AFTER UPDATE OF status ON operations
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND operation_is_terminal(NEW.status))
    EXECUTE FUNCTION operations_status_changed();

DROP TRIGGER schedule_slots_operation_finished ON operations;
CREATE TRIGGER schedule_slots_operation_finished AFTER UPDATE OF status ON operations
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND operation_is_terminal(NEW.status))
    EXECUTE FUNCTION schedule_slots_operation_finished();
