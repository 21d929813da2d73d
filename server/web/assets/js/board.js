// board: the open incidents, most urgent first (the server's order), with
// filters, search (concluded included), paging and CSV of what is shown.

import { api, boardCsvUrl } from './api.js';
import { el, replace, select, duration } from './dom.js';
import { t, label } from './i18n.js';
// Written at build time from the server's own names (server/web/webroot.cmake).
import { TIERS, LINES } from './vocabulary.js';

const SEVERITIES = ['i', 'ii', 'iii', 'iv'];
const ASSIGNMENT_STATES = ['assigned', 'acknowledged', 'extension_requested', 'returned'];
const PAGE = 100;

// Open: assigned (held by someone) or unroutable (waiting for the command
// center); concluded and merged ones are closed.
export function isOpen(inc) { return !inc.state || inc.state === 'assigned' || inc.state === 'unroutable' || inc.state === 'open'; }

// The limit an incident runs against next: acknowledging while unacknowledged,
// then concluding; a supervision order's reply when that comes first.
export function nextLimit(inc) {
    // Suspended (中止): its clocks stand still; no limit runs.
    if (!isOpen(inc) || inc.suspended_at_ms) return null;
    const due = [];
    if (inc.assignment === 'assigned' && inc.acknowledge_due_ms) due.push({ ms: inc.acknowledge_due_ms, what: 'ackDue' });
    else if (inc.conclude_due_ms) due.push({ ms: inc.conclude_due_ms, what: 'concludeDue' });
    if (inc.supervision_due_ms) due.push({ ms: inc.supervision_due_ms, what: 'supervisionDue' });
    if (!due.length) return null;
    due.sort((a, b) => a.ms - b.ms);
    return due[0];
}

// The 已中止 mark of a suspended incident, its reason as the tooltip.
export function suspendedMark(inc) {
    return inc.suspended_at_ms
        ? el('span', { class: 'mark suspended', title: inc.suspend_reason || '' }, t('suspended'))
        : null;
}

// A live countdown cell: the page's one-second ticker (app.js) updates every
// element with class "countdown" from its data-due.
export function countdown(ms, what) {
    const node = el('span', { class: 'countdown', dataset: { due: String(ms) }, title: what ? t(what) : null });
    updateCountdown(node, Date.now());
    return node;
}

// Left (or late) against the limit in data-due; amber in its last hour, red once passed.
export function updateCountdown(node, now) {
    const left = Number(node.dataset.due) - now;
    const text = left >= 0 ? t('remaining', { t: duration(left) }) : t('late', { t: duration(left) });
    if (node.textContent !== text) node.textContent = text;
    node.classList.toggle('late', left < 0);
    node.classList.toggle('soon', left >= 0 && left < 3600000);
}

export function stateLabel(inc) {
    if (inc.state && inc.state !== 'assigned' && inc.state !== 'open') return label('states', inc.state);
    if (!inc.assignment) return label('states', 'open');
    return label('states', inc.assignment || 'open');
}

export class Board {
    constructor(topo, { onOpen, onLoaded }) {
        this.topo = topo;
        this.onOpen = onOpen;
        this.onLoaded = onLoaded;
        this.filters = { town: '', line: '', tier: '', assignment: '', severity: '', overdue: false, supervised: false };
        this.q = '';
        this.incidents = [];
        this.cursor = '';
        this.more = false;
        this.pages = 1;
        this.selected = -1;
        this.generation = 0;
        this.build();
    }

    params() {
        if (this.q) return { q: this.q };
        return { ...this.filters };
    }

    build() {
        const f = this.filters;
        const change = (key) => (e) => {
            f[key] = e.target.type === 'checkbox' ? e.target.checked : e.target.value;
            this.pages = 1;
            this.refresh();
        };
        const towns = [['', t('allTowns')], ...this.topo.towns.map((x) => [x.id, x.name])];
        this.searchInput = el('input', {
            type: 'search', class: 'search', placeholder: t('searchPlaceholder'), 'aria-label': t('search'),
            onkeydown: (e) => { if (e.key === 'Enter') this.search(e.target.value); },
        });
        this.csvLink = el('a', { class: 'button', href: boardCsvUrl(this.params()), download: 'board.csv' }, t('csv'));
        this.filterBar = el('div', { class: 'filters' },
            select({ onchange: change('town'), 'aria-label': t('colPlace') }, towns, f.town),
            select({ onchange: change('line'), 'aria-label': t('line') }, [['', t('allLines')], ...LINES.map((x) => [x, label('lines', x)])], f.line),
            select({ onchange: change('tier'), 'aria-label': t('tier') }, [['', t('allTiers')], ...TIERS.map((x) => [x, label('tiers', x)])], f.tier),
            select({ onchange: change('assignment'), 'aria-label': t('colState') }, [['', t('allStates')], ...ASSIGNMENT_STATES.map((x) => [x, label('states', x)])], f.assignment),
            select({ onchange: change('severity'), 'aria-label': t('severity') }, [['', t('allSeverities')], ...SEVERITIES.map((x) => [x, label('severities', x)])], f.severity),
            el('label', { class: 'check' }, el('input', { type: 'checkbox', checked: f.overdue, onchange: change('overdue') }), t('overdueOnly')),
            el('label', { class: 'check' }, el('input', { type: 'checkbox', checked: f.supervised, onchange: change('supervised') }), t('supervisedOnly')));
        this.searchBar = el('div', { class: 'searchbar' }, this.searchInput,
            el('button', { type: 'button', onclick: () => this.search(this.searchInput.value) }, t('search')),
            el('button', { type: 'button', onclick: () => { this.searchInput.value = ''; this.search(''); } }, t('clear')),
            this.csvLink);
        this.caption = el('div', { class: 'caption' });
        this.body = el('tbody');
        this.table = el('table', { class: 'board' },
            el('thead', null, el('tr', null,
                el('th', { class: 'c-sev' }, t('colSeverity')), el('th', { class: 'c-title' }, `${t('colTitle')} / ${t('colPlace')}`),
                el('th', { class: 'c-cat' }, t('colCategory')),
                el('th', { class: 'c-holder' }, t('colHolder')), el('th', { class: 'c-state' }, t('colState')),
                el('th', { class: 'c-due' }, t('colDue')), el('th', { class: 'c-marks' }, t('colMarks')))),
            this.body);
        this.moreButton = el('button', { type: 'button', class: 'more', onclick: () => { this.pages++; this.refresh(); } }, t('more'));
        this.node = el('section', { class: 'board-view' }, this.searchBar, this.filterBar, this.caption,
            el('div', { class: 'table-wrap' }, this.table), this.moreButton);
    }

