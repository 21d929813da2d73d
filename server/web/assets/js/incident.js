// incident: one incident's panel — details, its place on a small map, holder,
// limits with live countdowns, the timeline with actor names, and a form for
// every command the person's role allows. Each command carries a fresh
// request_id; the panel refreshes after success.

import { api } from './api.js';
import { el, replace, select, dateTime, requestId, wallInput, fromWallInput } from './dom.js';
import { t, label } from './i18n.js';
import { countdown, stateLabel, isOpen, suspendedMark } from './board.js';
import { PlaceMap } from './map.js';
import { timelineReason, attachmentThumbs } from './timeline.js';
import { MediationPanel } from './mediation.js';
import { upwardSection } from './upward.js';

const OPEN_COMMANDS = ['assign', 'escalate', 'supervise', 'approve_extension', 'deny_extension', 'merge', 'conclude'];
const CLOSED_COMMANDS = ['verify', 'follow_up', 'reopen'];
// Suspended (中止): resumed, concluded or merged; nothing else until resumed.
const SUSPENDED_COMMANDS = ['resume', 'conclude', 'merge'];

function commandsFor(inc, role) {
    if (role === 'viewer' || role === 'receptionist') return [];
    if (isOpen(inc) && inc.suspended_at_ms) return SUSPENDED_COMMANDS;
    let kinds = isOpen(inc) ? OPEN_COMMANDS.concat(['suspend']) : CLOSED_COMMANDS;
    // Supervision orders and suspensions are a supervisor's (docs/web-console.md).
    if (role !== 'supervisor') kinds = kinds.filter((k) => k !== 'supervise' && k !== 'suspend');
    if (inc.assignment !== 'extension_requested') kinds = kinds.filter((k) => k !== 'approve_extension' && k !== 'deny_extension');
    return kinds;
}

export class IncidentPanel {
    constructor(topo, session, { onClose, onChanged }) {
        this.topo = topo;
        this.session = session;
        this.onClose = onClose;
        this.onChanged = onChanged;
        this.id = 0;
        this.generation = 0;
        this.timelineEvents = [];
        this.content = el('div', { class: 'incident-content' });
        this.title = el('h2', { class: 'incident-title' });
        this.mapBox = el('div', { class: 'place-map' });
        this.node = el('aside', { class: 'incident-panel', hidden: true, 'aria-label': t('incident') },
            el('header', null, this.title, el('button', { type: 'button', class: 'close', onclick: () => this.close(), title: 'Esc' }, t('close'))),
            el('div', { class: 'incident-scroll' }, this.mapBox, this.content));
        this.placeMap = null;
        this.mediation = new MediationPanel(session, { onChanged: () => { this.onChanged(); this.refresh(); } });
    }

    isOpenFor(id) { return this.id && String(this.id) === String(id); }

    open(id) {
        this.id = id;
        this.node.hidden = false;
        this.form = null;
        this.formKey = '';
        replace(this.content, t('loading'));
        replace(this.title, `${t('incident')} #${id}`);
        if (!this.placeMap) this.placeMap = new PlaceMap(this.mapBox, this.topo);
        this.refresh();
    }

    close() {
        this.id = 0;
        this.node.hidden = true;
        this.onClose();
    }

    async refresh() {
        if (!this.id) return;
        const gen = ++this.generation;
        const id = this.id;
        let doc;
        let timeline = [];
        try {
            doc = await api.incident(id);
            timeline = doc.timeline || [];
            let r = doc;
            while (r.more && r.cursor && timeline.length < 5000) {
                r = await api.incident(id, r.cursor);
                timeline = timeline.concat(r.timeline || []);
            }
        } catch (e) {
            if (gen === this.generation) replace(this.content, el('p', { class: 'error' }, e.words ? e.words() : String(e)));
            return;
        }
        if (gen !== this.generation || String(id) !== String(this.id)) return;
        this.render(doc.incident || {}, doc.description || '', timeline);
    }

