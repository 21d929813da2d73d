// mediation: a dispute's mediation (矛盾纠纷调解, docs/mediation.md) — the panel
// on the incident (parties, mediators or a committee, sessions, the end and
// its clock; forms to open, add a session, record the agreement with a photo
// of the signed agreement, or record the failure and where it goes), and the
// worklist tab. Every step is a command on the incident
// (POST /api/v1/incidents/ID/commands); the reads are /api/v1/mediation/….

import { call, query } from './api.js';
import { el, replace, select, dateTime, requestId, wallInput, fromWallInput } from './dom.js';
import { currentLang } from './i18n.js';
import { countdown, isOpen } from './board.js';

const texts = {
    zh: {
        tab: '调解', title: '矛盾纠纷调解', none: '尚未调解', open: '调解中', ended: '调解结束',
        agreed: '达成协议', failed: '调解不成', parties: '当事人', applicant: '申请人', respondent: '被申请人',
        name: '姓名', role: '身份', phone: '电话', addParty: '添加当事人', remove: '删除',
        committee: '调解委员会', noCommittee: '（不指定）', mediators: '调解员', openedAt: '受理调解',
        due: '调解期限', overdue: '已超期', sessions: '调解过程', noSessions: '尚无调解记录',
        sessionAt: '时间', place: '地点', attendees: '参加人员', attendeesHint: '姓名，以逗号或顿号分隔',
        outcome: '情况', agreement: '调解协议', agreementPhoto: '签字协议照片', transferredTo: '移交',
        note: '说明', start: '开始调解', addSession: '记录调解', agree: '达成协议', fail: '调解不成',
        send: '提交', sending: '提交中…', done: '已提交', needNote: '请填写说明',
        needParties: '至少一名申请人和一名被申请人，均须填写姓名', needWho: '请选择调解委员会或调解员',
        needAgreement: '请填写协议内容', needPlace: '请填写地点和参加人员', badPhoto: '照片只收 JPEG 或 PNG',
        court: '法院', arbitration: '仲裁机构', petition_office: '信访部门', other: '其他部门',
        worklist: '调解工作台', stateOpen: '调解中', stateEnded: '已结束', incident: '事件', town: '街镇',
        result: '结果', viewerNote: '当前角色只能查看调解', closedNote: '事件已办结，不能再开始调解',
        endedAt: '结束时间', loading: '加载中…', empty: '没有调解案件', recordedBy: '记录人',
        dueOrResult: '调解期限 / 结果',
        success: '调解成功率', byTown: '按街镇', byCommittee: '按调解委员会', byMediator: '按调解员',
        lastDays: '近 {n} 天', opened: '受理', endedN: '结束', agreedN: '成功', failedN: '不成',
        openN: '在调', overdueN: '超期', rate: '成功率', group: '名称', noGroup: '（未指定）',
        successNote: '成功率 = 达成协议 ÷ 已结束；按受理调解的时间统计',
        reveal: '查看完整电话', revealing: '查询中…', revealNote: '查看完整电话将被记录（账号、时间、来源）',
        revealedNote: '已显示完整电话，本次查看已记录',
    },
    en: {
        tab: 'Mediation', title: 'Dispute mediation', none: 'Not mediated', open: 'In mediation',
        ended: 'Mediation ended', agreed: 'Agreement', failed: 'No agreement', parties: 'Parties',
        applicant: 'Applicant', respondent: 'Respondent', name: 'Name', role: 'Role', phone: 'Phone',
        addParty: 'Add a party', remove: 'Remove', committee: 'Committee', noCommittee: '(none)',
        mediators: 'Mediators', openedAt: 'Opened', due: 'Due', overdue: 'Overdue', sessions: 'Sessions',
        noSessions: 'No session yet', sessionAt: 'When', place: 'Where', attendees: 'Attended',
        attendeesHint: 'names, separated by commas', outcome: 'Outcome', agreement: 'Agreement',
        agreementPhoto: 'Photo of the signed agreement', transferredTo: 'Transferred to', note: 'Note',
        start: 'Open a mediation', addSession: 'Record a session', agree: 'Agreement reached',
        fail: 'Mediation failed', send: 'Send', sending: 'Sending…', done: 'Done', needNote: 'A note is required',
        needParties: 'At least one applicant and one respondent, each with a name',
        needWho: 'Choose a committee or mediators', needAgreement: 'The agreement\'s text is required',
        needPlace: 'Where, and who attended', badPhoto: 'Photos are JPEG or PNG only',
        court: 'Court', arbitration: 'Arbitration', petition_office: 'Petition office', other: 'Another body',
        worklist: 'Mediation worklist', stateOpen: 'In mediation', stateEnded: 'Ended', incident: 'Incident',
        town: 'Town', result: 'Result', viewerNote: 'Your role reads the mediation only',
        closedNote: 'The incident is concluded: no mediation can start', endedAt: 'Ended',
        loading: 'Loading…', empty: 'No mediation', recordedBy: 'Recorded by',
        dueOrResult: 'Due / result',
        success: 'Mediation success', byTown: 'by town', byCommittee: 'by committee', byMediator: 'by mediator',
        lastDays: 'last {n} days', opened: 'Opened', endedN: 'Ended', agreedN: 'Agreed', failedN: 'Failed',
        openN: 'Open', overdueN: 'Overdue', rate: 'Success', group: 'Name', noGroup: '(none)',
        successNote: 'success = agreements ÷ ended mediations, of those opened in the period',
        reveal: 'Show full phone numbers', revealing: 'Asking…',
        revealNote: 'Seeing the full numbers is recorded (account, time, address)',
        revealedNote: 'Full numbers shown; this look is recorded',
    },
};

