// @ts-check
import { readdirSync, readFileSync } from "node:fs";

// Linux reports process times in clock ticks; USER_HZ is 100 on every Linux this runs on.
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system, all threads) used so far by the workerd processes this bench
 * started (Miniflare spawns workerd as a direct child). Read from `/proc/<pid>/stat`; where
 * there is no `/proc` or no such process, null.
 *
 * Unlike req/s, this does not move when the load generator, the receiver or another process
 * takes the cores: it counts only what workerd did — every Worker in it (Roster, the floors, the
 * local queue's broker), and local D1's SQLite, which runs inside workerd.
 * @returns {number | null}
 */
export function workerdCpuSeconds() {
  let entries;
  try {
    entries = readdirSync("/proc");
  } catch {
    return null;
  }
  let ticks = 0;
  let found = false;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid … utime stime: comm may hold spaces, so split after its ")".
    const commEnd = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, commEnd);
    const fields = stat.slice(commEnd + 2).split(" ");
    if (comm !== "workerd" || Number(fields[1]) !== process.pid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
    found = true;
  }
  return found ? ticks / TICKS_PER_SECOND : null;
}
