-- 0025 worker accounts: grid workers (网格员) and units' duty officers sign
-- in on their phones (docs/phone.md, docs/http-api.md "The field API").
--
-- A worker account is a web account like the console's (password, sessions,
-- sign-in limits of migration 0016) whose node is not a console but a
-- terminal node of its own, 'p.<account>' (role 'terminal', serving one
-- worker or one handling unit: nodes.serves_worker / serves_handler,
-- migration 0007), its jurisdiction the worker's grid or the unit's
-- territory. Everything it does is what that terminal would do over
-- nanomsg: the same outbox ('w:<worker>' / 'h:<unit>'), the same state
-- machine, the same idempotency, the same presence. Disabling the account
-- revokes the node, as for every account.
ALTER TABLE web_accounts DROP CONSTRAINT web_accounts_role_check;
ALTER TABLE web_accounts ADD CONSTRAINT web_accounts_role_check
    CHECK (role IN ('operator', 'supervisor', 'viewer', 'worker'));

-- The field API shows an incident to a worker account only while an item of
-- it is in the account's outbox (it holds or held it): that test, and the
-- access check of an attachment, look up (box, incident) — one index probe
-- instead of a scan of the box's whole history.
CREATE INDEX outbox_box_incident ON outbox (box, incident_id);