    render(inc, description, timeline) {
        const topo = this.topo;
        replace(this.title, el('span', { class: `sev-badge sev-${inc.severity || 'unspecified'}` }, label('severities', inc.severity)),
            ` #${inc.incident_id} `, inc.title || '');
        this.placeMap.show(inc);
        const row = (k, ...v) => el('tr', null, el('th', null, t(k)), el('td', null, ...v));
        const running = isOpen(inc) && !inc.suspended_at_ms; // a suspended one's clocks stand still
        const limit = (ms, what) => (ms ? [dateTime(ms), ' ', running ? countdown(ms, what) : null] : '—');
        const details = el('table', { class: 'details' }, el('tbody', null,
            row('colState', stateLabel(inc), inc.overdue ? el('span', { class: 'mark overdue' }, t('overdue')) : null,
                inc.supervision_due_ms ? el('span', { class: 'mark supervised' }, t('supervised')) : null,
                suspendedMark(inc)),
            inc.suspended_at_ms ? row('suspendedAt', dateTime(inc.suspended_at_ms),
                el('div', { class: 'reason' }, inc.suspend_reason || '')) : null,
            row('holder', topo.holder(inc), inc.worker && inc.lead_unit ? ` · ${topo.name(inc.lead_unit)}` : ''),
            (inc.co_units || []).length ? row('coUnits', inc.co_units.map((u) => topo.name(u)).join('、')) : null,
            row('category', topo.category(inc.category)),
            row('place', topo.place(inc), topo.point(inc) && topo.point(inc).approx ? ` ${t('placeApprox')}` : ''),
            row('address', inc.address || '—'),
            row('tier', label('tiers', inc.tier)),
            row('line', label('lines', inc.line || '')),
            row('risk', label('risks', inc.risk)),
            row('recordedAt', dateTime(inc.recorded_at_ms)),
            row('ackDue', ...[].concat(inc.assignment === 'assigned' ? limit(inc.acknowledge_due_ms, 'ackDue') : dateTime(inc.acknowledge_due_ms))),
            row('concludeDue', ...[].concat(limit(inc.conclude_due_ms, 'concludeDue'))),
            inc.supervision_due_ms ? row('supervisionDue', ...[].concat(limit(inc.supervision_due_ms, 'supervisionDue'))) : null,
            inc.escalations ? row('escalations', String(inc.escalations)) : null,
            // Reporting nodes have no names in the topology: shown only when one is known.
            inc.reporter_node && topo.name(inc.reporter_node) !== inc.reporter_node ? row('reporter', topo.name(inc.reporter_node)) : null));
        const desc = description ? el('section', null, el('h3', null, t('description')), el('p', { class: 'description' }, description)) : null;
        const events = el('ol', { class: 'timeline' }, timeline.map((ev) => el('li', null,
            el('time', null, dateTime(ev.at_ms)), ' ',
            el('strong', null, label('events', ev.kind)), ' ',
            el('span', { class: 'actor' }, ev.actor_name || (ev.actor ? topo.name(ev.actor) : t('system'))),
            timelineReason(ev),
            attachmentThumbs(ev))));
        // A live refresh keeps the command form (and what is being typed in it)
        // unless the commands the incident allows have changed.
        const formKey = `${inc.incident_id}:${commandsFor(inc, this.session.role).join(',')}`;
        if (formKey !== this.formKey || !this.form) {
            this.formKey = formKey;
            this.form = this.commandForm(inc);
        }
        this.mediation.show(inc);
        // The reports upward, when there are any, once read (docs/upward.md).
        const upward = el('div', { class: 'upward-box' });
        const gen = this.generation;
        upwardSection(inc.incident_id, topo).then((s) => { if (s && gen === this.generation) replace(upward, s); });
        replace(this.content, details, desc, this.mediation.node, this.form, upward,
            el('section', null, el('h3', null, t('timeline')), events));
    }

