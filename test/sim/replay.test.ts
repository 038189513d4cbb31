import { describe, expect, it } from 'vitest';
import { runSimCommand } from '../../src/cli/sim-command.js';
import { defaultSimOptions, parseFaults } from '../../src/sim/options.js';
import { replayCommand } from '../../src/sim/replay.js';

describe('the replay line of a failing seed', () => {
  it('names only what differs from the defaults', () => {
    expect(replayCommand(defaultSimOptions(7))).toBe('vsync sim --seed 7 --members 5 --steps 1500');
  });

  it('carries faults, send rate, delivery mix, config flags and the mutation', () => {
    const o = { ...defaultSimOptions(9), members: 3, faults: parseFaults('drop,crash'), sendRate: 0.5 };
    o.delivery = { agreed: 0.3, fifo: 0.2 };
    o.config = { ownIdsMinBytes: 1, directMinBytes: 40 };
    o.mutation = 'no-resend';
    expect(replayCommand(o)).toBe(
      'vsync sim --seed 9 --members 3 --steps 1500 --faults drop,crash --send-rate 0.5 --agreed 0.3 --fifo 0.2 --direct-min-bytes 40 --own-ids-min-bytes 1 --mutation no-resend',
    );
    expect(replayCommand({ ...defaultSimOptions(1), faults: parseFaults('none') })).toContain('--faults none');
  });

  it('says what the command line cannot set, instead of passing for the same run', () => {
    const o = { ...defaultSimOptions(4), stateful: false, adversary: { rate: 0.1, asMembers: true } };
    o.config = { maxLogEntries: 64 };
    expect(replayCommand(o)).toBe(
      'vsync sim --seed 4 --members 5 --steps 1500 (with, not settable from the command line: config.maxLogEntries = 64, stateful = false, adversary = {"rate":0.1,"asMembers":true})',
    );
  });

  it('a replay line is the command that was given (the command reads every flag it writes)', async () => {
    const args = ['--seed', '2', '--members', '5', '--steps', '1500', '--send-rate', '0.2', '--agreed', '0.5', '--fifo', '0', '--direct-min-bytes', '100', '--own-ids-min-bytes', '1', '--mutation', 'skip-flush'];
    const lines: string[] = [];
    expect(await runSimCommand(args, (l) => lines.push(l))).toBe(1);
    expect(lines).toContain(`replay: vsync sim ${args.join(' ')}`);
  });
});
