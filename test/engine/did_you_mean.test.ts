// The one "did you mean" rule, on the misspellings kiln's error messages meet.
import { strict as assert } from 'node:assert';
import { didYouMean, editDistance } from '../../src/engine/did_you_mean.js';

describe('didYouMean', () => {
  it('counts inserts, deletes, replacements and swaps of neighbours as one edit each', () => {
    assert.equal(editDistance('', ''), 0);
    assert.equal(editDistance('abc', ''), 3);
    assert.equal(editDistance('', 'ab'), 2);
    assert.equal(editDistance('whenn', 'when'), 1);
    assert.equal(editDistance('greting', 'greeting'), 1);
    assert.equal(editDistance('stat', 'stab'), 1);
    assert.equal(editDistance('lenght', 'length'), 1);
    assert.equal(editDistance('mdoe', 'mode'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('ca', 'abc'), 3);
  });

  it('suggests the near misses the error messages meet', () => {
    const cases: [string, string[], string][] = [
      ['gather_fact', ['name', 'hosts', 'gather_facts', 'tasks'], 'gather_facts'],
      ['whenn', ['name', 'when', 'with_items', 'register'], 'when'],
      ['copyy', ['command', 'copy', 'file'], 'copy'],
      ['greting', ['greeting', 'marker_dir'], 'greeting'],
      ['record the markr', ['record the marker', 'restart'], 'record the marker'],
      ['flush_handler', ['flush_handlers'], 'flush_handlers'],
      ['defind', ['defined', 'undefined', 'failed'], 'defined'],
      ['lenght', ['length', 'lower', 'upper'], 'length'],
      ['reslt', ['result', 'marker_dir'], 'result'],
      ['webb', ['web', 'db', 'prod'], 'web'],
      ['marker_file', ['marker_dir', 'playbook_dir'], 'marker_dir'],
      ['write_markers', ['write_marker'], 'write_marker'],
      ['mdoe', ['path', 'mode', 'owner'], 'mode'],
      ['State', ['state', 'path'], 'state'],
    ];
    for (const [typed, candidates, meant] of cases) assert.equal(didYouMean(typed, candidates), meant, typed);
  });

  it('suggests what a name abbreviates or extends, from three characters on', () => {
    assert.equal(didYouMean('dir', ['file', 'directory', 'link', 'hard', 'absent', 'touch']), 'directory');
    assert.equal(didYouMean('uppercase', ['upper', 'lower', 'default', 'up_']), 'upper');
    assert.equal(didYouMean('di', ['directory']), undefined);
    assert.equal(didYouMean('upx', ['up']), 'up');
    assert.equal(didYouMean('upxyz', ['up']), undefined);
    assert.equal(didYouMean('restarter : config changed', ['restart', 'restarter : restart', 'config changed']), undefined);
  });

  it('prefers a near spelling to an abbreviation, and an exact match but for case to both', () => {
    assert.equal(didYouMean('become_usr', ['become', 'become_user']), 'become_user');
    assert.equal(didYouMean('Mode', ['model', 'mode']), 'mode');
  });

  it('suggests nothing far away, nor for a name of one or two characters that shares too little', () => {
    assert.equal(didYouMean('foo', ['bar', 'baz']), undefined);
    assert.equal(didYouMean('a', ['b']), undefined);
    assert.equal(didYouMean('ab', ['xy', 'cd']), undefined);
    assert.equal(didYouMean('ab', ['ac']), 'ac');
    assert.equal(didYouMean('nginx_port', ['marker_dir', 'greeting']), undefined);
    assert.equal(didYouMean('x', []), undefined);
  });
});
