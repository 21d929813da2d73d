// app: the web console's page — sign-in, then the map beside the board (with
// statistics and roster tabs), the incident panel, alerts and the live feed.

import { api, setCsrf, onSignedOut, rememberSignedIn, maybeSignedIn } from './api.js';
import { el, replace, coalesce, dateTime, zoneName } from './dom.js';
import { t } from './i18n.js';
import { signInForm, languageButton } from './signin.js';
import { Topology } from './topology.js';
import { DistrictMap } from './map.js';
import { Board, updateCountdown } from './board.js';
import { IncidentPanel } from './incident.js';
import { Alerts } from './alerts.js';
import { Stats } from './stats.js';
import { Roster } from './roster.js';
import { MediationList } from './mediation.js';
import { LiveFeed } from './live.js';
import { FrontDesk } from './frontdesk.js';
import { Judgment } from './judgment.js';

const root = document.getElementById('app');
const REFETCH_MS = 300; // at most one refetch per view in this time; a burst of items costs one
let console_ = null;

document.title = t('appTitle');

// ---- sign-in ----

function showSignIn(notice) {
    if (console_) { console_.stop(); console_ = null; }
    setCsrf('');
    rememberSignedIn(false);
    const { form, account } = signInForm({
        words: t, notice,
        login: (name, password) => api.login(name, password),
        onSession: (session) => start(session),
        otherWords: (err) => (err.words ? err.words() : String(err)),
    });
    replace(root, el('main', { class: 'signin-page' }, form));
    account.focus();
}

onSignedOut(() => showSignIn(t('sessionEnded')));

// ---- the console ----

class Console {
    constructor(session, topo) {
        this.session = session;
        this.topo = topo;
        this.openIncidents = [];
        this.firstBoard = true;
        this.alerts = new Alerts({ onOpen: (id) => this.openIncident(id) });
        this.board = new Board(topo, {
            onOpen: (id) => this.openIncident(id),
            onLoaded: (incidents, status) => this.setRoutingStatus(status),
        });
        this.panel = new IncidentPanel(topo, session, {
            onClose: () => { if (location.hash.startsWith('#incident/')) history.replaceState(null, '', location.pathname); },
            onChanged: () => { this.refreshBoard(); this.refreshMap(); },
        });
        this.stats = new Stats(topo);
        this.roster = new Roster(topo);
        // The front desk (综合受理, docs/front-desk.md): a receptionist's first tab.
        this.frontdesk = session.role === 'receptionist' ? new FrontDesk(topo, session, { onOpen: (id) => this.openIncident(id) }) : null;
        this.mediationList = new MediationList({ onOpen: (id) => this.openIncident(id) });
        this.judgment = new Judgment({ onOpen: (id) => this.openIncident(id), alerts: this.alerts });
        // A refetch folded into the end of a quiet time may come due after sign-out: it is dropped.
        const live = (fn) => coalesce(() => { if (!this.stopped) fn(); }, REFETCH_MS);
        this.refreshBoard = live(() => this.board.refresh());
        this.refreshMap = live(() => this.loadMap());
        this.refreshIncident = live(() => this.panel.refresh());
        this.refreshRoster = live(() => this.roster.refresh());
        this.build();
        this.feed = new LiveFeed({
            onItem: (item) => this.onItem(item),
            onState: (s) => this.setFeedState(s),
            onClosed: () => { api.session().catch((e) => { if (e.status === 401) showSignIn(t('sessionEnded')); }); },
            onFinding: (doc) => this.judgment.onFinding(doc),
        });
    }

