// stats: the meeting figures (docs/statistics.md) for a period and grouping
// chosen on the page, as a table and a Chart.js bar chart, with CSV download.

import { api, statsCsvUrl } from './api.js';
import { el, replace, select, dayInput, dayStart } from './dom.js';
import { t, label } from './i18n.js';
import { LINES } from './vocabulary.js';

const CHARTED = ['received', 'concluded', 'overdue'];
const COLOURS = { received: '#3b6fb6', concluded: '#2e8b57', overdue: '#c62828' };

// Shares and means as the server gives them, but not to fifteen places.
function cell(v) {
    if (v === null || v === undefined) return '';
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
        this.table = el('table', { class: 'stats' });
        this.chart = null;
        this.node = el('section', { class: 'stats-view' },
            el('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); this.refresh(); } },
                el('label', null, t('statsFrom'), ' ', this.from), el('label', null, t('statsTo'), ' ', this.to),
                el('label', null, t('statsBy'), ' ', this.by), el('button', { type: 'submit', class: 'primary' }, t('show')), this.csv),
            this.message, el('div', { class: 'chart-box' }, this.canvas), el('div', { class: 'table-wrap' }, this.table));
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
        const groupCol = 0;
        replace(this.table,
            el('thead', null, el('tr', null, columns.map((c, i) => el('th', { class: i === groupCol ? '' : 'num', title: c },
                label('statColumns', i === groupCol ? p.by : c))))),
            el('tbody', null, rows.length ? rows.map((r) => el('tr', null, r.map((v, i) => el('td', { class: i === groupCol ? '' : 'num' },
                i === groupCol ? this.groupName(p.by, v) : cell(v))))) :
                el('tr', null, el('td', { colspan: String(columns.length || 1), class: 'empty' }, t('noRows')))));
        this.draw(columns, rows, p.by);
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
