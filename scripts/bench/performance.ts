/**
 * The cold-start, memory and CPU phases in the shape `runInOwnProcess` calls (`phase(argument, progress)`), so
 * that `npm run bench` runs each in a process of its own (see own-process.ts for why).
 */
import { fileURLToPath } from 'node:url';
import { measureColdStart, type ColdStartFigures } from './cold-start';
import { measureCpu, type CpuFigures } from './cpu';
import { measurePeakMemory, type MemoryCase, type MemoryFigure } from './memory';

export const PERFORMANCE_MODULE: string = fileURLToPath(import.meta.url);

export function coldStartPhase(options: { runs: number }, progress: (line: string) => void): Promise<ColdStartFigures> {
  return measureColdStart({ runs: options.runs, progress });
}

export function memoryPhase(_options: unknown, progress: (line: string) => void): Promise<Record<MemoryCase, MemoryFigure>> {
  return measurePeakMemory(progress);
}

export function cpuPhase(_options: unknown, progress: (line: string) => void): Promise<CpuFigures> {
  return measureCpu({ progress });
}
