// Finds the end-of-command markers in a byte stream without re-scanning what was already read.

export class Collector {
  private chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /**
   * If `marker` has arrived, return everything before it and keep what follows it.
   * `trailer` bytes after the marker (up to a newline) are returned too.
   */
  take(marker: Buffer): { body: Buffer; trailer: string } | undefined {
    if (this.size < marker.length) return undefined;
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
    this.chunks = [all];
    const at = all.indexOf(marker);
    if (at === -1) return undefined;
    const nl = all.indexOf(0x0a, at + marker.length);
    if (nl === -1) return undefined;
    const trailer = all.subarray(at + marker.length, nl).toString('utf8');
    const rest = all.subarray(nl + 1);
    this.chunks = rest.length ? [Buffer.from(rest)] : [];
    this.size = rest.length;
    return { body: Buffer.from(all.subarray(0, at)), trailer };
  }

  text(): string {
    return Buffer.concat(this.chunks, this.size).toString('utf8');
  }
}
