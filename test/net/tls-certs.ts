/** Test PKI: a CA and node certificates (CN and DNS subjectAltName = the node name), made by openssl in a temp folder. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NodeCert {
  cert: string;
  key: string;
  ca: string;
  /** Paths of the same PEM files, for the CLI. */
  files: { cert: string; key: string; ca: string };
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'vsync-pki-'));
  private readonly caFile: string;
  private readonly caKey: string;

  constructor(readonly caName = 'vsync-test-ca') {
    this.caFile = join(this.dir, 'ca.pem');
    this.caKey = join(this.dir, 'ca.key');
    openssl(['req', '-x509', ...EC, '-keyout', this.caKey, '-out', this.caFile, '-days', '2', '-subj', `/CN=${caName}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  }

  get ca(): string {
    return readFileSync(this.caFile, 'utf8');
  }

  /** A certificate for `name` (CN and DNS SAN), signed by this CA. */
  issue(name: string): NodeCert {
    const base = join(this.dir, name);
    const ext = `${base}.ext`;
    writeFileSync(ext, `basicConstraints=CA:FALSE\nsubjectAltName=DNS:${name}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature\n`);
    openssl(['req', ...EC, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${name}`]);
    openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', this.caFile, '-CAkey', this.caKey, '-CAcreateserial', '-out', `${base}.pem`, '-days', '2', '-extfile', ext]);
    const files = { cert: `${base}.pem`, key: `${base}.key`, ca: this.caFile };
    return { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8'), ca: this.ca, files };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
