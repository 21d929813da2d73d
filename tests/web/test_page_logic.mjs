// The web console page's pure logic, outside a browser (node): outlines of
// villages and towns from their grids, the next limit of an incident, the
// coalescing of live refetches, countdown text, and that every text of the
// page exists in both languages. The page itself is tested in Chromium
// (tests/browser).
//
// node test_page_logic.mjs SOURCE_DIR WEB_ROOT
// WEB_ROOT: the build's web root (build/web), the pages as served, with the
// files written at build time (js/vocabulary.js).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { copyOfPages, test, finish, assertBothLanguages } from './harness.mjs';

const src = process.argv[2];
const load = copyOfPages(process.argv[3], 'js');

const { Topology } = await load('topology.js');
const { nextLimit, isOpen } = await load('board.js');
const { coalesce, duration, setTimeZone, dateTime, dayInput, dayStart, wallInput, fromWallInput } = await load('dom.js');
const { tables } = await load('i18n.js');
const { TIERS, LINES } = await load('vocabulary.js');

// The demo district as GET /api/v1/topology gives it ([lat, lng] rings).
function demoTopology() {
    const t = JSON.parse(readFileSync(join(src, 'examples/westlake-topology.json'), 'utf8'));
    const workers = [];
    const towns = t.towns.map((town) => ({
        id: town.id, name: town.name,
        villages: town.villages.map((v) => ({
            id: v.id, name: v.name,
            grids: v.grids.map((g) => {
                for (const w of g.workers || []) workers.push({ id: w.id, name: w.name, grid: g.id });
                return { id: g.id, name: g.name, ring: g.polygon.map(([lng, lat]) => [lat, lng]) };
            }),
        })),
    }));
    return { district: { id: t.district.id, name: t.district.name }, towns, units: [], workers, categories: t.categories, tile_url: '' };
}

await test('outline: the edge two grids share is not part of the outline', () => {
    const a = [[0, 0], [0, 1], [1, 1], [1, 0]];
    const b = [[0, 1], [0, 2], [1, 2], [1, 1]]; // shares (0,1)-(1,1) with a, listed the other way round
    const segs = Topology.outline([a, b]);
    assert.equal(segs.length, 6);
    const shared = segs.filter(([p, q]) => p[1] === 1 && q[1] === 1);
    assert.equal(shared.length, 0);
});

await test('outline: a lone grid is its own outline; a degenerate ring adds nothing', () => {
    assert.equal(Topology.outline([[[0, 0], [0, 1], [1, 1]]]).length, 3);
    assert.equal(Topology.outline([[[0, 0]], [], null]).length, 0);
});

await test('the demo district: names for every place, an outline for every village and town', () => {
    const topo = new Topology(demoTopology());
    assert.ok(topo.grids.size > 0);
    for (const g of topo.grids.values()) assert.notEqual(topo.name(g.id), g.id);
    for (const v of topo.villageOutlines()) assert.ok(v.segments.length >= 3, v.id);
    for (const town of topo.townOutlines()) {
        const all = town.segments.length;
        const edges = topo.towns.find((x) => x.id === town.id).villages.flatMap((v) => v.grids).reduce((n, g) => n + g.ring.length, 0);
        assert.ok(all >= 3 && all < edges, `${town.id}: ${all} outline edges of ${edges}`);
    }
    const inc = { territory: [...topo.grids.keys()][0], town: topo.towns[0].id };
    const p = topo.point(inc);
    assert.ok(p && p.approx && p.lat > 29 && p.lat < 31 && p.lng > 119 && p.lng < 121);
    assert.deepEqual(topo.point({ location: { lat: 30.1, lng: 120.2 } }), { lat: 30.1, lng: 120.2, approx: false });
});

await test('a worker is chosen by name, with or without the grid', () => {
    const topo = new Topology(demoTopology());
    const w = topo.workers[0];
    const x = topo.targets().find((t) => t.id === w.id);
    assert.ok(x.aliases.includes(w.name));
    assert.ok(x.aliases.includes(`${w.name}（${topo.name(w.grid)}）`));
});

