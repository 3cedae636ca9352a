/**
 * What another process costs, read from /proc (Linux): resident memory (VmRSS now, VmHWM the
 * kernel's high-water mark) and CPU seconds (utime + stime, all threads). A sampler reads VmRSS
 * every 100 ms and keeps the maximum, since VmHWM only ever grows over the process's life.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export interface Memory {
  rssMb: number;
  hwmMb: number;
}

/** VmRSS and VmHWM in MB; undefined once the process is gone. */
export function readMemory(pid: number): Memory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system, all threads) the process has used; undefined once it is gone. */
export function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the name.
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return undefined;
  }
}

/** Samples VmRSS every `intervalMs` until stopped; reports the maximum seen and the last VmHWM. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private maxRss = 0;
  private hwm = 0;
  samples = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 100,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  private sample(): void {
    const memory = readMemory(this.pid);
    if (!memory) return;
    this.samples += 1;
    this.maxRss = Math.max(this.maxRss, memory.rssMb);
    this.hwm = Math.max(this.hwm, memory.hwmMb);
  }

  stop(): Memory {
    clearInterval(this.timer);
    this.sample();
    return { rssMb: this.maxRss, hwmMb: this.hwm };
  }
}