    commandForm(inc) {
        const kinds = commandsFor(inc, this.session.role);
        if (!kinds.length) return el('section', { class: 'commands' }, el('p', { class: 'note' }, t('viewerNote')));
        const topo = this.topo;
        const targets = topo.targets();
        const byName = new Map(targets.map((x) => [x.name, x]));
        for (const x of targets) for (const a of x.aliases || []) if (!byName.has(a)) byName.set(a, x);
        const unitByName = new Map(topo.units.map((u) => [u.name, u]));
        const listId = `targets-${inc.incident_id}`;
        const unitListId = `units-${inc.incident_id}`;
        const kind = select({ 'aria-label': t('command') }, kinds.map((k) => [k, label('commandNames', k)]), kinds[0]);
        const reason = el('textarea', { rows: '2', maxlength: '1000', placeholder: t('reason') });
        const target = el('input', { type: 'text', list: listId, placeholder: t('targetHint'), autocomplete: 'off' });
        const coInput = el('input', { type: 'text', list: unitListId, placeholder: t('targetHint'), autocomplete: 'off' });
        const coList = el('ul', { class: 'co-units' });
        const coUnits = [];
        const drawCo = () => replace(coList, coUnits.map((u, i) => el('li', null, topo.name(u), ' ',
            el('button', { type: 'button', class: 'small', onclick: () => { coUnits.splice(i, 1); drawCo(); } }, t('remove')))));
        const addCo = () => {
            const u = unitByName.get(coInput.value.trim());
            if (!u) { message.textContent = t('unknownCoUnit'); return; }
            if (!coUnits.includes(u.id)) coUnits.push(u.id);
            coInput.value = '';
            message.textContent = '';
            drawCo();
        };
        // A supervision order's reply is due in two hours unless the supervisor says otherwise.
        // In the district's time, as every time on the page.
        const deadline = el('input', { type: 'datetime-local', value: wallInput(Date.now() + 2 * 3600000) });
        const mergeInto = el('input', { type: 'number', min: '1', step: '1' });
        const satisfaction = select(null, [1, 2, 3, 4, 5].map((n) => [String(n), String(n)]), '5');
        const message = el('p', { class: 'message', role: 'status' });
        const field = (k, ...input) => el('label', { class: 'field', dataset: { for: k } }, el('span', null, t(k)), ...input);
        const fields = {
            assign: [field('target', target), field('coUnits', coInput, el('button', { type: 'button', onclick: addCo }, t('addCoUnit')), coList)],
            supervise: [field('deadline', deadline)],
            merge: [field('mergeInto', mergeInto)],
            follow_up: [field('satisfaction', satisfaction)],
        };
        const extra = el('div', { class: 'extra' });
        const showFields = () => replace(extra, fields[kind.value] || []);
        kind.addEventListener('change', () => { message.textContent = ''; showFields(); });
        showFields();
        const sendButton = el('button', { type: 'submit', class: 'primary' }, t('send'));
        let unsure = null; // {id, body} of a command whose answer was lost
        const form = el('form', { class: 'command-form' },
            el('datalist', { id: listId }, targets.map((x) => el('option', { value: x.name }))),
            el('datalist', { id: unitListId }, topo.units.map((u) => el('option', { value: u.name }))),
            field('command', kind), extra, field('reason', reason), sendButton, message);
        form.addEventListener('submit', async (e) => {
            e.preventDefault();
            const body = {
                request_id: '', kind: kind.value, reason: reason.value.trim(),
                target_unit: '', target_worker: '', co_units: [], deadline_ms: 0, merge_into: 0, satisfaction: 0,
            };
            if (!body.reason) { message.textContent = t('needReason'); reason.focus(); return; }
            if (body.kind === 'assign') {
                const x = byName.get(target.value.trim());
                if (!x) { message.textContent = t('unknownTarget'); target.focus(); return; }
                if (x.kind === 'worker') body.target_worker = x.id;
                else body.target_unit = x.id;
                body.co_units = coUnits.slice();
            } else if (body.kind === 'supervise') {
                body.deadline_ms = deadline.value ? fromWallInput(deadline.value) || 0 : 0;
            } else if (body.kind === 'merge') {
                body.merge_into = parseInt(mergeInto.value, 10) || 0;
            } else if (body.kind === 'follow_up') {
                body.satisfaction = parseInt(satisfaction.value, 10);
            }
            // A fresh request id for each command; the same one again only when
            // the same command is sent again after an answer that never came
            // (network, busy), so the server answers it as it was, never twice.
            const same = JSON.stringify({ ...body, request_id: '' });
            body.request_id = unsure && unsure.body === same ? unsure.id : requestId();
            unsure = null;
            sendButton.disabled = true;
            message.className = 'message';
            message.textContent = t('sending');
            try {
                await api.command(inc.incident_id, body);
                message.textContent = t('done');
                reason.value = '';
                this.onChanged();
                this.refresh();
            } catch (err) {
                if (err.status === 0 || err.status === 503) unsure = { id: body.request_id, body: same };
                message.className = 'message error';
                message.textContent = err.words ? err.words() : String(err);
            } finally {
                sendButton.disabled = false;
            }
        });
        return el('section', { class: 'commands' }, el('h3', null, t('commands')), form);
    }
}