await test('next limit: acknowledge, then conclude, a supervision reply when sooner; none when closed or suspended', () => {
    const base = { state: 'assigned', acknowledge_due_ms: 1000, conclude_due_ms: 5000 };
    assert.deepEqual(nextLimit({ ...base, assignment: 'assigned' }), { ms: 1000, what: 'ackDue' });
    assert.deepEqual(nextLimit({ ...base, assignment: 'acknowledged' }), { ms: 5000, what: 'concludeDue' });
    assert.deepEqual(nextLimit({ ...base, assignment: 'acknowledged', supervision_due_ms: 3000 }), { ms: 3000, what: 'supervisionDue' });
    assert.equal(nextLimit({ ...base, state: 'concluded', assignment: 'acknowledged' }), null);
    // Suspended (中止): its clocks stand still, no limit runs.
    assert.equal(nextLimit({ ...base, assignment: 'assigned', suspended_at_ms: 500 }), null);
    assert.ok(isOpen({ state: 'unroutable' }) && !isOpen({ state: 'merged' }));
});

await test('coalesce: a burst costs one call at once and one after the quiet time', async () => {
    let calls = 0;
    const run = coalesce(() => { calls++; }, 100);
    for (let i = 0; i < 50; i++) run();
    assert.equal(calls, 1);
    // The folded call comes after the quiet time; wait for it (bounded generously).
    for (let waited = 0; calls < 2 && waited < 10000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    assert.equal(calls, 2);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(calls, 2);
});

await test('countdown text', () => {
    assert.equal(duration(0), '00:00:00');
    assert.equal(duration(3723000), '01:02:03');
    assert.equal(duration(-3723000), '01:02:03');
    assert.equal(duration(90061000), '1天 01:01:01'); // the day in the page's language (Chinese first)
});

await test('times in the district zone, not the browser zone', () => {
    // 2026-10-01 00:30 UTC: already 08:30 of October 1st in China, still
    // September 30th at -03:30.
    const at = Date.UTC(2026, 9, 1, 0, 30);
    assert.equal(dateTime(at), '2026-10-01 08:30'); // +08:00 before any answer
    assert.equal(dayInput(Date.UTC(2026, 8, 30, 16, 0)), '2026-10-01');
    assert.equal(dayStart('2026-10-01'), Date.UTC(2026, 8, 30, 16, 0));
    assert.equal(fromWallInput(wallInput(at)), at);
    setTimeZone('-03:30');
    assert.equal(dateTime(at), '2026-09-30 21:00');
    assert.equal(dayStart('2026-10-01'), Date.UTC(2026, 9, 1, 3, 30));
    setTimeZone('nonsense'); // ignored: the zone stays
    assert.equal(dateTime(at), '2026-09-30 21:00');
    setTimeZone('+08:00');
    assert.equal(dateTime(0), '—');
});

await test('every text of the page exists in Chinese and in English', () => {
    assertBothLanguages(tables);
    for (const sev of ['i', 'ii', 'iii', 'iv']) assert.ok(tables.zh.severities[sev]);
    assert.equal(tables.zh.severities.i, '特别重大');
    assert.equal(tables.zh.severities.iv, '一般');
});

await test('the tiers and lines are the server\'s, each labelled in both languages', () => {
    // Written from server/core/taxonomy.h at build time: the page has no table of its own.
    assert.deepEqual(TIERS, ['village', 'town', 'district']);
    assert.deepEqual(LINES, ['governance', 'market', 'enforcement', 'services']);
    for (const lang of ['zh', 'en']) {
        for (const x of TIERS) assert.ok(tables[lang].tiers[x], `${lang} tier ${x}`);
        for (const x of LINES) assert.ok(tables[lang].lines[x], `${lang} line ${x}`);
    }
});

finish();
