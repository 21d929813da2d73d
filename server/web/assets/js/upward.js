// upward: an incident's reports upward (重大情况报告, docs/upward.md) in its
// panel — to which platform, why, whether it acknowledged, how many attempts,
// the last answer — from GET /api/v1/upward/deliveries. An incident never
// reported upward shows nothing.

import { call, query } from './api.js';
import { el, dateTime } from './dom.js';
import { t } from './i18n.js';

// Why it was reported (upward_deliveries.rule), in the person's words.
function ruleWords(rule, topo) {
    const [kind, ...rest] = String(rule || '').split(':');
    const value = rest.join(':');
    if (kind === 'grade') return `${t('upwardByGrade')} ${value}`;
    if (kind === 'category') return `${t('upwardByCategory')} ${topo.category(value)}`;
    if (kind === 'keyword') return `${t('upwardByKeyword')}“${value}”`;
    return rule || '—';
}

function stateWords(d) {
    if (d.state === 'acknowledged') return `${t('upwardAcknowledged')} ${dateTime(d.acknowledged_at_ms)}`;
    return `${t('upwardPending')}（${t('upwardNext')} ${dateTime(d.next_attempt_at_ms)}）`;
}

// The section for incident `id`, or null when it has no deliveries (or they
// could not be read: the timeline still shows every attempt).
export async function upwardSection(id, topo) {
    let doc;
    try {
        doc = await call('GET', `/api/v1/upward/deliveries${query({ incident: id })}`);
    } catch (e) {
        return null;
    }
    const list = (doc && doc.deliveries) || [];
    if (!list.length) return null;
    const heads = ['upwardReceiver', 'upwardRule', 'upwardState', 'upwardAttempts', 'upwardLast'];
    return el('section', { class: 'upward' },
        el('h3', null, t('upwardTitle')),
        el('table', { class: 'upward-deliveries' },
            el('thead', null, el('tr', null, heads.map((k) => el('th', null, t(k))))),
            el('tbody', null, list.map((d) => el('tr', { class: `upward-${d.state}` },
                el('td', null, d.receiver),
                el('td', null, ruleWords(d.rule, topo)),
                el('td', null, stateWords(d)),
                el('td', { class: 'num' }, String(d.attempts)),
                el('td', null, d.last_status ? `HTTP ${d.last_status}` : (d.last_error || '—')))))));
}
