// How much CPU other processes took while we measured (Linux /proc). On a shared 2-core
// machine a build running elsewhere can halve a target's figures; the benchmark waits for
// quiet before a round and repeats a round that others disturbed.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { treePids } from './processTree.mjs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux build Node supports
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function systemTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  const idle = fields[3] + fields[4];
  let total = 0;
  for (let i = 0; i < 8 && i < fields.length; i++) total += fields[i];
  return { busy: total - idle, total };
}

function ownTicks() {
  let ticks = 0;
  for (const pid of treePids(process.pid)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[11], [12]: utime, stime; [13], [14]: waited-for children's
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // exited while we looked
    }
  }
  return ticks;
}

/** Starts a window; `end()` returns the cores used by processes outside our tree during it. */
export function foreignLoad() {
  const s0 = systemTicks();
  const o0 = ownTicks();
  const t0 = performance.now();
  return {
    end() {
      const s1 = systemTicks();
      const o1 = ownTicks();
      const seconds = (performance.now() - t0) / 1000;
      if (seconds <= 0) return 0;
      const foreign = s1.busy - s0.busy - (o1 - o0);
      return Math.max(0, foreign / TICKS_PER_SECOND / seconds);
    },
  };
}

/** Waits (up to `maxMs`) until others use under `cores` over a second; returns the ms waited and the last load seen. */
export async function waitForQuiet(cores, maxMs) {
  const started = performance.now();
  for (;;) {
    const window = foreignLoad();
    await sleep(1000);
    const load = window.end();
    if (load < cores || performance.now() - started >= maxMs) return { waitedMs: performance.now() - started - 1000, load };
  }
}

export const CORES = cpus().length;
