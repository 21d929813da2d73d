// assignment: what the phone offers on an assignment — its state once the
// worker's queued actions have gone through, the actions that state allows,
// the limits it counts down to — and what the outbox does with a refusal.
// Pure functions of their arguments (tested under node, tests/web).

export function isSupervised(inc) { return !!inc.supervision_due_ms; }

// The assignment's state once the actions waiting in the outbox have gone
// through: the page offers what comes next (a worker may acknowledge and
// conclude in a basement, one after the other). queued: the outbox items of
// this incident, in order.
export function effectiveState(inc, queued) {
    let assignment = inc.assignment || 'assigned';
    let open = !inc.state || inc.state === 'assigned';
    let supervised = isSupervised(inc);
    for (const q of queued) {
        const k = q.body.kind;
        if (k === 'acknowledge' && assignment === 'assigned') assignment = 'acknowledged';
        else if (k === 'extend') assignment = 'extension_requested';
        else if (k === 'conclude' || k === 'return') open = false;
        else if (k === 'reply') supervised = false;
    }
    return { assignment, open, supervised };
}

// The actions offered, the first the one to do next (docs/terminals.md, the
// assignment state machine).
export function actionsFor(inc, eff) {
    if (!eff.open) return [];
    // A co-handling unit of a joint operation adds progress notes only.
    if (inc.co_handler) return ['progress'];
    const kinds = [];
    if (eff.assignment === 'assigned') kinds.push('acknowledge', 'return');
    else if (eff.assignment === 'acknowledged') kinds.push('progress', 'extend', 'conclude', 'return');
    else if (eff.assignment === 'extension_requested') kinds.push('progress', 'conclude', 'return');
    else kinds.push('progress');
    // While suspended (中止) the holder may acknowledge and add progress only.
    const allowed = inc.suspended_at_ms ? kinds.filter((k) => k === 'acknowledge' || k === 'progress') : kinds;
    if (eff.supervised) allowed.push('reply');
    return allowed;
}

// The limits counted down to: acknowledging while unacknowledged,
// concluding, and a supervision order's reply. [[text key, ms], …]
export function limitsOf(inc, eff) {
    const out = [];
    if (!eff.open) return out; // concluded, or handed over: nothing runs against this worker
    if (eff.assignment === 'assigned' && inc.acknowledge_due_ms) out.push(['ackDue', inc.acknowledge_due_ms]);
    if (inc.conclude_due_ms) out.push(['concludeDue', inc.conclude_due_ms]);
    if (eff.supervised && inc.supervision_due_ms) out.push(['replyDue', inc.supervision_due_ms]);
    return out;
}

// What the outbox does with an answer that is not a success: 'retry' (the
// network, a busy or failing server: the same request id later), 'done'
// (what was asked is in effect already), 'signin' (the session ended: wait
// for the next sign-in), 'csrf' (fetch the token again, then retry), 'drop'
// (refused for good: off the queue, shown).
export function disposition(status, code) {
    if (status === 0 || status === 429 || status >= 500) return 'retry';
    if (status === 409 && code === 'already_done') return 'done';
    if (status === 401) return 'signin';
    if (status === 403 && code === 'csrf') return 'csrf';
    return 'drop';
}

// The pause before the next try: 1 s, doubling to 8 s, or the server's Retry-After.
export function nextPause(previousMs, retryAfterS) {
    const pause = Math.min(8000, previousMs ? previousMs * 2 : 1000);
    return { pause, wait: Math.max(pause, (retryAfterS || 0) * 1000) };
}