export function mt(key) {
    const table = texts[currentLang()] || texts.zh;
    return table[key] !== undefined ? table[key] : texts.zh[key] !== undefined ? texts.zh[key] : key;
}

const TRANSFERS = ['court', 'arbitration', 'petition_office', 'other'];
const splitNames = (s) => s.split(/[,，、;；\n]/).map((x) => x.trim()).filter(Boolean);
const words = (e) => (e && e.words ? e.words() : String(e));

let directory = null; // the committees and mediators this account may name (one read per page)
async function loadDirectory() {
    if (!directory) directory = await call('GET', '/api/v1/mediation/directory');
    return directory;
}

function readPhoto(file) {
    return new Promise((resolve, reject) => {
        if (file.type !== 'image/jpeg' && file.type !== 'image/png') { reject(new Error(mt('badPhoto'))); return; }
        const r = new FileReader();
        r.onload = () => resolve({ name: file.name.slice(0, 100), content_type: file.type, data: String(r.result).split(',')[1] || '' });
        r.onerror = () => reject(new Error(mt('badPhoto')));
        r.readAsDataURL(file);
    });
}

function partyList(parties) {
    return el('ul', { class: 'med-parties' }, parties.map((p) => el('li', null,
        el('span', { class: `med-side med-${p.side}` }, mt(p.side)), ' ', el('strong', null, p.name),
        p.role ? ` · ${p.role}` : '', p.phone ? el('span', { class: 'med-phone' }, ` ${p.phone}`) : null)));
}

function who(m) {
    const names = (m.mediators || []).map((x) => x.name).join('、');
    return [m.committee_name, names].filter(Boolean).join(' · ') || '—';
}

function endText(m) {
    if (m.outcome === 'agreed') return mt('agreed');
    if (m.outcome === 'failed') return `${mt('failed')} → ${mt(m.transferred_to)}`;
    return '';
}

export class MediationPanel {
    constructor(session, { onChanged }) {
        this.session = session;
        this.onChanged = onChanged;
        this.node = el('section', { class: 'mediation' });
        this.incidentId = 0;
        this.formKey = '';
        this.forms = null;
    }

    async show(inc) {
        const id = inc.incident_id;
        if (String(id) !== String(this.incidentId)) { this.incidentId = id; this.formKey = ''; this.revealed = null; replace(this.node); }
        const gen = this.generation = (this.generation || 0) + 1;
        let doc;
        try {
            doc = await call('GET', `/api/v1/mediation/cases/${encodeURIComponent(id)}`);
        } catch (e) {
            replace(this.node, el('h3', null, mt('title')), el('p', { class: 'error' }, words(e)));
            return;
        }
        if (String(id) !== String(this.incidentId) || gen !== this.generation) return;
        this.render(inc, doc.mediation);
    }

