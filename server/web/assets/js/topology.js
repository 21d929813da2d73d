// topology: names for ids, and the shapes the map draws, from GET /api/v1/topology.
// Everywhere a person reads, an id becomes its name here.

export class Topology {
    constructor(doc) {
        this.doc = doc;
        this.district = doc.district || { id: '', name: '' };
        this.towns = doc.towns || [];
        this.units = doc.units || [];
        this.workers = doc.workers || [];
        this.categories = doc.categories || [];
        this.tileUrl = doc.tile_url || '';
        this.names = new Map();  // any id (town, village, grid, unit, worker) → name
        this.placeTown = new Map();  // village or grid id → town id
        this.grids = new Map();  // grid id → {id, name, ring, village, town}
        this.categoryNames = new Map();
        this.names.set(this.district.id, this.district.name);
        for (const town of this.towns) {
            this.names.set(town.id, town.name);
            for (const v of town.villages || []) {
                this.names.set(v.id, v.name);
                this.placeTown.set(v.id, town.id);
                for (const g of v.grids || []) {
                    this.names.set(g.id, g.name);
                    this.placeTown.set(g.id, town.id);
                    this.grids.set(g.id, { ...g, village: v.id, town: town.id });
                }
            }
        }
        for (const u of this.units) this.names.set(u.id, u.name);
        for (const w of this.workers) this.names.set(w.id, w.name);
        for (const c of this.categories) this.categoryNames.set(c.code, c.name);
    }

    name(id) {
        if (!id) return '';
        return this.names.get(id) || id;
    }

    category(code) { return this.categoryNames.get(code) || code || ''; }

    // The incident's holder as a person reads it: the worker, else the lead unit.
    holder(inc) { return inc.worker ? this.name(inc.worker) : this.name(inc.lead_unit); }

    // Where the incident is: its town, then the territory inside it when finer.
    place(inc) {
        const town = this.name(inc.town);
        if (inc.territory && inc.territory !== inc.town) return `${town} · ${this.name(inc.territory)}`;
        return town;
    }

    workersOfGrid(gridId) { return this.workers.filter((w) => w.grid === gridId); }

    // The point an incident is drawn at: its report's point, else the middle of
    // its territory (a grid, or the grids of its village or town). approx tells which.
    point(inc) {
        if (inc.location && (inc.location.lat || inc.location.lng)) {
            return { lat: inc.location.lat, lng: inc.location.lng, approx: false };
        }
        const c = this.centre(inc.territory) || this.centre(inc.town);
        return c ? { ...c, approx: true } : null;
    }

    centre(placeId) {
        if (!placeId) return null;
        const rings = [];
        for (const g of this.grids.values()) {
            if (g.id === placeId || g.village === placeId || g.town === placeId) rings.push(g.ring);
        }
        let lat = 0;
        let lng = 0;
        let n = 0;
        for (const ring of rings) {
            for (const [a, b] of ring || []) {
                lat += a;
                lng += b;
                n++;
            }
        }
        return n ? { lat: lat / n, lng: lng / n } : null;
    }

    // The outline of a group of grids (a village or a town): every edge of their
    // rings, less the edges two grids of the group share. What is left are the
    // group's outer (and any inner) boundary segments, as [[p, q], ...].
    static outline(rings) {
        const key = (p) => `${p[0].toFixed(6)},${p[1].toFixed(6)}`;
        const edges = new Map();
        for (const ring of rings) {
            if (!ring || ring.length < 2) continue;
            for (let i = 0; i < ring.length; i++) {
                const p = ring[i];
                const q = ring[(i + 1) % ring.length];
                const kp = key(p);
                const kq = key(q);
                if (kp === kq) continue;
                const k = kp < kq ? `${kp}|${kq}` : `${kq}|${kp}`;
                const e = edges.get(k);
                if (e) e.count++;
                else edges.set(k, { count: 1, seg: [p, q] });
            }
        }
        const out = [];
        for (const e of edges.values()) if (e.count === 1) out.push(e.seg);
        return out;
    }

    villageOutlines() {
        const out = [];
        for (const town of this.towns) {
            for (const v of town.villages || []) {
                out.push({ id: v.id, name: v.name, segments: Topology.outline((v.grids || []).map((g) => g.ring)) });
            }
        }
        return out;
    }

    townOutlines() {
        return this.towns.map((town) => ({
            id: town.id,
            name: town.name,
            segments: Topology.outline((town.villages || []).flatMap((v) => (v.grids || []).map((g) => g.ring))),
        }));
    }

    // Every unit and worker a command can name, for the chooser by name.
    targets() {
        const out = [];
        for (const u of this.units) out.push({ id: u.id, name: u.name, kind: 'unit' });
        for (const w of this.workers) {
            // A worker's name with the grid, unless the name says it already (as the demo's do).
            const grid = this.name(w.grid);
            const name = grid && !w.name.includes(grid) ? `${w.name}（${grid}）` : w.name;
            // Also found as typed the other way: the plain name, or the name with its grid.
            out.push({ id: w.id, name, aliases: [w.name, `${w.name}（${grid}）`], kind: 'worker' });
        }
        return out;
    }
}
