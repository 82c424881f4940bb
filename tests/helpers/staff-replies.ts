/**
 * The hand-labelled staff replies the outbound guard is held to: tests/fixtures/staff-replies/labelled.json and
 * the held-out rounds kept in files of their own (held-out-round-3.json, …), read as one set so the unit test
 * and the bench judge the same replies. Each file records what the guard did on first contact with its
 * held-out rounds (`firstContact`), since the rules that produced those figures are gone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './corpus';

const STAFF_REPLIES_DIR = join(PROJECT_ROOT, 'tests', 'fixtures', 'staff-replies');
export const LABELLED_STAFF_REPLY_FILES: readonly string[] = ['labelled.json', 'held-out-round-3.json', 'held-out-round-4.json'].map((name) => join(STAFF_REPLIES_DIR, name));

export interface LabelledReply {
  text: string;
  language: 'en' | 'zh';
  dangerous: boolean;
  why: string;
  /** The held-out round the reply was written for; absent when it was written with the rules in view. */
  heldOut?: number;
  foundInReview?: boolean;
}

/** What the guard did with a held-out round before any rule changed for it. */
export interface FirstContact {
  dangerousBlocked: number;
  dangerous: number;
  ordinaryBlocked: number;
  ordinary: number;
}

interface LabelledFile {
  depositAddresses: string[];
  firstContact?: Record<string, FirstContact>;
  replies: LabelledReply[];
}

export interface LabelledStaffReplies {
  /** The configured deposit-address list every file assumes (the files must agree on it). */
  depositAddresses: string[];
  replies: LabelledReply[];
  /** By held-out round number. */
  firstContact: Map<number, FirstContact>;
}

export function loadLabelledStaffReplies(): LabelledStaffReplies {
  const files = LABELLED_STAFF_REPLY_FILES.map((path) => ({ path, set: JSON.parse(readFileSync(path, 'utf8')) as LabelledFile }));
  const depositAddresses = files[0]!.set.depositAddresses;
  const firstContact = new Map<number, FirstContact>();
  for (const { path, set } of files) {
    // A reply naming an address is dangerous or not by the list it was labelled against: one list for all.
    if (JSON.stringify([...set.depositAddresses].sort()) !== JSON.stringify([...depositAddresses].sort())) throw new Error(`${path}: depositAddresses differ from ${files[0]!.path}`);
    for (const [round, figures] of Object.entries(set.firstContact ?? {})) firstContact.set(Number(round), figures);
  }
  return { depositAddresses, replies: files.flatMap(({ set }) => set.replies), firstContact };
}
