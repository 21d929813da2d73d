// outbox: the worker's actions and reports on their way to the server. Each is
// written to IndexedDB first (with the request id made when the worker
// tapped), then sent in the order given, one at a time. A network error or a
// busy server (503, 429) keeps it and tries again with a growing pause (1 s
// doubling to 8 s, or the server's Retry-After); any other refusal (4xx) takes
// it off the queue and shows why. Sending the same request id again after an
// answer that never came is answered as before by the server and does nothing
// twice (docs/http-api.md, "Idempotency"), so nothing is done twice and
// nothing is lost.

import { store } from './store.js';
import { field } from './field.js';
import { disposition, nextPause } from './assignment.js';

export class Outbox {
    // onChange(): the queue changed; onSent(item, reply); onRefused(item);
    // onSignedOut(): a 401 (the queue waits for the next sign-in);
    // refreshCsrf(): a promise, after a 403 csrf (a newer sign-in elsewhere);
    // words(error): the refusal in the worker's words.
    constructor(account, { onChange, onSent, onRefused, onSignedOut, refreshCsrf, words }) {
        this.account = account;
        this.words = words;
        this.items = [];
        this.onChange = onChange;
        this.onSent = onSent;
        this.onRefused = onRefused;
        this.onSignedOut = onSignedOut;
        this.refreshCsrf = refreshCsrf;
        this.pause = 0;
        this.timer = 0;
        this.retryAt = 0;
        this.running = false;
        this.again = false;
        this.stopped = false;
    }

    async load() {
        this.items = await store.queued(this.account);
        for (const x of this.items) if (x.state === 'sending') x.state = 'waiting';
        this.onChange();
    }

    waiting() { return this.items.filter((x) => x.state !== 'failed'); }
    failed() { return this.items.filter((x) => x.state === 'failed'); }
    forIncident(id) { return this.waiting().filter((x) => String(x.incident_id) === String(id)); }

    // Queues one action or report; resolves once it is stored on the phone.
    async add(kind, incidentId, body, what) {
        const item = {
            account: this.account, kind, incident_id: incidentId || 0, body, what,
            made_ms: Date.now(), state: 'waiting', error: '', tries: 0,
        };
        item.key = await store.enqueue(item);
        this.items.push(item);
        this.onChange();
        this.kick();
        return item;
    }

    async dismiss(item) {
        await store.remove(item.key);
        this.items = this.items.filter((x) => x.key !== item.key);
        this.onChange();
    }

    // Send now: the link is back (a sync answered, the browser went online, a new item).
    kick() {
        if (this.stopped) return;
        clearTimeout(this.timer);
        this.timer = 0;
        this.retryAt = 0;
        this.flush();
    }

    stop() {
        this.stopped = true;
        clearTimeout(this.timer);
    }

    later(ms) {
        clearTimeout(this.timer);
        this.retryAt = Date.now() + ms;
        this.timer = setTimeout(() => { this.timer = 0; this.retryAt = 0; this.flush(); }, ms);
        this.onChange();
    }

    async flush() {
        if (this.running) { this.again = true; return; }
        this.running = true;
        try {
            await this.sendAll();
        } finally {
            this.running = false;
            if (this.again && !this.stopped) { this.again = false; this.flush(); }
        }
    }

    async sendAll() {
        let csrfRetried = false;
        while (!this.stopped && !this.timer) {
            const item = this.waiting()[0];
            if (!item) return;
            item.state = 'sending';
            item.tries++;
            this.onChange();
            let reply;
            try {
                reply = item.kind === 'report' ? await field.report(item.body) : await field.action(item.incident_id, item.body);
            } catch (e) {
                item.state = 'waiting';
                item.error = this.words(e);
                const what = disposition(e.status, e.code);
                if (what === 'done') {
                    reply = { already_done: true };  // what was asked is in effect: done
                } else if (what === 'retry') {
                    const next = nextPause(this.pause, e.retryAfter);
                    this.pause = next.pause;
                    this.later(next.wait);
                    return;
                } else if (what === 'signin') {
                    this.onChange();
                    this.onSignedOut();
                    return;
                } else if (what === 'csrf' && !csrfRetried) {
                    csrfRetried = true;
                    try { await this.refreshCsrf(); } catch (err) { /* the next try says */ }
                    continue;
                } else {
                    item.state = 'failed';
                    item.status = e.status;
                    await store.update(item);
                    this.onChange();
                    this.onRefused(item);
                    continue;
                }
            }
            this.pause = 0;
            await store.remove(item.key);
            this.items = this.items.filter((x) => x.key !== item.key);
            this.onChange();
            this.onSent(item, reply || {});
        }
    }
}
