// Test helpers for the SSH connection broker: a private control directory per test, the broker
// processes started for it (found in /proc by their socket path), and a clean-up that kills them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { socketName } from '../../src/engine/connection/broker/control_dir.js';
import { findBrokers } from '../../src/engine/connection/broker/find.js';

export interface ControlDir {
  dir: string;
  /** The broker's socket path in it. */
  socket: string;
  /** PIDs of the brokers serving this directory. */
  brokers(): number[];
  /** Kill its brokers, restore KILN_CONTROL_DIR, remove the directory. */
  cleanup(): Promise<void>;
}

/** A fresh 0700 control directory, set as KILN_CONTROL_DIR until cleanup(). */
export async function useControlDir(): Promise<ControlDir> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-cp-'));
  const before = process.env.KILN_CONTROL_DIR;
  process.env.KILN_CONTROL_DIR = dir;
  const socket = join(dir, socketName());
  const brokers = (): number[] => brokerPids(dir);
  return {
    dir,
    socket,
    brokers,
    cleanup: async () => {
      for (const pid of brokers()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
      await waitFor(() => brokers().length === 0, 5000, 'the brokers to die');
      if (before === undefined) delete process.env.KILN_CONTROL_DIR;
      else process.env.KILN_CONTROL_DIR = before;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** PIDs of the live `kiln __ssh-broker` processes whose socket is in `dir`. */
export function brokerPids(dir: string): number[] {
  return findBrokers(dir).map((b) => b.pid);
}

/** Poll `cond` every 20 ms until it holds; throws naming `what` after `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** How many logins sshd accepted so far (its VERBOSE log says "Accepted <method> for <user>"). */
export function logins(log: string): number {
  return (log.match(/Accepted (publickey|password|keyboard-interactive\S*) for /g) ?? []).length;
}