    build() {
        const s = this.session;
        this.feedState = el('span', { class: 'feed-state connecting' }, t('feedConnecting'));
        this.routing = el('div', { class: 'routing-status', role: 'alert', hidden: true });
        this.muteButton = el('button', { type: 'button', onclick: () => this.toggleMute() });
        this.drawMute();
        const header = el('header', { class: 'topbar' },
            el('span', { class: 'brand' }, t('appTitle')),
            el('span', { class: 'jurisdiction' }, (s.jurisdiction && s.jurisdiction.name) || this.topo.district.name),
            this.feedState,
            el('span', { class: 'spacer' }),
            // The district's time now, with its zone: every time on the page is in it.
            this.clock = el('time', { class: 'clock' }),
            // The person by name; the account they signed in with as its tooltip.
            el('span', { class: 'who', title: s.account }, s.display_name || s.account),
            this.muteButton, languageButton(t('language')),
            el('button', { type: 'button', onclick: () => this.logout() }, t('logout')));
        this.mapBox = el('div', { class: 'map' });
        this.tabs = {};
        const tabBar = el('nav', { class: 'tabs', role: 'tablist' });
        const views = el('div', { class: 'views' });
        const tabList = [['board', this.board, 'tabBoard'], ['stats', this.stats, 'tabStats'], ['roster', this.roster, 'tabRoster'], ['judgment', this.judgment, 'tabJudgment'], ['mediation', this.mediationList, 'tabMediation']];
        if (this.frontdesk) tabList.unshift(['frontdesk', this.frontdesk, 'tabFrontDesk']);
        for (const [key, view, title] of tabList) {
            const button = el('button', { type: 'button', role: 'tab', onclick: () => this.showTab(key) }, t(title));
            tabBar.appendChild(button);
            views.appendChild(view.node);
            this.tabs[key] = { button, view };
        }
        this.node = el('div', { class: 'console' }, header, this.routing, this.alerts.node,
            el('div', { class: 'workspace' },
                el('div', { class: 'map-pane' }, this.mapBox, this.panel.node),
                el('div', { class: 'side' }, tabBar, views)));
        replace(root, this.node);
        this.map = new DistrictMap(this.mapBox, this.topo, {
            onOpen: (id) => this.openIncident(id),
            gridInfo: (gridId) => this.roster.gridInfo(gridId, this.openIncidents, (id) => this.openIncident(id)),
        });
        this.judgment.setMap(this.map.map);
        this.showTab(this.frontdesk ? 'frontdesk' : 'board');
    }

    begin() {
        this.feed.start();
        this.board.refresh();
        this.loadMap();
        this.roster.refresh();
        this.ticker = setInterval(() => this.tick(), 1000);
        this.tick();
        this.onKey = (e) => this.key(e);
        document.addEventListener('keydown', this.onKey);
        this.onHash = () => this.followHash();
        window.addEventListener('hashchange', this.onHash);
        window.addEventListener('resize', this.onResize = () => this.map.invalidate());
        this.followHash();
    }

    stop() {
        this.stopped = true;
        this.feed.stop();
        clearInterval(this.ticker);
        document.removeEventListener('keydown', this.onKey);
        window.removeEventListener('hashchange', this.onHash);
        window.removeEventListener('resize', this.onResize);
    }

    // Every open incident for the map (the board tab may show a filtered page or a search).
    async loadMap() {
        let r;
        try {
            r = await api.board({ limit: 2000 });
        } catch (e) {
            return;
        }
        this.openIncidents = r.incidents || [];
        this.map.setIncidents(this.openIncidents);
        this.alerts.fromBoard(this.openIncidents, this.firstBoard);
        this.firstBoard = false;
        this.setRoutingStatus(r.routing_status || '');
    }

    onItem(item) {
        this.alerts.fromItem(item);
        this.refreshBoard();
        this.refreshMap();
        this.refreshRoster();
        if (this.current === 'mediation') this.mediationList.refresh();
        if (this.panel.isOpenFor(item.incident_id)) this.refreshIncident();
    }

    openIncident(id) {
        if (!id) return;
        if (location.hash !== `#incident/${id}`) history.replaceState(null, '', `#incident/${id}`);
        this.panel.open(id);
    }

