// stats: the meeting figures (docs/statistics.md) for a period and grouping
// chosen on the page, as a table and a Chart.js bar chart, with CSV download.

import { api, statsCsvUrl } from './api.js';
import { el, replace, select, dayInput, dayStart } from './dom.js';
import { t, label } from './i18n.js';
import { LINES } from './vocabulary.js';

const CHARTED = ['received', 'concluded', 'overdue'];
const COLOURS = { received: '#3b6fb6', concluded: '#2e8b57', overdue: '#c62828' };

// The table's columns in three tables, each with the group's name first, so
// that each fits the side pane of a 1366-wide screen without scrolling
// sideways (docs/web-console.md): the cases, the times, the backlog and the
// suspensions. A column the server adds that is named in none goes last.
const PARTS = [
    ['statsCases', ['received', 'acknowledged', 'acknowledged_on_time', 'concluded', 'concluded_on_time',
        'overdue', 'returned', 'redone', 'escalated', 'village_share']],
    ['statsTimes', ['ack_mean_s', 'ack_p90_s', 'conclude_mean_s', 'conclude_p90_s']],
    ['statsBacklog', ['pending_over_1d', 'pending_over_3d', 'pending_over_7d', 'pending_over_30d',
        'suspended', 'suspended_now', 'suspended_mean_s']],
];

// Seconds as an operator reads them: 45 秒, 12 分钟, 3.4 小时, 2.5 天.
function seconds(v) {
    const s = Number(v);
    if (!Number.isFinite(s)) return String(v);
    const one = (x) => (x < 10 ? x.toFixed(1).replace(/\.0$/, '') : String(Math.round(x)));
    if (s < 59.5) return t('unitS', { n: Math.round(s) });
    if (s < 3570) return t('unitMin', { n: one(s / 60) });
    if (s < 48 * 3600) return t('unitH', { n: one(s / 3600) });
    return t('unitD', { n: one(s / 86400) });
}

// A figure as shown: durations with their unit, the village share as a
// percentage, other shares and means not to fifteen places.
function cell(column, v) {
    if (v === null || v === undefined || v === '') return '—'; // nothing to measure (no case concluded…)
    if (/_s$/.test(column)) return seconds(v);
    if (column === 'village_share') return `${Math.round(Number(v) * 100)}%`;
    if (typeof v === 'number' && !Number.isInteger(v)) return v.toFixed(Math.abs(v) < 10 ? 2 : 0);
    return String(v);
}

export class Stats {
    constructor(topo) {
        this.topo = topo;
        const today = Date.now();
        const monthAgo = today - 30 * 86400000;
        this.from = el('input', { type: 'date', value: dayInput(monthAgo) });
        this.to = el('input', { type: 'date', value: dayInput(today) });
        this.by = select(null, [['town', t('byTown')], ['line', t('byLine')], ['unit', t('byUnit')], ['worker', t('byWorker')], ['district', t('byDistrict')]], 'town');
        this.csv = el('a', { class: 'button', download: 'statistics.csv' }, t('csv'));
        this.message = el('p', { class: 'message' });
        this.canvas = el('canvas');
        this.tables = el('div', { class: 'stats-tables' });
        this.chart = null;
        this.node = el('section', { class: 'stats-view' },
            el('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); this.refresh(); } },
                el('label', null, t('statsFrom'), ' ', this.from), el('label', null, t('statsTo'), ' ', this.to),
                el('label', null, t('statsBy'), ' ', this.by), el('button', { type: 'submit', class: 'primary' }, t('show')), this.csv),
            this.message, el('div', { class: 'chart-box' }, this.canvas), el('div', { class: 'table-wrap' }, this.tables));
        this.by.addEventListener('change', () => this.refresh());
        this.loaded = false;
    }

    params() {
        // The district's days, whatever the browser's zone.
        const from = dayStart(this.from.value);
        const to = dayStart(this.to.value) + 86400000; // through the end of the day
        return { from_ms: from, to_ms: to, by: this.by.value };
    }

    // A group's name: towns, units and workers by name, lines labelled.
    groupName(by, value) {
        if (value === null || value === undefined || value === '') return '—';
        if (by === 'line') {
            // The line may come as its name or as its number in the proto's enumeration
            // (Line: 0 unspecified, then the server's lines in order).
            const byNumber = ['', ...LINES];
            const name = typeof value === 'number' || /^\d+$/.test(value) ? byNumber[Number(value)] || String(value) : value;
            return label('lines', name);
        }
        return this.topo.name(String(value));
    }

    async refresh() {
        const p = this.params();
        this.csv.href = statsCsvUrl(p);
        this.message.textContent = t('loading');
        let doc;
        try {
            doc = await api.stats(p);
        } catch (e) {
            this.message.className = 'message error';
            this.message.textContent = e.words ? e.words() : String(e);
            return;
        }
        this.loaded = true;
        this.message.className = 'message';
        this.message.textContent = '';
        const columns = doc.columns || [];
        const rows = doc.rows || [];
        const named = new Set(PARTS.flatMap(([, cols]) => cols));
        const parts = PARTS.map(([title, cols]) => [title, cols.filter((c) => columns.includes(c))]);
        const others = columns.slice(1).filter((c) => !named.has(c));
        if (others.length) parts[parts.length - 1][1].push(...others);
        const shown = parts.filter(([, cols]) => cols.length);
        replace(this.tables, shown.length ? shown.map(([title, cols]) => this.part(title, cols, columns, rows, p.by))
            : el('p', { class: 'empty' }, t('noRows')));
        this.draw(columns, rows, p.by);
    }

    // One table: the group, then the columns named.
    part(title, cols, columns, rows, by) {
        const at = cols.map((c) => columns.indexOf(c));
        return el('section', { class: 'stats-part' },
            el('h3', null, t(title)),
            el('table', { class: 'stats' },
                el('thead', null, el('tr', null, el('th', { title: columns[0] || by }, label('statColumns', by)),
                    cols.map((c) => el('th', { class: 'num', title: c }, label('statColumns', c))))),
                el('tbody', null, rows.length ? rows.map((r) => el('tr', null, el('td', null, this.groupName(by, r[0])),
                    at.map((i, k) => el('td', { class: 'num', title: /_s$/.test(cols[k]) && r[i] !== null && r[i] !== undefined ? `${Math.round(Number(r[i]))} s` : null },
                        cell(cols[k], r[i]))))) :
                    el('tr', null, el('td', { colspan: String(cols.length + 1), class: 'empty' }, t('noRows'))))));
    }

    draw(columns, rows, by) {
        const Chart = window.Chart;
        if (!Chart) return;
        const labels = rows.map((r) => this.groupName(by, r[0]));
        const datasets = CHARTED.filter((c) => columns.includes(c)).map((c) => ({
            label: label('statColumns', c), backgroundColor: COLOURS[c], data: rows.map((r) => Number(r[columns.indexOf(c)]) || 0),
        }));
        if (this.chart) this.chart.destroy();
        this.chart = new Chart(this.canvas, {
            type: 'bar',
            data: { labels, datasets },
            options: {
                animation: false, responsive: true, maintainAspectRatio: false,
                scales: { y: { beginAtZero: true, grace: '5%', ticks: { precision: 0 } } },
                plugins: { legend: { position: 'top' } },
            },
        });
    }
}
