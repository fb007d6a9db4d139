// Which mirror the test hosts use: parsed from the machine's apt sources (both formats).
import { strict as assert } from 'node:assert';
import { hostSourcesList, parseDeb822, parseSourcesList, pickMirror } from '../support/testhost/mirror.js';

const DEB822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security/
Suites: bookworm-security
Components: main

Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main

Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main

Enabled: no
Types: deb
URIs: http://elsewhere.example/debian
Suites: bookworm
Components: main
`;

describe('test hosts: the machine mirror', function () {
  it('reads deb822 stanzas: deb only, enabled only, every URI and suite', function () {
    assert.deepEqual(parseDeb822(DEB822), [
      { uri: 'http://deb.debian.org/debian', suites: ['bookworm', 'bookworm-updates'] },
      { uri: 'http://deb.debian.org/debian-security', suites: ['bookworm-security'] },
      { uri: 'https://deb.nodesource.com/node_20.x', suites: ['nodistro'] },
    ]);
  });

  it('reads one-line sources, options and comments included', function () {
    const text = '# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian/ bookworm main contrib\ndeb-src http://x/debian bookworm main\n';
    assert.deepEqual(parseSourcesList(text), [{ uri: 'http://mirror.example/debian', suites: ['bookworm'] }]);
  });

  it('keeps the http bookworm sources, takes the archive from the release suite, writes main only', function () {
    const m = pickMirror(parseDeb822(DEB822), 'bookworm');
    assert.equal(m.archive, 'http://deb.debian.org/debian');
    assert.equal(
      hostSourcesList(m),
      'deb http://deb.debian.org/debian bookworm main\ndeb http://deb.debian.org/debian bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n',
    );
  });

  it('says what is missing when no http mirror carries the release', function () {
    assert.throws(() => pickMirror([{ uri: 'https://deb.debian.org/debian', suites: ['bookworm'] }], 'bookworm'), /no http:\/\/ Debian mirror for "bookworm"/);
  });
});
