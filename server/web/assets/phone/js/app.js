// app: the grid worker's phone page (docs/phone.md) — sign-in, my assignments
// most urgent first with live countdowns, one assignment with its map,
// reporter, timeline and supervision orders, the actions with photos, reports
// from the field, and what is still waiting to be sent. Everything the worker
// does goes into the outbox (IndexedDB) first and is sent from there; what the
// server last said is kept, so the page works without a link.

import { el, replace, dateTime, duration, requestId, setTimeZone } from '../../js/dom.js';
import { setCsrf, onSignedOut, rememberSignedIn, maybeSignedIn } from '../../js/api.js';
import { currentLang } from '../../js/i18n.js';
import { timelineReason, attachmentThumbs, attachmentUrl } from '../../js/timeline.js';
import { signInForm, languageButton } from '../../js/signin.js';
import { pt, pl, label } from './texts.js';
import { field } from './field.js';
import { store } from './store.js';
import { Outbox } from './outbox.js';
import { preparePhoto, PhotoError, MAX_PHOTOS } from './photos.js';
import { placeMap } from './placemap.js';
import { Alerter } from './alert.js';
import { effectiveState, actionsFor, limitsOf, nextPause } from './assignment.js';

const root = document.getElementById('app');
const SYNC_WAIT_MS = 25000;
const SYNC_ABORT_MS = 40000; // a held sync never answered in this time: the link is dead
const DAY_MS = 86400000;
const LAST = ''; // the store's key space of the phone itself (who signed in last)
let phone = null;

document.title = pt('appTitle');

if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js', { scope: './' }).catch(() => { /* works online all the same */ });
}

