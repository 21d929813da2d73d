// The phone page's pure logic, outside a browser (node): the state an
// assignment is in once the worker's queued actions have gone through, the
// actions it offers, the limits it counts down to, what the outbox does with
// each kind of refusal and how long it waits, and that every text of the
// phone exists in both languages. The page itself is tested in Chromium
// (tests/browser/test_phone.py).
//
// node test_phone_logic.mjs SOURCE_DIR
import assert from 'node:assert/strict';
import { copyOfPages, test, finish, assertBothLanguages } from './harness.mjs';

const src = process.argv[2];
const load = copyOfPages(src, 'server/web/assets');

const { effectiveState, actionsFor, limitsOf, disposition, nextPause } = await load('phone/js/assignment.js');
const { tables } = await load('phone/js/texts.js');

const queued = (...kinds) => kinds.map((kind) => ({ body: { kind } }));
const inc = (fields) => ({ incident_id: 1, state: 'assigned', assignment: 'assigned', acknowledge_due_ms: 1000,
    conclude_due_ms: 5000, supervision_due_ms: 0, ...fields });

await test('an assignment offers 签收 first, then what the state machine allows', () => {
    const a = inc();
    assert.deepEqual(actionsFor(a, effectiveState(a, [])), ['acknowledge', 'return']);
    const b = inc({ assignment: 'acknowledged' });
    assert.deepEqual(actionsFor(b, effectiveState(b, [])), ['progress', 'extend', 'conclude', 'return']);
    const c = inc({ assignment: 'extension_requested', supervision_due_ms: 3000 });
    assert.deepEqual(actionsFor(c, effectiveState(c, [])), ['progress', 'conclude', 'return', 'reply']);
    const closed = inc({ state: 'concluded', assignment: '' });
    assert.deepEqual(actionsFor(closed, effectiveState(closed, [])), []);
});

await test('queued actions move the state on: 签收, 进展 and 办结 without a link', () => {
    const a = inc();
    let eff = effectiveState(a, queued('acknowledge'));
    assert.equal(eff.assignment, 'acknowledged');
    assert.deepEqual(actionsFor(a, eff), ['progress', 'extend', 'conclude', 'return']);
    eff = effectiveState(a, queued('acknowledge', 'progress', 'conclude'));
    assert.equal(eff.open, false);
    assert.deepEqual(actionsFor(a, eff), []);
    const s = inc({ assignment: 'acknowledged', supervision_due_ms: 3000 });
    assert.equal(effectiveState(s, queued('reply')).supervised, false);
    assert.equal(effectiveState(s, queued('extend')).assignment, 'extension_requested');
});

await test('a co-handling unit adds progress only; a suspended one is acknowledged or noted only', () => {
    const joint = inc({ assignment: 'acknowledged', lead_unit: 'lead', co_handler: true });
    assert.deepEqual(actionsFor(joint, effectiveState(joint, [])), ['progress']);
    const lead = inc({ assignment: 'acknowledged', lead_unit: 'lead', co_handler: false });
    assert.deepEqual(actionsFor(lead, effectiveState(lead, [])), ['progress', 'extend', 'conclude', 'return']);
    const suspended = inc({ assignment: 'acknowledged', suspended_at_ms: 10 });
    assert.deepEqual(actionsFor(suspended, effectiveState(suspended, [])), ['progress']);
});

await test('limits: acknowledge while unacknowledged, conclude, a supervision reply', () => {
    const a = inc({ supervision_due_ms: 3000 });
    assert.deepEqual(limitsOf(a, effectiveState(a, [])), [['ackDue', 1000], ['concludeDue', 5000], ['replyDue', 3000]]);
    assert.deepEqual(limitsOf(a, effectiveState(a, queued('acknowledge', 'reply'))), [['concludeDue', 5000]]);
    assert.deepEqual(limitsOf(a, effectiveState(a, queued('acknowledge', 'conclude'))), []);
    const done = inc({ state: 'concluded', assignment: '' });
    assert.deepEqual(limitsOf(done, effectiveState(done, [])), []);
});

await test('the outbox retries the network and a busy server, drops other refusals', () => {
    assert.equal(disposition(0, 'network'), 'retry');
    assert.equal(disposition(503, 'busy'), 'retry');
    assert.equal(disposition(429, 'rate_limited'), 'retry');
    assert.equal(disposition(401, 'unauthenticated'), 'signin');
    assert.equal(disposition(403, 'csrf'), 'csrf');
    assert.equal(disposition(409, 'already_done'), 'done');
    for (const [status, code] of [[400, 'invalid'], [403, 'forbidden'], [409, 'wrong_state'], [409, 'conflict'],
        [413, 'too_large'], [415, 'not_an_image'], [400, 'photo_required']]) {
        assert.equal(disposition(status, code), 'drop', `${status} ${code}`);
    }
});

await test('the pause between tries: 1 s doubling to 8 s, at least the server\'s Retry-After', () => {
    let p = 0;
    const seen = [];
    for (let i = 0; i < 6; i++) { const n = nextPause(p, 0); p = n.pause; seen.push(n.wait); }
    assert.deepEqual(seen, [1000, 2000, 4000, 8000, 8000, 8000]);
    assert.equal(nextPause(0, 5).wait, 5000);
});

await test('every text of the phone exists in Chinese and in English', () => {
    assertBothLanguages(tables);
    for (const kind of ['acknowledge', 'return', 'progress', 'extend', 'conclude', 'reply']) assert.ok(tables.zh.act[kind]);
});

finish();