    render(inc, m) {
        const state = m ? m.state : 'none';
        // Disputes are mediated; another incident shows its mediation only if it has one.
        if (!m && !/^dispute/.test(inc.category || '')) { replace(this.node); this.forms = null; this.formKey = ''; return; }
        // Phones revealed for this incident stay shown across live refreshes
        // (which read them masked) rather than asking, and recording, again.
        const shown = m && this.revealed && String(this.revealed.id) === String(inc.incident_id) &&
            this.revealed.parties.length === (m.parties || []).length;
        if (shown) m = { ...m, parties: this.revealed.parties };
        const head = el('h3', null, mt('title'), ' ',
            el('span', { class: `mark med-state med-${state}` }, m ? (m.state === 'open' ? mt('open') : endText(m)) : mt('none')),
            m && m.overdue ? el('span', { class: 'mark overdue' }, mt('overdue')) : null);
        const row = (k, ...v) => el('tr', null, el('th', null, mt(k)), el('td', null, ...v));
        const facts = m ? el('table', { class: 'details med-details' }, el('tbody', null,
            row('parties', partyList(m.parties || []), this.revealControl(inc, m, shown)),
            row('mediators', who(m)),
            row('openedAt', dateTime(m.opened_at_ms), m.opened_by_name ? ` · ${m.opened_by_name}` : ''),
            m.state === 'open' ? row('due', dateTime(m.due_at_ms), ' ', countdown(m.due_at_ms)) : row('endedAt', dateTime(m.ended_at_ms)),
            m.note ? row('note', el('div', { class: 'reason' }, m.note)) : null,
            m.outcome === 'agreed' ? row('agreement', el('div', { class: 'med-agreement' }, m.agreement)) : null,
            (m.agreement_photos || []).length ? row('agreementPhoto', el('div', { class: 'attachments' }, m.agreement_photos.map((p) =>
                el('a', { class: 'attachment', href: `/api/v1/attachments/${p.id}`, target: '_blank', rel: 'noopener', title: p.name || mt('agreementPhoto') },
                    el('img', { class: 'thumb', src: `/api/v1/attachments/${p.id}`, alt: p.name || mt('agreementPhoto'), loading: 'lazy', width: '96' }))))) : null,
            m.outcome === 'failed' ? row('transferredTo', mt(m.transferred_to), m.end_note ? el('div', { class: 'reason' }, m.end_note) : null) : null)) : null;
        const sessions = m ? el('div', { class: 'med-sessions' }, el('h4', null, mt('sessions')),
            (m.sessions || []).length ? el('ol', { class: 'med-session-list' }, m.sessions.map((s) => el('li', null,
                el('time', null, dateTime(s.held_at_ms)), ' ', el('strong', null, s.place), ' ',
                el('span', { class: 'actor' }, (s.attendees || []).join('、')),
                el('div', { class: 'reason' }, s.note)))) : el('p', { class: 'note' }, mt('noSessions'))) : null;
        // A live refresh keeps a half-typed form unless the steps allowed change.
        const key = `${inc.incident_id}:${state}:${isOpen(inc)}`;
        if (key !== this.formKey || !this.forms) {
            this.formKey = key;
            this.forms = this.stepForms(inc, m);
        }
        replace(this.node, head, facts, sessions, this.forms);
    }

