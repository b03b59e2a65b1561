// Reads a gisd PMTiles archive with the PMTiles project's own reader (npm
// pmtiles) and checks every tile against the same pyramid in MBTiles.
// usage: node tests/pmtiles_check.mjs ARCHIVE.pmtiles TILES.txt LAYERS
//   TILES.txt: "z x y sha256-of-the-uncompressed-tile" per line
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { PMTiles } from 'pmtiles';

const [archive, list, layers] = process.argv.slice(2);
const fail = msg => { console.error('FAIL: ' + msg); process.exitCode = 1; };

class FileSource {
  constructor(path) { this.path = path; }
  getKey() { return this.path; }
  async getBytes(offset, length) {
    const fh = await open(this.path, 'r');
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return { data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + bytesRead) };
    } finally {
      await fh.close();
    }
  }
}

const p = new PMTiles(new FileSource(archive));
const header = await p.getHeader();
const meta = await p.getMetadata();
const wanted = (await readFile(list, 'utf8')).trim().split('\n').map(l => l.split(' '));
if (header.tileType !== 1) fail(`tile type ${header.tileType}, not MVT`);
if (!header.clustered) fail('the archive is not clustered');
if (header.numAddressedTiles !== wanted.length) fail(`${header.numAddressedTiles} tiles, MBTiles has ${wanted.length}`);
const ids = (meta.vector_layers || []).map(l => l.id).join(',');
if (ids !== layers) fail(`vector_layers ${ids}, want ${layers}`);
let same = 0;
for (const [z, x, y, sha] of wanted) {
  const t = await p.getZxy(+z, +x, +y);
  if (!t) { fail(`tile ${z}/${x}/${y} is missing`); continue; }
  const got = createHash('sha256').update(Buffer.from(t.data)).digest('hex');
  if (got !== sha) fail(`tile ${z}/${x}/${y} differs from the MBTiles one`); else same++;
}
if (await p.getZxy(header.minZoom, 0, 0)) fail('a tile far from the city exists');
if (!process.exitCode)
  console.log(`ok: ${same} tiles identical, leaf directories ${header.leafDirectoryLength > 0 ? 'yes' : 'no'}`);
