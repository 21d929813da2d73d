// harness: what the node tests of the pages' logic share — the pages'
// modules loaded from a copy, one test after another with its failure
// shown, the end (exit 1 on a failure), and the check that a page's text
// tables have every text in both languages.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';

let dir = null;
let failures = 0;

// The page's modules are ES modules named .js: node reads them from a copy
// of SOURCE_DIR/sub with a package.json saying so (the pages need none).
// Returns load(name), a module of the copy.
export function copyOfPages(src, sub) {
    dir = mkdtempSync(join(tmpdir(), 'fq-page-'));
    cpSync(join(src, sub), dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    return (name) => import(pathToFileURL(join(dir, name)).href);
}

export async function test(name, fn) {
    try {
        await fn();
        console.log(`ok   ${name}`);
    } catch (e) {
        failures++;
        console.log(`FAIL ${name}\n${e.stack}`);
    }
}

// Removes the copy; exits 1 when a test failed.
export function finish() {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (failures) {
        console.log(`${failures} failed`);
        process.exit(1);
    }
}

// Every key of `tables.zh` (nested ones as a.b) is in `tables.en`, and back.
export function assertBothLanguages(tables) {
    const keys = (o, prefix = '') => Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
    const zh = new Set(keys(tables.zh));
    const en = new Set(keys(tables.en));
    assert.deepEqual([...zh].filter((k) => !en.has(k)), []);
    assert.deepEqual([...en].filter((k) => !zh.has(k)), []);
}