    // "查看完整电话": for who mediates, when a party has a phone. The look is
    // asked on purpose (?reveal=1) and the server records it; the page says so.
    revealControl(inc, m, shown) {
        if (this.session.role !== 'operator' && this.session.role !== 'supervisor') return null;
        if (!(m.parties || []).some((p) => p.phone)) return null;
        if (shown) return el('p', { class: 'note med-revealed' }, mt('revealedNote'));
        const message = el('span', { class: 'message', role: 'status' });
        const button = el('button', { type: 'button', class: 'med-reveal', title: mt('revealNote') }, mt('reveal'));
        button.addEventListener('click', async () => {
            button.disabled = true;
            button.textContent = mt('revealing');
            try {
                const doc = await call('GET', `/api/v1/mediation/cases/${encodeURIComponent(inc.incident_id)}?reveal=1`);
                if (String(inc.incident_id) !== String(this.incidentId)) return;
                if (doc.mediation) this.revealed = { id: inc.incident_id, parties: doc.mediation.parties || [] };
                this.render(inc, doc.mediation);
            } catch (e) {
                button.disabled = false;
                button.textContent = mt('reveal');
                message.textContent = words(e);
                message.className = 'message error';
            }
        });
        return el('div', { class: 'med-reveal-row' }, button, ' ', el('span', { class: 'note' }, mt('revealNote')), ' ', message);
    }

    stepForms(inc, m) {
        // Operators and supervisors mediate (docs/mediation.md); the others read.
        if (this.session.role !== 'operator' && this.session.role !== 'supervisor') return el('p', { class: 'note' }, mt('viewerNote'));
        if (m && m.state === 'ended') return null;
        if (!isOpen(inc)) return m ? null : el('p', { class: 'note' }, mt('closedNote'));
        if (!m) return this.openForm(inc);
        const kind = select({ 'aria-label': mt('outcome'), class: 'med-step' },
            [['mediation_session', mt('addSession')], ['mediation_agree', mt('agree')], ['mediation_fail', mt('fail')]], 'mediation_session');
        const extra = el('div', { class: 'extra' });
        const field = (k, ...input) => el('label', { class: 'field' }, el('span', null, mt(k)), ...input);
        const at = el('input', { type: 'datetime-local', value: wallInput(Date.now()), name: 'session_at' });
        at.defaultValue = at.value; // what a reset of the form comes back to
        const place = el('input', { type: 'text', maxlength: '500', name: 'place' });
        const attendees = el('input', { type: 'text', placeholder: mt('attendeesHint'), name: 'attendees' });
        const agreement = el('textarea', { rows: '4', maxlength: '8000', name: 'agreement' });
        const photo = el('input', { type: 'file', accept: 'image/jpeg,image/png', name: 'photo' });
        const transfer = select({ name: 'transferred_to' }, TRANSFERS.map((x) => [x, mt(x)]), 'court');
        const parts = {
            mediation_session: [field('sessionAt', at), field('place', place), field('attendees', attendees)],
            mediation_agree: [field('agreement', agreement), field('agreementPhoto', photo)],
            mediation_fail: [field('transferredTo', transfer)],
        };
        const showParts = () => replace(extra, parts[kind.value]);
        kind.addEventListener('change', showParts);
        showParts();
        const note = el('textarea', { rows: '2', maxlength: '2000', name: 'note' });
        return this.form(inc, [field('outcome', kind), extra, field('note', note)], async () => {
            const body = { kind: kind.value, reason: note.value.trim(), mediation: {} };
            if (!body.reason) throw new Error(mt('needNote'));
            if (body.kind === 'mediation_session') {
                const names = splitNames(attendees.value);
                if (!place.value.trim() || !names.length) throw new Error(mt('needPlace'));
                body.mediation = { session_at_ms: fromWallInput(at.value) || Date.now(), place: place.value.trim(), attendees: names };
            } else if (body.kind === 'mediation_agree') {
                if (!agreement.value.trim()) throw new Error(mt('needAgreement'));
                body.mediation = { agreement: agreement.value.trim() };
                if (photo.files && photo.files[0]) body.mediation.photos = [await readPhoto(photo.files[0])];
            } else {
                body.mediation = { transferred_to: transfer.value };
            }
            return body;
        });
    }