// A refusal in the worker's words: the phone's own for every code it knows
// (Chinese whole; the server's English message only in English), the
// server's message for another.
function errorWords(e) {
    if (e instanceof PhotoError) return pt(e.key, e.vars);
    const known = e && e.code ? pl('errors', e.code) : '';
    if (known && known !== e.code) return currentLang() === 'zh' || !e.message ? known : `${known}: ${e.message}`;
    return e && e.words ? e.words() : String(e);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- sign-in ----

function showSignIn(notice) {
    if (phone) { phone.stop(); phone = null; }
    setCsrf('');
    rememberSignedIn(false);
    const { form } = signInForm({
        words: pt, notice,
        login: (name, password) => field.login(name, password),
        onSession: (session) => start(session, false),
        otherWords: (err) => (err.status === 0 ? pt('offlineNoSession') : errorWords(err)),
    });
    replace(root, el('main', { class: 'signin-page' }, form));
}

onSignedOut(() => showSignIn(pt('sessionEnded')));

// ---- the page of a signed-in worker ----

class Phone {
    constructor(session) {
        this.session = session;
        this.account = session.account;
        this.assignments = [];
        this.listAt = 0;
        this.listCached = false;
        this.known = null; // incident ids seen in the list: a new one is a new assignment
        this.skew = 0; // server clock − phone clock
        this.topo = null;
        this.lastSeq = 0;
        this.notes = {}; // event seq → what the person wrote with it (the feed's items' note)
        this.position = null;
        this.link = 'connecting';
        this.stopped = false;
        this.alerter = new Alerter();
        this.outbox = new Outbox(this.account, {
            onChange: () => this.drawPending(),
            onSent: (item, reply) => this.sent(item, reply),
            onRefused: () => this.render(),
            onSignedOut: () => this.signedOut(),
            refreshCsrf: async () => setCsrf((await field.session()).csrf),
            words: errorWords,
        });
        this.build();
    }

    now() { return Date.now() + this.skew; }

    build() {
        const s = this.session;
        const serves = s.serves || {};
        this.linkState = el('span', { class: 'link-state connecting' }, pt('connecting'));
        this.pendingButton = el('a', { class: 'pending-count', href: '#/outbox', hidden: true });
        this.banner = el('div', { class: 'banner', role: 'alert', hidden: true });
        this.view = el('main', { class: 'view' });
        this.notifyButton = el('button', { type: 'button', class: 'notify', hidden: true, onclick: () => this.askNotify() }, pt('notifyOn'));
        this.reportButton = el('a', { class: 'fab button primary', href: '#/report' }, `＋ ${pt('report')}`);
        this.node = el('div', { class: 'phone' },
            el('header', { class: 'bar' },
                el('span', { class: 'brand' }, pt('appTitle')), this.linkState, el('span', { class: 'spacer' }), this.pendingButton),
            this.whoRow = el('div', { class: 'who' },
                el('span', { class: 'who-name' }, s.display_name || s.account,
                    serves.name ? el('span', { class: 'serves' }, ` · ${serves.name}`) : null),
                el('span', { class: 'spacer' }), this.notifyButton, languageButton(pt('language')),
                el('button', { type: 'button', class: 'logout', onclick: () => this.logout() }, pt('logout'))),
            this.banner, this.view, this.reportButton);
        replace(root, this.node);
        this.notifyButton.hidden = !this.alerter.canAsk();
    }

    async begin() {
        // What the phone kept from the last time: shown at once, and all there is without a link.
        const [lastSeq, cached, topo, tz, notes] = await Promise.all([
            store.get(this.account, 'lastSeq'), store.get(this.account, 'assignments'),
            store.get(this.account, 'topology'), store.get(this.account, 'timeZone'),
            store.get(this.account, 'notes')]);
        if (tz) setTimeZone(tz);
        this.notes = notes || {};
        this.lastSeq = lastSeq || 0;
        this.topo = topo || null;
        if (cached) {
            this.assignments = cached.assignments || [];
            this.listAt = cached.at || 0;
            this.skew = cached.skew || 0;
            this.listCached = true;
            this.known = new Set(this.assignments.map((a) => String(a.incident_id)));
        }
        await this.outbox.load();
        this.onHash = () => this.render();
        window.addEventListener('hashchange', this.onHash);
        this.onOnline = () => { this.wake(); this.outbox.kick(); };
        window.addEventListener('online', this.onOnline);
        this.ticker = setInterval(() => this.tick(), 1000);
        this.render();
        this.loadTopology();
        await this.refreshList();
        this.outbox.kick();
        this.feed();
    }

    stop() {
        this.stopped = true;
        this.outbox.stop();
        clearInterval(this.ticker);
        if (this.syncAbort) this.syncAbort.abort();
        window.removeEventListener('hashchange', this.onHash);
        window.removeEventListener('online', this.onOnline);
        this.wake();
    }

    signedOut() { if (!this.stopped) showSignIn(pt('sessionEnded')); }

    // Signing out on a phone that may change hands: the kept assignments,
    // their details and the names go. What is waiting to be sent stays, and
    // goes out at this account's next sign-in; so do the feed's position and
    // the people's words of past events (the feed does not send them again).
    async logout() {
        try { await field.logout(); } catch (e) { /* signed out either way */ }
        await Promise.all([store.drop(LAST, 'session'), store.forget(this.account, ['lastSeq', 'notes'])]).catch(() => {});
        showSignIn('');
    }

    async askNotify() {
        await this.alerter.ask();
        this.notifyButton.hidden = !this.alerter.canAsk();
    }

    async loadTopology() {
        try {
            this.topo = await field.topology();
            store.set(this.account, 'topology', this.topo).catch(() => {});
        } catch (e) { /* the names in the assignments are enough */ }
    }

    // ---- the live feed: GET /api/v1/field/sync, resumed from the last seq stored ----

    wake() { if (this.waker) this.waker(); }

    pauseFor(ms) {
        return new Promise((resolve) => {
            const timer = setTimeout(() => { this.waker = null; resolve(); }, ms);
            this.waker = () => { clearTimeout(timer); this.waker = null; resolve(); };
        });
    }

    setLink(state) {
        if (this.link === state) return;
        this.link = state;
        this.linkState.className = `link-state ${state}`;
        this.linkState.textContent = pt(state);
        if (state === 'online') this.outbox.kick();
        if (this.viewName === 'list') this.render();
    }

    async feed() {
        let pause = 0;
        while (!this.stopped) {
            let r;
            const abort = new AbortController();
            this.syncAbort = abort;
            const timer = setTimeout(() => abort.abort(), SYNC_ABORT_MS);
            try {
                r = await field.sync(this.lastSeq, SYNC_WAIT_MS, this.position);
            } catch (e) {
                if (this.stopped) return;
                if (e.status === 401) { this.signedOut(); return; }
                if (e.status === 403 && e.code === 'role') { showSignIn(pt('notWorker')); return; }
                this.setLink('offline');
                const next = nextPause(pause, e.retryAfter);
                pause = next.pause;
                await this.pauseFor(next.wait);
                continue;
            } finally {
                clearTimeout(timer);
            }
            pause = 0;
            if (r.time_zone) store.set(this.account, 'timeZone', r.time_zone).catch(() => {});
            this.setLink('online');
            if (r.superseded) { await this.pauseFor(2000); continue; } // another tab of this account holds the feed
            const items = r.items || [];
            if (!items.length) continue;
            const seq = items.reduce((m, x) => Math.max(m, Number(x.seq) || 0), this.lastSeq);
            this.keepNotes(items);
            await this.refreshList();
            const open = this.detailId && items.some((x) => String(x.incident_id) === String(this.detailId));
            if (open) this.refreshDetail();
            // Stored after the items are acted on: a phone that dies in between asks again.
            this.lastSeq = seq;
            store.set(this.account, 'lastSeq', seq).catch(() => {});
        }
    }

    // What a person wrote with an event, from the feed's items (`note`: a
    // command's reason as typed, a supervision order's text): the history
    // keeps an operator's command as a sentence for the record, with ids and
    // UTC times, which is not for a worker's eyes. Kept for the newest 2,000
    // events.
    keepNotes(items) {
        let added = false;
        for (const x of items) {
            if (x.event_seq && typeof x.note === 'string' && x.note) {
                this.notes[x.event_seq] = x.note;
                added = true;
            }
        }
        if (!added) return;
        const seqs = Object.keys(this.notes).map(Number).sort((a, b) => a - b);
        for (const old of seqs.slice(0, Math.max(0, seqs.length - 2000))) delete this.notes[old];
        store.set(this.account, 'notes', this.notes).catch(() => {});
    }

    // A timeline event with the person's own words for its reason, when the feed said them.
    withNote(ev) {
        const note = this.notes[ev.seq];
        return note && ev.actor ? { ...ev, reason: note } : ev;
    }

    // ---- the assignments ----

    async refreshList() {
        if (this.listing) { this.listAgain = true; return this.listing; }
        this.listing = (async () => {
            do {
                this.listAgain = false;
                let r;
                try {
                    r = await field.assignments();
                } catch (e) {
                    if (e.status === 0 || e.status === 503) this.setLink('offline');
                    else if (e.status === 403 && e.code === 'role') showSignIn(pt('notWorker'));
                    return;
                }
                this.setLink('online');
                this.assignments = r.assignments || [];
                this.skew = r.server_time_ms ? r.server_time_ms - Date.now() : 0;
                this.listAt = Date.now();
                this.listCached = false;
                this.announceNew();
                store.set(this.account, 'assignments', { assignments: this.assignments, at: this.listAt, skew: this.skew }).catch(() => {});
                if (this.viewName === 'list') this.render();
                this.prefetch();
            } while (this.listAgain && !this.stopped);
        })();
        try { await this.listing; } finally { this.listing = null; }
        return undefined;
    }

    // A new assignment: in the list now, not before. The first list the
    // phone ever sees announces nothing (it is the worker's whole load).
    announceNew() {
        const ids = new Set(this.assignments.map((a) => String(a.incident_id)));
        if (this.known) {
            const fresh = this.assignments.filter((a) => !this.known.has(String(a.incident_id)));
            if (fresh.length) {
                const a = fresh[0];
                const text = pt('newAssignment', { title: a.title || a.category_name || `#${a.incident_id}` });
                this.showBanner(text, `#/a/${a.incident_id}`, a.incident_id);
                this.alerter.newAssignment(pt('appTitle'), text, `fq-${a.incident_id}`, `./#/a/${a.incident_id}`);
            }
        }
        // The banner goes with its assignment (concluded, returned, handed over).
        if (this.bannerId && !ids.has(String(this.bannerId))) this.banner.hidden = true;
        this.known = ids;
    }

    showBanner(text, href, id) {
        this.bannerId = id;
        replace(this.banner, el('a', { href, onclick: () => { this.banner.hidden = true; } }, text),
            el('button', { type: 'button', class: 'dismiss', onclick: () => { this.banner.hidden = true; } }, pt('dismiss')));
        this.banner.hidden = false;
    }

    // Each assignment's details, kept for a visit without a link.
    async prefetch() {
        for (const a of this.assignments) {
            if (this.stopped) return;
            const have = await store.get(this.account, `detail:${a.incident_id}`);
            if (have) continue;
            try {
                store.set(this.account, `detail:${a.incident_id}`, await field.assignment(a.incident_id)).catch(() => {});
            } catch (e) {
                return;
            }
        }
    }

    // ---- the views, by the URL's hash ----

    render() {
        if (this.stopped) return;
        const h = location.hash;
        let m;
        if ((m = /^#\/a\/(\d+)$/.exec(h))) this.showDetail(m[1]);
        else if (h === '#/report') this.showReport();
        else if (h === '#/outbox') this.showOutbox();
        else this.showList();
        // The worker's name, language and sign-out on the list; the other views need the room.
        this.reportButton.hidden = this.viewName !== 'list';
        this.whoRow.hidden = this.viewName !== 'list';
    }

    setView(name, ...children) {
        if (this.viewName !== name) window.scrollTo(0, 0);
        this.viewName = name;
        if (this.detailMap) { this.detailMap.remove(); this.detailMap = null; }
        if (name !== 'detail') this.detailId = null;
        replace(this.view, ...children);
    }

    drawPending() {
        const n = this.outbox.waiting().length;
        this.pendingButton.hidden = n === 0;
        this.pendingButton.dataset.count = String(n);
        this.pendingButton.textContent = pt('pending', { n });
        if (this.viewName === 'outbox') this.showOutbox();
        else if (this.viewName === 'list') this.drawCardsPending();
    }

    failedNotes() {
        return this.outbox.failed().map((item) => el('div', { class: 'failed-item', role: 'alert' },
            el('div', null, el('strong', null, pt('refusedPrefix')), item.what || ''),
            el('div', { class: 'error' }, item.error || ''),
            el('button', { type: 'button', onclick: () => this.outbox.dismiss(item).then(() => this.render()) }, pt('dismiss'))));
    }

    showList() {
        const cards = this.assignments.map((a) => this.card(a));
        const when = this.listAt ? dateTime(this.listAt) : '';
        const status = this.listCached || this.link === 'offline'
            ? el('p', { class: 'list-status offline' }, when ? pt('cachedCopy', { t: when }) : pt('offline'))
            : el('p', { class: 'list-status' }, when ? pt('updatedAt', { t: when }) : pt('loading'));
        this.setView('list',
            this.failedNotes(),
            el('h2', { class: 'list-title' }, pt('myAssignments'), el('span', { class: 'count' }, ` ${this.assignments.length}`)),
            status,
            cards.length ? el('div', { class: 'cards' }, cards) : el('p', { class: 'empty' }, pt('noAssignments')));
        this.tick();
    }

    card(a) {
        const queued = this.outbox.forIncident(a.incident_id);
        const eff = effectiveState(a, queued);
        const limits = limitsOf(a, eff);
        const now = this.now();
        const late = limits.some(([, ms]) => ms < now);
        return el('a', { class: `card sev-${a.severity || 'unspecified'}${late ? ' late' : ''}`, href: `#/a/${a.incident_id}`, dataset: { id: String(a.incident_id) } },
            el('div', { class: 'card-top' },
                el('span', { class: `sev-badge sev-${a.severity || 'unspecified'}` }, label('severities', a.severity)),
                el('span', { class: 'state' }, label('states', eff.open ? eff.assignment : 'concluded')),
                late ? el('span', { class: 'mark overdue' }, pt('overdue')) : null,
                eff.supervised ? el('span', { class: 'mark supervised' }, pt('supervised')) : null,
                a.suspended_at_ms ? el('span', { class: 'mark suspended' }, pt('suspended')) : null),
            el('div', { class: 'card-title' }, a.title || a.category_name || ''),
            el('div', { class: 'card-sub' }, [a.category_name, a.territory_name].filter(Boolean).join(' · ')),
            a.address ? el('div', { class: 'card-addr' }, a.address) : null,
            el('div', { class: 'limits' }, limits.map(([k, ms]) => this.limitLine(k, ms, a))),
            el('div', { class: 'pending-marks' }, queued.map((q) => el('span', { class: 'pending-mark' }, pl('actPending', q.body.kind || 'report')))));
    }

    drawCardsPending() {
        // The cards show the queued actions: redrawn (cheap) when the queue changes.
        if (this.viewName === 'list') this.showList();
    }

    limitLine(key, ms, inc) {
        return el('div', { class: 'limit' }, el('span', { class: 'limit-name' }, pt(key)), ' ',
            el('time', null, dateTime(ms)), ' ',
            inc && inc.suspended_at_ms ? null : el('span', { class: 'countdown', dataset: { due: String(ms) } }));
    }

    tick() {
        const now = this.now();
        for (const node of this.node.querySelectorAll('.countdown')) {
            const left = Number(node.dataset.due) - now;
            const text = left >= 0 ? pt('remaining', { t: duration(left) }) : pt('late', { t: duration(left) });
            if (node.textContent !== text) node.textContent = text;
            node.classList.toggle('late', left < 0);
            node.classList.toggle('soon', left >= 0 && left < 3600000);
        }
        const retry = this.node.querySelector('.retry-in');
        if (retry) {
            const s = Math.max(0, Math.ceil((this.outbox.retryAt - Date.now()) / 1000));
            retry.textContent = this.outbox.retryAt ? pt('retryIn', { s }) : '';
        }
    }

    // ---- one assignment ----

    async showDetail(id) {
        if (this.detailId !== id || this.viewName !== 'detail') {
            this.setView('detail', el('p', { class: 'loading' }, pt('loading')));
            this.detailId = id;
            this.detailForm = null;
            this.detailText = '';
        }
        // The kept copy at once (all there is without a link), then the server's.
        const kept = await store.get(this.account, `detail:${id}`);
        if (kept && this.detailId === id) this.drawDetail(id, kept, this.link !== 'online');
        this.refreshDetail();
    }

    async refreshDetail() {
        const id = this.detailId;
        if (!id) return;
        let doc;
        try {
            doc = await field.assignment(id);
        } catch (e) {
            if (this.detailId !== id) return;
            if (e.status === 0 || e.status === 503) {
                this.setLink('offline');
                // The kept copy stays; without one, say so rather than load for ever.
                if (!this.detailText) {
                    this.setView('detail', el('a', { class: 'back button', href: '#/' }, `‹ ${pt('back')}`),
                        el('p', { class: 'note closed' }, pt('offlineNoCopy')));
                    this.detailId = id;
                }
                return;
            }
            store.drop(this.account, `detail:${id}`).catch(() => {});
            this.setView('detail', el('a', { class: 'back button', href: '#/' }, `‹ ${pt('back')}`),
                el('p', { class: 'error refusal' }, errorWords(e)));
            this.detailId = id;
            return;
        }
        store.set(this.account, `detail:${id}`, doc).catch(() => {});
        // Drawn again only when something changed: no flicker, and a button
        // being tapped stays the same button.
        const text = JSON.stringify(doc);
        if (this.detailId === id && (text !== this.detailText || this.detailQueue !== this.queueKey(id))) {
            this.drawDetail(id, doc, false);
        }
    }

    queueKey(id) { return this.outbox.forIncident(id).map((q) => q.key).join(','); }

    drawDetail(id, doc, cached) {
        this.detailText = JSON.stringify(doc);
        this.detailQueue = this.queueKey(id);
        const inc = doc.incident || doc.assignment || {};
        const listed = this.assignments.find((a) => String(a.incident_id) === String(id));
        const merged = { ...(listed || {}), ...inc };
        if (!merged.incident_id) merged.incident_id = Number(id);
        const queued = this.outbox.forIncident(id);
        const eff = effectiveState(merged, queued);
        // Open, but no longer in the worker's list: handed over to someone else.
        if (!listed && this.listAt) eff.open = false;
        const point = this.pointOf(merged, doc);
        const ring = doc.ring || merged.ring || (this.gridOf(merged.territory) || {}).ring || [];
        const title = merged.title || merged.category_name || `#${id}`;
        const facts = el('dl', { class: 'facts' },
            this.fact('category', merged.category_name || merged.category),
            this.fact('place', [merged.town_name, merged.territory_name].filter(Boolean).join(' · ') || ''),
            merged.address ? this.fact('address', merged.address) : null,
            this.fact('reportedBy', this.reporterOf(merged, doc)),
            this.fact('recordedAt', dateTime(merged.recorded_at_ms)),
            limitsOf(merged, eff).map(([k, ms]) => this.fact(k, el('span', null, el('time', null, dateTime(ms)), ' ',
                merged.suspended_at_ms ? el('span', { class: 'mark suspended' }, pt('suspended')) : el('span', { class: 'countdown', dataset: { due: String(ms) } })))));
        const mapBox = el('div', { class: 'place-map' });
        const geo = point ? `geo:${point.lat},${point.lng}?q=${point.lat},${point.lng}(${encodeURIComponent(merged.address || title)})` : null;
        const timeline = (doc.timeline || []).map((ev) => this.withNote(ev)).reverse();
        const supervision = this.supervisionOf(doc, merged, eff, timeline);
        const description = doc.description || merged.description || '';
        const kinds = actionsFor(merged, eff);
        const closingQueued = queued.some((q) => q.body.kind === 'conclude' || q.body.kind === 'return');
        const closedWhy = closingQueued ? 'closingQueued' : merged.state === 'concluded' ? 'closedConcluded' : 'closedHere';
        const closedNote = !eff.open ? el('p', { class: 'note closed' }, pt(closedWhy)) : null;
        // A redraw (a live item, the queue) keeps the form being filled in
        // while the actions offered stay the same.
        this.detailKey = `${id}:${kinds.join(',')}`;
        if (this.detailForm && this.detailForm.key !== this.detailKey) this.detailForm = null;
        const actions = kinds.length ? el('section', { class: 'actions' },
            el('h3', null, pt('actions')),
            el('div', { class: 'action-buttons' }, kinds.map((k) => el('button', {
                type: 'button', class: `act act-${k}${k === kinds[0] ? ' primary' : ''}`, dataset: { kind: k },
                onclick: () => this.openAction(id, merged, k),
            }, pl('act', k)))),
            this.detailForm ? this.detailForm.node : null) : null;
        this.setView('detail',
            this.failedNotes().filter((n, i) => String(this.outbox.failed()[i].incident_id) === String(id)),
            el('div', { class: 'detail-top' }, el('a', { class: 'back button', href: '#/' }, `‹ ${pt('back')}`),
                cached ? el('span', { class: 'list-status offline' }, pt('offline')) : null),
            el('h2', { class: 'incident-title' },
                el('span', { class: `sev-badge sev-${merged.severity || 'unspecified'}` }, label('severities', merged.severity)), ' ', title),
            el('div', { class: 'state-line' },
                el('span', { class: 'state' }, label('states', eff.open ? eff.assignment : 'concluded')),
                eff.supervised ? el('span', { class: 'mark supervised' }, pt('supervised')) : null,
                queued.map((q) => el('span', { class: 'pending-mark' }, pl('actPending', q.body.kind)))),
            mapBox,
            el('div', { class: 'nav-row' },
                geo ? el('a', { class: 'button navigate', href: geo }, pt('navigate')) : null,
                point && point.approx ? el('span', { class: 'muted' }, pt('placeApprox')) : null),
            facts,
            description ? el('section', null, el('h3', null, pt('description')), el('p', { class: 'description' }, description)) : null,
            supervision, closedNote, actions,
            el('section', { class: 'timeline-box' }, el('h3', null, pt('timeline')),
                el('ol', { class: 'timeline' }, timeline.map((ev) => el('li', null,
                    el('time', null, dateTime(ev.at_ms)), ' ',
                    el('strong', null, label('events', ev.kind)), ' ',
                    el('span', { class: 'actor' }, ev.actor_name || (ev.actor ? '' : pt('system'))),
                    timelineReason(ev),
                    attachmentThumbs(ev, (a) => this.showPhoto(a)))))));
        this.tick();
        this.detailMap = placeMap(mapBox, { ring, point, tileUrl: this.topo && this.topo.tile_url });
        setTimeout(() => { if (this.detailMap) this.detailMap.invalidateSize(); }, 0);
    }

    fact(key, ...value) {
        return el('div', { class: 'fact' }, el('dt', null, pt(key)), el('dd', null, ...value));
    }

    pointOf(inc, doc) {
        const loc = inc.location || doc.location;
        if (loc && (loc.lat || loc.lng)) return { lat: loc.lat, lng: loc.lng, approx: false };
        const ring = doc.ring || (this.gridOf(inc.territory) || {}).ring || [];
        if (!ring.length) return null;
        const lat = ring.reduce((s, p) => s + p[0], 0) / ring.length;
        const lng = ring.reduce((s, p) => s + p[1], 0) / ring.length;
        return { lat: Math.round(lat * 1e6) / 1e6, lng: Math.round(lng * 1e6) / 1e6, approx: true };
    }

    gridOf(id) {
        if (!this.topo || !id) return null;
        for (const town of this.topo.towns || []) for (const v of town.villages || []) for (const g of v.grids || []) if (g.id === id) return g;
        return null;
    }

    reporterOf(inc, doc) {
        const node = doc.reporter_node_name || inc.reporter_node_name || '';
        const name = doc.reporter_name || inc.reporter_name || '';
        const phoneNo = doc.reporter_phone || inc.reporter_phone || '';
        const citizen = name || phoneNo ? `${pt('citizen')} ${[name, phoneNo].filter(Boolean).join(' ')}` : '';
        return [node, citizen].filter(Boolean).join(' · ') || '—';
    }

    // The supervision order waiting for its reply (the detail's `supervision`:
    // its text as `note`, who gave it, when the reply is due); gone once the
    // worker's reply is sent or queued.
    supervisionOf(doc, inc, eff, timeline) {
        if (!eff.supervised) return null;
        const o = { ...(doc.supervision || {}) };
        // The order's text as the supervisor typed it (its event, newest first in `timeline`).
        const ordered = timeline.find((ev) => ev.kind === 'supervision_ordered');
        if (ordered && this.notes[ordered.seq]) o.note = this.notes[ordered.seq];
        const due = o.due_ms || inc.supervision_due_ms;
        return el('section', { class: 'supervision' }, el('h3', null, pt('supervisionOrders')),
            el('div', { class: 'order' },
                o.note ? el('p', { class: 'order-text' }, o.note) : null,
                el('p', { class: 'muted' }, pt('supervisionBy', { who: o.actor_name || pt('commandCenter'), t: dateTime(due) }), ' ',
                    due ? el('span', { class: 'countdown', dataset: { due: String(due) } }) : null)));
    }

    showPhoto(a) {
        const close = () => overlay.remove();
        const overlay = el('div', { class: 'photo-view', role: 'dialog', 'aria-label': a.name || pt('openPhoto'), onclick: close },
            el('img', { src: attachmentUrl(a.id), alt: a.name || '' }),
            el('button', { type: 'button', class: 'close', onclick: close }, pt('close')));
        document.body.appendChild(overlay);
    }

    // ---- the actions ----

    openAction(id, inc, kind) {
        if (kind === 'acknowledge') {
            // One tap: nothing to fill in.
            this.queueAction(id, inc, { kind });
            return;
        }
        const form = new ActionForm(kind, inc, this.topo, this.session, (body) => this.queueAction(id, inc, body),
            () => { this.detailForm = null; this.render(); });
        this.detailForm = { key: this.detailKey, node: form.node };
        const box = this.view.querySelector('section.actions');
        if (box) {
            const old = box.querySelector('form.action-form');
            if (old) old.remove();
            box.appendChild(form.node);
            form.focus();
        }
    }

    async queueAction(id, inc, fields) {
        // The request id is made here, once, when the worker taps: every resend
        // carries it, and the server does the action once.
        const body = {
            request_id: requestId(), kind: fields.kind, note: fields.note || '', reason: fields.reason || '',
            right_place: fields.right_place || '', extend_to_ms: 0, extend_by_ms: fields.extend_by_ms || 0,
            photos: fields.photos || [],
        };
        const what = `${pl('act', body.kind)} · ${inc.title || `#${id}`}`;
        await this.outbox.add('action', Number(id), body, what);
        this.detailForm = null;
        if (this.link !== 'online') this.toast(pt('queued'));
        this.render();
    }

    sent(item, reply) {
        if (item.kind === 'report' && reply && reply.incident_id) this.toast(pt('reportedDone', { id: reply.incident_id }));
        else this.toast(pt('sent', { what: pl('act', item.body.kind) }));
        this.refreshList();
        if (item.incident_id && String(item.incident_id) === String(this.detailId)) this.refreshDetail();
    }

    toast(text) {
        const t = el('div', { class: 'toast', role: 'status' }, text);
        document.body.appendChild(t);
        setTimeout(() => t.remove(), 2500);
    }

    // ---- a report from the field ----

    showReport() {
        if (this.viewName === 'report') return;
        const form = new ReportForm(this.topo, (body) => this.queueReport(body), () => { location.hash = '#/'; });
        this.setView('report', el('a', { class: 'back button', href: '#/' }, `‹ ${pt('back')}`),
            el('h2', null, pt('reportTitle')), form.node);
        form.locate((pos) => { this.position = pos; });
    }

    async queueReport(fields) {
        const body = { request_id: requestId(), ...fields };
        await this.outbox.add('report', 0, body, `${pt('report')} · ${fields.title}`);
        if (this.link !== 'online') this.toast(pt('queued'));
        location.hash = '#/';
    }

    // ---- what is waiting to be sent ----

    showOutbox() {
        const waiting = this.outbox.waiting();
        this.setView('outbox', el('a', { class: 'back button', href: '#/' }, `‹ ${pt('back')}`),
            el('h2', null, pt('pendingTitle')),
            waiting.length ? el('ol', { class: 'outbox' }, waiting.map((item, i) => el('li', { class: `outbox-item ${item.state}` },
                el('div', { class: 'what' }, item.what || ''),
                el('div', { class: 'muted' }, dateTime(item.made_ms), ' · ',
                    item.state === 'sending' ? pt('sendingItem') : pt('waitingItem'),
                    i === 0 && item.state !== 'sending' ? el('span', { class: 'retry-in' }) : null),
                item.error && item.state !== 'sending' ? el('div', { class: 'error' }, item.error) : null)))
                : el('p', { class: 'empty' }, pt('pendingEmpty')),
            this.outbox.failed().length ? el('h3', null, pt('failedTitle')) : null,
            this.failedNotes());
        this.tick();
    }
}

// ---- photos in a form: <input type=file accept=image/* capture=environment> ----

class PhotoPicker {
    // prefix: the photos' names (before-1.jpg); room(): how many more the form takes.
    constructor(title, prefix, room, message) {
        this.photos = [];
        this.prefix = prefix;
        this.room = room;
        this.message = message;
        this.list = el('div', { class: 'photo-list' });
        this.input = el('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true, class: 'file-input', name: prefix });
        this.input.addEventListener('change', () => this.take());
        this.node = el('div', { class: 'photo-picker', dataset: { for: prefix } },
            el('div', { class: 'picker-title' }, title),
            this.list,
            el('label', { class: 'button add-photo' }, `＋ ${pt('addPhoto')}`, this.input));
        this.busy = Promise.resolve();
    }

    take() {
        const files = Array.from(this.input.files || []);
        this.input.value = '';
        this.busy = this.busy.then(async () => {
            this.message.className = 'message';
            this.message.textContent = pt('preparing');
            const problems = [];
            for (const file of files) {
                if (this.room() <= 0) { problems.push(pt('tooManyPhotos', { n: MAX_PHOTOS })); break; }
                try {
                    this.photos.push(await preparePhoto(file, `${this.prefix}-${this.photos.length + 1}.jpg`));
                } catch (e) {
                    problems.push(errorWords(e));
                }
            }
            this.message.className = problems.length ? 'message error' : 'message';
            this.message.textContent = problems.join('；');
            this.draw();
        });
    }

    draw() {
        replace(this.list, this.photos.map((p, i) => el('div', { class: 'photo' },
            el('img', { src: p.preview, alt: p.name }),
            el('button', { type: 'button', class: 'remove', onclick: () => { this.photos.splice(i, 1); this.draw(); } }, pt('removePhoto')))));
    }

    body() { return this.photos.map((p) => ({ name: p.name, content_type: p.content_type, data: p.data })); }
}

class ActionForm {
    constructor(kind, inc, topo, session, onSubmit, onCancel) {
        this.kind = kind;
        const message = el('p', { class: 'message', role: 'status' });
        this.message = message;
        this.note = el('textarea', { name: 'note', rows: '3', maxlength: '2000', placeholder: pt('notePlaceholder') });
        const fields = [];
        const pickers = [];
        const room = () => MAX_PHOTOS - pickers.reduce((n, p) => n + p.photos.length, 0);
        if (kind === 'return') {
            this.reason = el('select', { name: 'reason' },
                el('option', { value: 'wrong_jurisdiction' }, pt('wrongJurisdiction')),
                el('option', { value: 'beyond_capacity' }, pt('beyondCapacity')));
            this.place = el('select', { name: 'right_place' }, el('option', { value: '' }, pt('rightPlaceUnknown')),
                placesOf(topo, inc).map(([v, text]) => el('option', { value: v }, text)));
            const placeField = field_('rightPlace', this.place);
            this.reason.addEventListener('change', () => { placeField.hidden = this.reason.value !== 'wrong_jurisdiction'; });
            fields.push(field_('returnReason', this.reason), placeField);
        } else if (kind === 'extend') {
            this.extend = el('select', { name: 'extend_by' },
                [[1, 'd'], [2, 'd'], [3, 'd'], [7, 'd'], [4, 'h'], [8, 'h']].map(([n, u]) => el('option', { value: String(n * (u === 'd' ? DAY_MS : 3600000)) },
                    pt(u === 'd' ? 'extendDays' : 'extendHours', { n }))));
            fields.push(field_('extendBy', this.extend));
        }
        if (kind === 'conclude') {
            pickers.push(new PhotoPicker(pt('photosBefore'), 'before', room, message), new PhotoPicker(pt('photosAfter'), 'after', room, message));
        } else if (kind === 'progress' || kind === 'reply') {
            pickers.push(new PhotoPicker(pt('photos'), 'photo', room, message));
        }
        this.pickers = pickers;
        const submit = el('button', { type: 'submit', class: 'primary' }, pt('submit'));
        this.node = el('form', { class: `action-form kind-${kind}`, dataset: { kind } },
            el('h4', null, pl('act', kind)),
            fields, field_('note', this.note), pickers.map((p) => p.node),
            el('div', { class: 'form-buttons' }, submit, el('button', { type: 'button', onclick: onCancel }, pt('cancel'))),
            message);
        this.node.addEventListener('submit', async (e) => {
            e.preventDefault();
            await Promise.all(pickers.map((p) => p.busy));
            const note = this.note.value.trim();
            if (!note) { showError(message, pt('needNote')); this.note.focus(); return; }
            const photos = pickers.flatMap((p) => p.body());
            if (kind === 'conclude' && inc.photo_to_conclude && !photos.length) { showError(message, pt('photoNeeded')); return; }
            const body = { kind, note, photos };
            if (kind === 'return') {
                body.reason = this.reason.value;
                if (body.reason === 'wrong_jurisdiction') body.right_place = this.place.value;
            } else if (kind === 'extend') {
                body.extend_by_ms = Number(this.extend.value);
            }
            await sendForm(onSubmit, body, submit, message);
        });
    }

    focus() { this.note.focus(); }
}

function showError(message, text) {
    message.className = 'message error';
    message.textContent = text;
}

// Sends a form's body with its button held down; on a refusal the button
// comes back and the form's message says why.
async function sendForm(onSubmit, body, submit, message) {
    submit.disabled = true;
    try {
        await onSubmit(body);
    } catch (err) {
        submit.disabled = false;
        showError(message, errorWords(err));
    }
}

function field_(key, ...input) {
    return el('label', { class: 'field', dataset: { for: key } }, el('span', null, pt(key)), ...input);
}

// Where a returned incident may belong, by name: the places the worker's
// topology names (its town's villages and grids), not the incident's own grid.
function placesOf(topo, inc) {
    const out = [];
    if (!topo) return out;
    for (const town of topo.towns || []) {
        if (town.id !== inc.town) out.push([town.id, town.name]);
        for (const v of town.villages || []) {
            out.push([v.id, `${town.name} · ${v.name}`]);
            for (const g of v.grids || []) if (g.id !== inc.territory) out.push([g.id, `${v.name} · ${g.name}`]);
        }
    }
    return out;
}

class ReportForm {
    constructor(topo, onSubmit, onCancel) {
        const message = el('p', { class: 'message', role: 'status' });
        const categories = (topo && topo.categories) || [];
        this.category = el('select', { name: 'category' }, categories.map((c) => el('option', { value: c.code }, c.name)));
        this.severity = el('select', { name: 'severity' }, ['iv', 'iii', 'ii', 'i'].map((s) => el('option', { value: s }, label('severities', s))));
        this.risk = el('select', { name: 'risk' }, ['low', 'medium', 'high'].map((s) => el('option', { value: s }, label('risks', s))));
        this.title = el('input', { type: 'text', name: 'title', maxlength: '200', placeholder: pt('titlePlaceholder') });
        this.address = el('input', { type: 'text', name: 'address', maxlength: '200' });
        this.description = el('textarea', { name: 'description', rows: '3', maxlength: '2000' });
        this.where = el('span', { class: 'where' }, pt('locating'));
        this.position = null;
        const picker = new PhotoPicker(pt('photos'), 'scene', () => MAX_PHOTOS - picker.photos.length, message);
        const submit = el('button', { type: 'submit', class: 'primary' }, pt('submit'));
        this.node = el('form', { class: 'report-form' },
            field_('title', this.title), field_('category', this.category),
            el('div', { class: 'pair' }, field_('severity', this.severity), field_('risk', this.risk)),
            field_('address', this.address), field_('description', this.description),
            el('div', { class: 'field location' }, el('span', null, pt('location')), this.where,
                el('button', { type: 'button', onclick: () => this.locate(this.onPosition) }, pt('relocate'))),
            picker.node,
            el('div', { class: 'form-buttons' }, submit, el('button', { type: 'button', onclick: onCancel }, pt('cancel'))),
            message);
        this.node.addEventListener('submit', async (e) => {
            e.preventDefault();
            await picker.busy;
            const title = this.title.value.trim();
            if (!title) { showError(message, pt('needTitle')); this.title.focus(); return; }
            const body = {
                category: this.category.value, severity: this.severity.value, risk: this.risk.value, title,
                description: this.description.value.trim(), address: this.address.value.trim(),
                occurred_at_ms: 0, photos: picker.body(),
            };
            if (this.position) body.location = { lat: this.position.lat, lng: this.position.lng };
            await sendForm(onSubmit, body, submit, message);
        });
    }

    // The phone's position (Geolocation API); without one the report is placed in the worker's grid.
    locate(onPosition) {
        this.onPosition = onPosition;
        if (!navigator.geolocation) { this.where.textContent = pt('noLocation'); return; }
        this.where.textContent = pt('locating');
        navigator.geolocation.getCurrentPosition((p) => {
            this.position = { lat: Math.round(p.coords.latitude * 1e6) / 1e6, lng: Math.round(p.coords.longitude * 1e6) / 1e6 };
            this.where.textContent = pt('located', { lat: this.position.lat.toFixed(5), lng: this.position.lng.toFixed(5), acc: Math.round(p.coords.accuracy || 0) });
            if (onPosition) onPosition(this.position);
        }, () => {
            this.position = null;
            this.where.textContent = pt('noLocation');
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    }
}

// ---- start ----

async function start(session, offline) {
    if (session.role && session.role !== 'worker') { showSignIn(pt('notWorker')); return; }
    rememberSignedIn(true);
    setCsrf(session.csrf);
    // Kept for a start without a link: names and the CSRF token (not a secret
    // by itself: the session is an HttpOnly cookie the page never sees).
    if (!offline) store.set(LAST, 'session', session).catch(() => {});
    phone = new Phone(session);
    await phone.begin();
}

async function boot() {
    if (!maybeSignedIn()) { showSignIn(''); return; }
    try {
        start(await field.session(), false);
    } catch (e) {
        if (e.status === 0 || e.status === 503) {
            const kept = await store.get(LAST, 'session').catch(() => null);
            if (kept) { start(kept, true); return; }
            showSignIn(pt('offlineNoSession'));
            return;
        }
        showSignIn('');
    }
}

boot();