    followHash() {
        const m = /^#incident\/(\d+)$/.exec(location.hash);
        if (m && !this.panel.isOpenFor(m[1])) this.panel.open(m[1]);
    }

    showTab(key) {
        for (const [k, tab] of Object.entries(this.tabs)) {
            const on = k === key;
            tab.button.classList.toggle('active', on);
            tab.button.setAttribute('aria-selected', on ? 'true' : 'false');
            tab.view.node.hidden = !on;
        }
        this.current = key;
        if (key === 'stats' && !this.stats.loaded) this.stats.refresh();
        if (key === 'roster') this.roster.refresh();
        if (key === 'frontdesk') this.frontdesk.shown();
        if (key === 'mediation') this.mediationList.refresh();
        if (key === 'judgment' && !this.judgment.loaded) this.judgment.refresh();
    }

    setFeedState(state) {
        const words = { open: t('feedOpen'), connecting: t('feedConnecting'), closed: t('feedClosed') };
        this.feedState.className = `feed-state ${state}`;
        this.feedState.textContent = words[state] || state;
    }

    setRoutingStatus(status) {
        this.routing.hidden = !status;
        this.routing.textContent = status ? `${t('routingStatus')}：${status}` : '';
    }

    drawMute() {
        this.muteButton.textContent = this.alerts.muted ? t('unmute') : t('mute');
        this.muteButton.classList.toggle('active', this.alerts.muted);
    }

    toggleMute() {
        this.alerts.setMuted(!this.alerts.muted);
        this.drawMute();
    }

    // The countdowns: one tick a second for every live limit on the page.
    tick() {
        const now = Date.now();
        for (const node of document.querySelectorAll('.countdown')) updateCountdown(node, now);
        const text = `${dateTime(now)} ${zoneName()}`;
        if (this.clock.textContent !== text) {
            this.clock.textContent = text;
            this.clock.title = t('clockTitle', { zone: zoneName() });
        }
    }

    key(e) {
        const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName) || e.target.isContentEditable;
        if (e.key === 'Escape') {
            if (typing) { e.target.blur(); return; }
            if (!this.panel.node.hidden) this.panel.close();
            return;
        }
        if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
        if (e.key === '/') { e.preventDefault(); this.showTab('board'); this.board.focusSearch(); }
        else if (e.key === 'j' || e.key === 'ArrowDown') { if (this.current === 'board') { e.preventDefault(); this.board.move(1); } }
        else if (e.key === 'k' || e.key === 'ArrowUp') { if (this.current === 'board') { e.preventDefault(); this.board.move(-1); } }
        else if (e.key === 'Enter' && e.target === document.body) this.board.openSelected();
        else if (e.key === 'm') this.toggleMute();
        else if (e.key === '1') this.showTab('board');
        else if (e.key === '2') this.showTab('stats');
        else if (e.key === '3') this.showTab('roster');
        else if (e.key === '4') this.showTab('judgment');
        else if (e.key === '5') this.showTab('mediation');
    }

    async logout() {
        try { await api.logout(); } catch (e) { /* signed out either way */ }
        showSignIn('');
    }
}

async function start(session) {
    // A grid worker's account has the phone page, not the console (docs/phone.md).
    if (session.role === 'worker') { location.replace('/phone/'); return; }
    setCsrf(session.csrf);
    rememberSignedIn(true);
    replace(root, el('p', { class: 'boot' }, t('loading')));
    let topo;
    try {
        topo = new Topology(await api.topology());
    } catch (e) {
        if (e.status !== 401) replace(root, el('p', { class: 'boot error' }, e.words ? e.words() : String(e)));
        return;
    }
    console_ = new Console(session, topo);
    console_.begin();
}

async function boot() {
    if (!maybeSignedIn()) { showSignIn(''); return; }
    try {
        start(await api.session());
    } catch (e) {
        showSignIn(e.status === 401 || e.status === undefined ? '' : (e.words ? e.words() : String(e)));
    }
}

boot();