    openForm(inc) {
        const field = (k, ...input) => el('label', { class: 'field' }, el('span', null, mt(k)), ...input);
        const rows = el('div', { class: 'med-party-rows' });
        const addRow = (side) => {
            const r = el('div', { class: 'med-party-row' },
                select({ 'aria-label': mt('parties'), name: 'side' }, [['applicant', mt('applicant')], ['respondent', mt('respondent')]], side),
                el('input', { type: 'text', placeholder: mt('name'), maxlength: '100', name: 'party_name' }),
                el('input', { type: 'text', placeholder: mt('role'), maxlength: '100', name: 'party_role' }),
                el('input', { type: 'tel', placeholder: mt('phone'), maxlength: '24', name: 'party_phone' }),
                el('button', { type: 'button', class: 'small', onclick: () => r.remove() }, mt('remove')));
            rows.appendChild(r);
        };
        addRow('applicant');
        addRow('respondent');
        const committee = select({ name: 'committee' }, [['', mt('noCommittee')]], '');
        const people = el('div', { class: 'med-mediators' });
        loadDirectory().then((d) => {
            for (const c of d.committees || []) committee.appendChild(el('option', { value: c.id }, `${c.name}（${c.serves_name}）`));
            replace(people, (d.committees || []).flatMap((c) => (c.mediators || []).map((x) =>
                el('label', { class: 'med-mediator' }, el('input', { type: 'checkbox', value: x.id, name: 'mediator' }), ` ${x.name}`))));
        }).catch(() => {});
        const note = el('textarea', { rows: '2', maxlength: '2000', name: 'note' });
        return this.form(inc, [
            field('parties', rows, el('button', { type: 'button', class: 'small', onclick: () => addRow('respondent') }, mt('addParty'))),
            field('committee', committee), field('mediators', people), field('note', note)], async () => {
            const parties = Array.from(rows.children).map((r) => ({
                side: r.querySelector('[name=side]').value,
                name: r.querySelector('[name=party_name]').value.trim(),
                role: r.querySelector('[name=party_role]').value.trim(),
                phone: r.querySelector('[name=party_phone]').value.trim(),
            }));
            if (parties.some((p) => !p.name) || !parties.some((p) => p.side === 'applicant') || !parties.some((p) => p.side === 'respondent')) {
                throw new Error(mt('needParties'));
            }
            const mediators = Array.from(people.querySelectorAll('input:checked')).map((x) => x.value);
            if (!committee.value && !mediators.length) throw new Error(mt('needWho'));
            const reason = note.value.trim();
            if (!reason) throw new Error(mt('needNote'));
            return { kind: 'mediation_open', reason, mediation: { parties, committee: committee.value, mediators } };
        }, mt('start'));
    }

    // A form whose `build` makes the command's body (or throws the words to
    // show); sent with a fresh request id, the same one again only after an
    // answer that never came.
    form(inc, fields, build, title) {
        const message = el('p', { class: 'message', role: 'status' });
        const send = el('button', { type: 'submit', class: 'primary' }, mt('send'));
        let unsure = null;
        const f = el('form', { class: 'command-form med-form' }, title ? el('h4', null, title) : null, ...fields, send, message);
        f.addEventListener('submit', async (e) => {
            e.preventDefault();
            message.className = 'message';
            let body;
            try {
                body = await build();
            } catch (err) {
                message.className = 'message error';
                message.textContent = err.message;
                return;
            }
            const same = JSON.stringify(body);
            body.request_id = unsure && unsure.body === same ? unsure.id : requestId();
            unsure = null;
            send.disabled = true;
            message.textContent = mt('sending');
            try {
                await call('POST', `/api/v1/incidents/${encodeURIComponent(inc.incident_id)}/commands`, body);
                message.textContent = mt('done');
                // Emptied for the next step, not rebuilt: a live refresh that
                // came first has drawn the panel already.
                f.reset();
                this.onChanged();
            } catch (err) {
                if (err.status === 0 || err.status === 503) unsure = { id: body.request_id, body: same };
                message.className = 'message error';
                message.textContent = words(err);
            } finally {
                send.disabled = false;
            }
        });
        return el('section', { class: 'commands' }, f);
    }
}

