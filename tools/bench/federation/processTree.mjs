// Starting a target in its own process group, reading the RSS of its whole tree from /proc,
// and making sure nothing it started outlives the benchmark (Linux only, like the RSS figures).
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';

const live = new Set();

/** Spawns `command args` detached (its own process group); stdout is dropped, stderr goes to `logFile`. */
export function spawnTarget(command, args, { env, cwd, logFile }) {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'ignore', fd] });
    live.add(child);
    child.once('exit', () => live.delete(child));
    return child;
  } finally {
    closeSync(fd);
  }
}

/** pid -> parent pid for every process now running. */
function parents() {
  const map = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...; comm may hold spaces and parentheses
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') map.set(Number(name), Number(fields[1]));
    } catch {
      // exited while we looked
    }
  }
  return map;
}

/** The pid and every live descendant. */
export function treePids(pid) {
  const map = parents();
  if (!map.has(pid)) return [];
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const [child, parent] of map) if (parent === out[i]) out.push(child);
  }
  return out;
}

function rssBytes(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** RSS of the process itself and of it with all its descendants, in bytes. */
export function treeRss(pid) {
  const pids = treePids(pid);
  let total = 0;
  for (const p of pids) total += rssBytes(p);
  return { own: rssBytes(pid), total, processes: pids.length };
}

function signal(pids, pgid, sig) {
  try {
    process.kill(-pgid, sig);
  } catch {
    // group already gone
  }
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM to the group and every descendant (even ones that left the group), SIGKILL after `graceMs`. */
export async function killTree(child, graceMs = 2000) {
  if (child.pid === undefined) return;
  const pids = treePids(child.pid);
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve));
  signal(pids, child.pid, 'SIGTERM');
  const deadline = performance.now() + graceMs;
  const alive = () => pids.filter((p) => parents().has(p));
  while (alive().length > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const rest = alive();
  if (rest.length > 0) signal(rest, child.pid, 'SIGKILL');
  await exited;
  live.delete(child);
}

/** Last resort on exit or a signal: SIGKILL whatever is still running. Synchronous. */
export function killAllNow() {
  for (const child of live) {
    if (child.pid !== undefined) signal(treePids(child.pid), child.pid, 'SIGKILL');
  }
  live.clear();
}
