/**
 * The cold-start, memory and CPU phases, run by `npm run bench` each in a process of its own (own-process.ts
 * says why) through `runPerformancePhase`, which keeps their arguments and results typed.
 */
import { fileURLToPath } from 'node:url';
import { measureColdStart } from './cold-start';
import { measureCpu } from './cpu';
import { measurePeakMemory } from './memory';
import { runInOwnProcess } from './own-process';

type Progress = (line: string) => void;

export const PERFORMANCE_PHASES = {
  coldStart: (options: { runs: number }, progress: Progress) => measureColdStart({ runs: options.runs, progress }),
  memory: (_options: Record<string, never>, progress: Progress) => measurePeakMemory(progress),
  cpu: (_options: Record<string, never>, progress: Progress) => measureCpu({ progress }),
};

type Phases = typeof PERFORMANCE_PHASES;

/** What the child calls: the phase named in `argument`, with its own argument. */
export function runNamedPhase(argument: { name: keyof Phases; options: unknown }, progress: Progress): Promise<unknown> {
  const phase = PERFORMANCE_PHASES[argument.name] as (options: unknown, report: Progress) => Promise<unknown>;
  return phase(argument.options, progress);
}

export function runPerformancePhase<K extends keyof Phases>(name: K, options: Parameters<Phases[K]>[0]): ReturnType<Phases[K]> {
  return runInOwnProcess(fileURLToPath(import.meta.url), 'runNamedPhase', { name, options }) as ReturnType<Phases[K]>;
}