    search(text) {
        this.q = text.trim();
        this.pages = 1;
        this.filterBar.classList.toggle('disabled', !!this.q);
        this.refresh();
    }

    focusSearch() { this.searchInput.focus(); this.searchInput.select(); }

    // Fetches the pages shown so far again (after a live item or a filter change).
    async refresh() {
        const gen = ++this.generation;
        const params = this.params();
        this.csvLink.href = boardCsvUrl(params);
        let incidents = [];
        let cursor = '';
        let more = false;
        let status = '';
        try {
            for (let page = 0; page < this.pages; page++) {
                const r = await api.board({ ...params, limit: PAGE, cursor: cursor || undefined });
                incidents = incidents.concat(r.incidents || []);
                cursor = r.cursor || '';
                more = !!r.more;
                status = r.routing_status || '';
                if (!more) break;
            }
        } catch (e) {
            if (gen === this.generation) replace(this.caption, el('span', { class: 'error' }, e.words ? e.words() : String(e)));
            return;
        }
        if (gen !== this.generation) return; // a newer refresh is under way
        this.incidents = incidents;
        this.more = more;
        this.render();
        this.onLoaded(incidents, status, !this.q);
    }

    render() {
        const rows = this.incidents.map((inc, i) => this.row(inc, i));
        replace(this.body, rows.length ? rows : el('tr', null, el('td', { colspan: '7', class: 'empty' }, t('noIncidents'))));
        replace(this.caption, this.countText());
        this.moreButton.hidden = !this.more;
        if (this.selected >= this.incidents.length) this.selected = -1;
        this.highlight();
    }

    // What the number above the table counts, in words: the open incidents
    // (those matching the filters, when any is set) or the search's results,
    // and, while the server has further pages (keyset paging: no total is
    // known), that these are the ones loaded so far.
    countText() {
        const n = this.incidents.length;
        const filtered = Object.values(this.filters).some((v) => v);
        const key = this.q ? 'countSearch' : filtered ? 'countFiltered' : 'countOpen';
        return t(this.more ? `${key}More` : key, { n });
    }

    row(inc, i) {
        const limit = nextLimit(inc);
        const marks = el('td', { class: 'c-marks' },
            inc.overdue ? el('span', { class: 'mark overdue' }, t('overdue')) : null,
            inc.supervision_due_ms ? el('span', { class: 'mark supervised' }, t('supervised')) : null,
            suspendedMark(inc));
        return el('tr', {
            class: `sev-row sev-${inc.severity || 'unspecified'}${inc.overdue ? ' is-overdue' : ''}`,
            tabindex: '0',
            dataset: { index: String(i) },
            onclick: () => { this.selected = i; this.highlight(); this.onOpen(inc.incident_id); },
            onkeydown: (e) => { if (e.key === 'Enter') this.onOpen(inc.incident_id); },
        },
        el('td', { class: 'c-sev', title: label('severities', inc.severity) },
            el('span', { class: `sev-badge sev-${inc.severity || 'unspecified'}` }, label('severitiesShort', inc.severity))),
        // The title, and under it the number and the place (town · territory): the
        // widest column carries what an operator reads first.
        el('td', { class: 'c-title', title: `${inc.title || ''}\n${this.topo.place(inc)}` },
            el('div', { class: 'title-line' }, inc.title),
            el('div', { class: 'place-line' }, el('span', { class: 'inc-id' }, `#${inc.incident_id}`), ` · ${this.topo.place(inc)}`)),
        el('td', { class: 'c-cat' }, el('div', { class: 'clamp2' }, this.topo.category(inc.category))),
        el('td', { class: 'c-holder', title: this.topo.holder(inc) }, el('div', { class: 'clamp2' }, this.topo.holder(inc))),
        el('td', { class: 'c-state' }, el('div', { class: 'clamp2' }, stateLabel(inc))),
        el('td', { class: 'c-due' }, limit ? countdown(limit.ms, limit.what)
            : inc.suspended_at_ms && isOpen(inc) ? el('span', { class: 'paused' }, t('paused')) : '—'),
        marks);
    }

    // j/k (or arrows) move the selection, Enter opens it.
    move(delta) {
        if (!this.incidents.length) return;
        this.selected = Math.max(0, Math.min(this.incidents.length - 1, this.selected + delta));
        this.highlight();
        const row = this.body.children[this.selected];
        if (row) { row.focus(); row.scrollIntoView({ block: 'nearest' }); }
    }

    openSelected() {
        const inc = this.incidents[this.selected];
        if (inc) this.onOpen(inc.incident_id);
    }

    highlight() {
        for (const row of this.body.children) row.classList.toggle('selected', row.dataset.index === String(this.selected));
    }
}
