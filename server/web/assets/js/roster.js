// roster: units and workers with duty, presence and load; and a grid's share
// of it for the map's popup.

import { api } from './api.js';
import { el, replace } from './dom.js';
import { t, label } from './i18n.js';

export class Roster {
    constructor(topo) {
        this.topo = topo;
        this.entries = [];
        this.byId = new Map();
        this.message = el('p', { class: 'message' });
        this.body = el('tbody');
        this.node = el('section', { class: 'roster-view' }, this.message, el('div', { class: 'table-wrap' },
            el('table', { class: 'roster' },
                el('thead', null, el('tr', null, el('th', null, t('rosterName')), el('th', null, t('rosterKind')),
                    el('th', null, t('rosterPlace')), el('th', null, t('rosterDuty')), el('th', null, t('rosterPresence')),
                    el('th', { class: 'num' }, t('rosterLoad')))),
                this.body)));
    }

    async refresh() {
        let entries = [];
        try {
            let cursor;
            for (let i = 0; i < 50; i++) {
                const r = await api.roster({ cursor });
                entries = entries.concat(r.roster || []);
                if (!r.more || !r.cursor) break;
                cursor = r.cursor;
            }
        } catch (e) {
            this.message.className = 'message error';
            this.message.textContent = e.words ? e.words() : String(e);
            return;
        }
        this.message.textContent = '';
        this.entries = entries;
        this.byId = new Map(entries.map((x) => [x.id, x]));
        this.render();
    }

    duty(x) {
        // A unit has no duty or presence of its own: a dash, not an empty cell.
        if (x.kind !== 'worker') return ['—', ''];
        return [x.on_duty ? t('onDuty') : t('offDuty'), x.present ? t('present') : t('absent')];
    }

    load(x) { return x.capacity ? `${x.load || 0} / ${x.capacity}` : String(x.load || 0); }

    render() {
        replace(this.body, this.entries.map((x) => {
            const [duty, presence] = this.duty(x);
            return el('tr', { class: x.kind === 'worker' && !x.present ? 'absent' : '' },
                el('td', null, this.topo.name(x.id)), el('td', null, label('kindNames', x.kind)),
                el('td', null, this.topo.name(x.territory)), el('td', null, duty),
                el('td', null, presence ? el('span', { class: x.present ? 'dot on' : 'dot off' }, presence) : '—'),
                el('td', { class: 'num' }, this.load(x)));
        }));
    }

    // The map's popup for a grid: its workers with duty, presence and load, and its open incidents.
    gridInfo(gridId, openIncidents, onOpen) {
        const grid = this.topo.grids.get(gridId);
        const workers = this.topo.workersOfGrid(gridId);
        const here = openIncidents.filter((i) => i.territory === gridId);
        return el('div', { class: 'grid-info' },
            el('h3', null, grid ? grid.name : gridId),
            el('div', { class: 'muted' }, `${this.topo.name(grid && grid.village)} · ${this.topo.name(grid && grid.town)}`),
            el('h4', null, t('workers')),
            workers.length ? el('ul', null, workers.map((w) => {
                const x = this.byId.get(w.id);
                return el('li', null, el('span', { class: x && x.present ? 'dot on' : 'dot off' }), w.name,
                    x ? ` · ${x.on_duty ? t('onDuty') : t('offDuty')} · ${x.present ? t('present') : t('absent')} · ${t('rosterLoad')} ${this.load(x)}` : '');
            })) : el('p', null, t('noWorkers')),
            el('h4', null, `${t('openHere')} (${here.length})`),
            here.length ? el('ul', null, here.map((i) => el('li', null,
                el('a', { href: `#incident/${i.incident_id}`, onclick: (e) => { e.preventDefault(); onOpen(i.incident_id); } },
                    `${label('severities', i.severity)} · ${i.title || ''}`)))) : el('p', null, t('none')));
    }
}