// The worklist tab: open mediations (most urgent due first) or ended ones.
export class MediationList {
    constructor({ onOpen }) {
        this.onOpen = onOpen;
        this.state = select({ 'aria-label': mt('worklist'), class: 'med-filter' },
            [['open', mt('stateOpen')], ['ended', mt('stateEnded')]], 'open');
        this.state.addEventListener('change', () => this.refresh());
        this.message = el('p', { class: 'message' });
        this.body = el('tbody');
        this.by = select({ 'aria-label': mt('success'), class: 'med-by' },
            [['town', mt('byTown')], ['committee', mt('byCommittee')], ['mediator', mt('byMediator')]], 'town');
        this.days = select({ 'aria-label': mt('success'), class: 'med-days' },
            [7, 30, 90, 365].map((n) => [String(n), mt('lastDays').replace('{n}', n)]), '30');
        this.by.addEventListener('change', () => this.refreshStats());
        this.days.addEventListener('change', () => this.refreshStats());
        this.statsBody = el('tbody');
        this.statsMessage = el('p', { class: 'message' });
        const heads = ['opened', 'endedN', 'agreedN', 'failedN', 'openN', 'overdueN', 'rate'];
        this.node = el('section', { class: 'mediation-view' },
            el('div', { class: 'filters' }, this.state), this.message,
            el('div', { class: 'table-wrap' }, el('table', { class: 'med-list' },
                el('thead', null, el('tr', null, el('th', null, mt('incident')), el('th', null, mt('town')),
                    el('th', null, mt('parties')), el('th', null, mt('mediators')), el('th', null, mt('sessions')),
                    el('th', null, mt('dueOrResult')))),
                this.body)),
            el('h3', { class: 'med-success-title' }, mt('success')),
            el('div', { class: 'filters' }, this.by, this.days), this.statsMessage,
            el('table', { class: 'med-success' },
                el('thead', null, el('tr', null, el('th', null, mt('group')),
                    heads.map((h) => el('th', { class: 'num' }, mt(h))))),
                this.statsBody),
            el('p', { class: 'note' }, mt('successNote')));
    }

    async refreshStats() {
        const to = Date.now() + 60000;
        const from = to - parseInt(this.days.value, 10) * 86400000;
        let rows;
        try {
            rows = await call('GET', `/api/v1/mediation/stats${query({ from_ms: from, to_ms: to, by: this.by.value })}`);
        } catch (e) {
            this.statsMessage.className = 'message error';
            this.statsMessage.textContent = words(e);
            return;
        }
        this.statsMessage.className = 'message';
        this.statsMessage.textContent = rows.length ? '' : mt('empty');
        const pct = (x) => (x === null || x === undefined ? '—' : `${Math.round(x * 100)}%`);
        replace(this.statsBody, rows.map((r) => el('tr', null,
            el('td', null, r.name || r.grp || mt('noGroup')),
            [r.opened, r.ended, r.agreed, r.failed, r.open_now, r.overdue].map((n) => el('td', { class: 'num' }, String(n))),
            el('td', { class: 'num' }, pct(r.success)))));
    }

    async refresh() {
        this.refreshStats();
        let list;
        try {
            list = await call('GET', `/api/v1/mediation/cases${query({ state: this.state.value })}`);
        } catch (e) {
            this.message.className = 'message error';
            this.message.textContent = words(e);
            return;
        }
        this.message.className = 'message';
        this.message.textContent = list.length ? '' : mt('empty');
        replace(this.body, list.map((m) => el('tr', { class: m.overdue ? 'overdue' : '', onclick: () => this.onOpen(m.incident_id), tabindex: '0' },
            el('td', null, `#${m.incident_id} `, m.title || ''),
            el('td', { class: 'name' }, m.town_name || '—'),
            el('td', null, (m.parties || []).map((p) => `${mt(p.side)} ${p.name}${p.phone ? ` ${p.phone}` : ''}`).join('；')),
            el('td', { class: 'name' }, who(m)),
            el('td', { class: 'num' }, String((m.sessions || []).length)),
            el('td', null, m.state === 'open'
                ? [dateTime(m.due_at_ms), ' ', countdown(m.due_at_ms), m.overdue ? el('span', { class: 'mark overdue' }, mt('overdue')) : null]
                : endText(m)))));
    }
}
