// Builds PEFT Lab's TensorFlow custom-op library (packages/engine/native/src/*.cc) against the
// TensorFlow C API that scripts/setup-native-tf.mjs staged inside @tensorflow/tfjs-node, with
// the instruction set of the CPU it is built on (-march=native). Run by the install step after
// the native TensorFlow setup; prints one line and never fails the install: without the
// library the engine trains with plain tfjs kernels (and says so once).
//   node packages/engine/native/build.mjs [--force]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SRC = path.join(HERE, 'src');
const OUT = path.join(HERE, 'build', 'peft_kernels.node');
const STAMP = `${OUT}.stamp`;
const say = (msg) => console.log(`[peft-kernels] ${msg}`);
const started = Date.now();

function skip(reason) {
  say(`not built (${reason}); the engine will use the plain tfjs kernels`);
  process.exit(0);
}

function tfjsNodeDeps() {
  try {
    const pkg = createRequire(path.join(HERE, '..', 'package.json')).resolve('@tensorflow/tfjs-node/package.json');
    return path.join(path.dirname(pkg), 'deps');
  } catch {
    return skip('@tensorflow/tfjs-node is not installed');
  }
}

function nodeHeaders() {
  const dir = path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node');
  return fs.existsSync(path.join(dir, 'node_api.h')) ? dir : skip(`no Node-API headers at ${dir}`);
}

/** -march=native where the compiler takes it (the library is built on the machine that runs it). */
function archFlags(cxx) {
  const probe = spawnSync(cxx, ['-march=native', '-x', 'c++', '-E', '-'], { input: '', encoding: 'utf8' });
  return probe.status === 0 ? ['-march=native'] : [];
}

function main() {
  const deps = tfjsNodeDeps();
  const include = path.join(deps, 'include');
  const lib = path.join(deps, 'lib');
  if (!fs.existsSync(path.join(include, 'tensorflow', 'c', 'kernels.h'))) skip('TensorFlow C API headers are missing (native TensorFlow not set up)');
  if (!fs.existsSync(path.join(lib, 'libtensorflow_framework.so.2'))) skip('libtensorflow_framework.so.2 is missing (native TensorFlow not set up)');
  const cxx = process.env.CXX || 'g++';
  if (spawnSync(cxx, ['--version']).status !== 0) skip(`no C++ compiler (${cxx})`);
  const sources = fs.readdirSync(SRC).filter((f) => f.endsWith('.cc')).sort().map((f) => path.join(SRC, f));
  const args = [
    '-std=c++17', '-O3', ...archFlags(cxx), '-ffast-math', '-fno-finite-math-only', '-fPIC', '-shared', '-fvisibility=hidden',
    `-I${include}`, `-I${nodeHeaders()}`, ...sources, '-o', OUT,
    // Debian's g++ links --as-needed: libraries after the sources.
    `-L${lib}`, '-l:libtensorflow_framework.so.2', `-Wl,-rpath,${lib}`, '-lpthread',
  ];
  // Rebuild only when the sources, flags or TensorFlow library changed.
  const hash = createHash('sha256').update(args.join(' '));
  for (const f of [...sources, ...fs.readdirSync(SRC).filter((f) => f.endsWith('.h')).map((f) => path.join(SRC, f))]) hash.update(fs.readFileSync(f));
  hash.update(String(fs.statSync(path.join(lib, 'libtensorflow_framework.so.2')).size));
  const digest = hash.digest('hex');
  if (!process.argv.includes('--force') && fs.existsSync(OUT) && fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8') === digest) {
    say(`up to date (${path.relative(process.cwd(), OUT)})`);
    return;
  }
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  const r = spawnSync(cxx, args, { encoding: 'utf8' });
  if (r.status !== 0) skip(`${cxx} failed: ${(r.stderr || '').trim().split('\n').slice(0, 3).join(' | ')}`);
  fs.writeFileSync(STAMP, digest);
  say(`built ${path.relative(process.cwd(), OUT)} (${args.includes('-march=native') ? '-march=native' : 'generic x86-64'}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

main();
