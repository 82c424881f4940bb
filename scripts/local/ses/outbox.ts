/** The outbox: one .eml per accepted message, named so that names sort in acceptance order. */
import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What is recorded next to each delivered message, since the .eml itself carries no envelope. */
export interface LocalSesEnvelope {
  sesMessageId: string;
  action: 'SendRawEmail' | 'SendEmail';
  acceptedAt: string;
  region: string;
  source: string | null;
  destinations: string[];
  returnPath?: string;
  configurationSetName?: string;
  tags?: { name: string; value: string }[];
}

export const EML_NAME = /^(\d{6,})-([0-9a-f]{16}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9a-f]{6})\.eml$/;

export class Outbox {
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private counter: number,
  ) {}

  static async open(dir: string): Promise<Outbox> {
    await mkdir(dir, { recursive: true });
    let highest = 0;
    for (const name of await readdir(dir)) {
      const match = EML_NAME.exec(name);
      if (match?.[1]) highest = Math.max(highest, Number(match[1]));
    }
    return new Outbox(dir, highest);
  }

  /**
   * Numbers and writes one message. Writes run one at a time, and the number is taken inside
   * the queue, so file N is complete on disk before file N+1 is begun, whatever the request
   * concurrency. The .eml appears by rename, so a reader never sees a half-written message.
   */
  append(id: string, delivered: Buffer, envelope: LocalSesEnvelope): Promise<string> {
    const run = this.tail.then(async () => {
      const base = `${String(++this.counter).padStart(6, '0')}-${id}`;
      const file = `${base}.eml`;
      const temp = join(this.dir, `.${base}.tmp`);
      await writeFile(join(this.dir, `${base}.envelope.json`), `${JSON.stringify(envelope, null, 2)}\n`);
      await writeFile(temp, delivered);
      await rename(temp, join(this.dir, file));
      return file;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  drain(): Promise<unknown> {
    return this.tail;
  }

  async list(): Promise<string[]> {
    return (await readdir(this.dir)).filter((name) => EML_NAME.test(name)).sort(compareFiles);
  }

  /** Resolves a name from a URL to a file in the outbox, or null; never a path outside it. */
  async resolve(name: string): Promise<string | null> {
    if (!EML_NAME.test(name)) return null;
    const path = join(this.dir, name);
    try {
      return (await stat(path)).isFile() ? path : null;
    } catch {
      return null;
    }
  }
}

function compareFiles(a: string, b: string): number {
  // Numeric, so that the order survives past 999999 where the zero padding stops helping.
  const na = Number(EML_NAME.exec(a)?.[1] ?? 0);
  const nb = Number(EML_NAME.exec(b)?.[1] ?? 0);
  return na - nb;
}
