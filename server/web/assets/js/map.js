// map: the jurisdiction on Leaflet — grids, village and town outlines, open
// incidents by severity and state (clustered when zoomed out), a grid's
// workers and open incidents on click. No tile server unless topology.tile_url.

import { el } from './dom.js';
import { label } from './i18n.js';
import { isOpen } from './board.js';

const L = window.L;

export function markerIcon(inc) {
    const cls = ['inc-marker', `sev-${inc.severity || 'unspecified'}`, `st-${inc.assignment || inc.state || 'open'}`];
    if (inc.overdue) cls.push('overdue');
    if (inc.supervision_due_ms) cls.push('supervised');
    return L.divIcon({ className: cls.join(' '), iconSize: [18, 18], iconAnchor: [9, 9] });
}

const RANK = { i: 1, ii: 2, iii: 3, iv: 4 };

// A cluster takes the colour of the gravest incident in it (not the plugin's
// count colours, which would read as severities), ringed red if any is overdue.
function clusterIcon(cluster) {
    let worst = 'unspecified';
    let overdue = false;
    for (const m of cluster.getAllChildMarkers()) {
        const s = m.options.severity;
        if (RANK[s] && (!RANK[worst] || RANK[s] < RANK[worst])) worst = s;
        if (m.options.overdue) overdue = true;
    }
    const n = cluster.getChildCount();
    const size = n < 10 ? 30 : n < 100 ? 36 : 44;
    return L.divIcon({
        html: el('span', null, String(n)),
        className: `marker-cluster inc-cluster sev-${worst}${overdue ? ' overdue' : ''}`,
        iconSize: [size, size],
    });
}

function baseLayer(map, topo) {
    if (topo.tileUrl) L.tileLayer(topo.tileUrl, { maxZoom: 19 }).addTo(map);
}

export class DistrictMap {
    // onOpen(id): open an incident; gridInfo(gridId) → element for the grid's popup.
    constructor(container, topo, { onOpen, gridInfo }) {
        this.topo = topo;
        this.onOpen = onOpen;
        this.map = L.map(container, { zoomControl: true, attributionControl: false, minZoom: 9, maxZoom: 19 });
        // The view first: Leaflet's renderers need one before shapes are added.
        const bounds = L.latLngBounds([]);
        for (const g of topo.grids.values()) for (const p of g.ring || []) bounds.extend(p);
        if (bounds.isValid()) this.map.fitBounds(bounds, { padding: [20, 20] });
        else this.map.setView([30.25, 120.13], 12);
        baseLayer(this.map, topo);
        this.gridLayer = L.layerGroup().addTo(this.map);
        for (const g of topo.grids.values()) {
            if (!g.ring || g.ring.length < 3) continue;
            const poly = L.polygon(g.ring, { className: 'grid-shape', weight: 1, fillOpacity: 0.12 });
            poly.bindTooltip(el('span', null, g.name), { sticky: true, className: 'grid-tip' });
            poly.bindPopup(() => gridInfo(g.id), { maxWidth: 360, minWidth: 260, autoPanPadding: [40, 40] });
            poly.addTo(this.gridLayer);
        }
        for (const v of topo.villageOutlines()) {
            if (v.segments.length) L.polyline(v.segments, { className: 'village-line', weight: 2, interactive: false }).addTo(this.map);
        }
        for (const town of topo.townOutlines()) {
            if (!town.segments.length) continue;
            L.polyline(town.segments, { className: 'town-line', weight: 3.5, interactive: false }).addTo(this.map);
            const c = topo.centre(town.id);
            if (c) {
                L.tooltip({ permanent: true, direction: 'top', offset: [0, -14], className: 'town-label', interactive: false })
                    .setLatLng([c.lat, c.lng])
                    .setContent(el('span', null, town.name))
                    .addTo(this.map);
            }
        }
        this.clusters = L.markerClusterGroup({
            iconCreateFunction: clusterIcon,
            maxClusterRadius: 45,
            disableClusteringAtZoom: 16,
            showCoverageOnHover: false,
            spiderfyOnMaxZoom: true,
        });
        this.clusters.addTo(this.map);
        this.bounds = bounds;
    }

    // The open incidents (a board's list) as markers.
    setIncidents(incidents) {
        const markers = [];
        for (const inc of incidents) {
            if (!isOpen(inc)) continue;
            const p = this.topo.point(inc);
            if (!p) continue;
            const m = L.marker([p.lat, p.lng], {
                icon: markerIcon(inc),
                severity: inc.severity,
                overdue: !!inc.overdue,
                title: `${label('severities', inc.severity)} · ${inc.title || ''}`,
                keyboard: true,
            });
            m.on('click', () => this.onOpen(inc.incident_id));
            markers.push(m);
        }
        this.clusters.clearLayers();
        this.clusters.addLayers(markers);
    }

    invalidate() { this.map.invalidateSize(); }
}

// The small map of one incident's place in the incident panel.
export class PlaceMap {
    constructor(container, topo) {
        this.topo = topo;
        this.map = L.map(container, { zoomControl: false, attributionControl: false, dragging: true, scrollWheelZoom: false });
        this.map.setView([30.25, 120.13], 12);
        baseLayer(this.map, topo);
        for (const g of topo.grids.values()) {
            if (g.ring && g.ring.length >= 3) L.polygon(g.ring, { className: 'grid-shape', weight: 1, fillOpacity: 0.08, interactive: false }).addTo(this.map);
        }
        for (const town of topo.townOutlines()) {
            if (town.segments.length) L.polyline(town.segments, { className: 'town-line', weight: 2.5, interactive: false }).addTo(this.map);
        }
        this.marker = null;
    }

    show(inc) {
        // After the panel is laid out: the map measures its box when it fits the view.
        requestAnimationFrame(() => this.place(inc));
    }

    place(inc) {
        const p = this.topo.point(inc);
        if (this.marker) this.marker.remove();
        this.marker = null;
        this.map.invalidateSize();
        if (!p) {
            this.map.setView([30.25, 120.13], 11);
            return;
        }
        this.marker = L.marker([p.lat, p.lng], { icon: markerIcon(inc), interactive: false }).addTo(this.map);
        const grid = this.topo.grids.get(inc.territory);
        if (grid && grid.ring && grid.ring.length >= 3) this.map.fitBounds(L.polygon(grid.ring).getBounds(), { maxZoom: 16, padding: [30, 30] });
        else this.map.setView([p.lat, p.lng], 15);
    }

    remove() { this.map.remove(); }
}

