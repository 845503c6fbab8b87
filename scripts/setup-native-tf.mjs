// Sets up the native TensorFlow backend (@tensorflow/tfjs-node) without Google storage.
//
// tfjs-node's published install script downloads libtensorflow from Google storage,
// which is unreachable here, so root package.json denies that script ("allowScripts").
// Instead this script builds the addon against the TensorFlow C library that ships
// inside the `tensorflow-cpu` pip wheel (obtained with pip, cached under
// .peft-lab/cache/native-tf/), then checks that it loads with backend "tensorflow".
//
// Runs from scripts/postinstall.mjs on every `npm install` / `npm ci`. It prints one
// line and always exits 0: without native TF the engine falls back to wasm.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TF_WHEEL = 'tensorflow-cpu';
const TF_VERSION = '2.21.0';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, '.peft-lab', 'cache', 'native-tf');
const LIBS = path.join(CACHE, `${TF_WHEEL}-${TF_VERSION}`); // extracted .so files + headers
const BUILD_LOG = path.join(CACHE, 'build.log');
// Members of the wheel the addon needs (paths inside the wheel).
const WHEEL_LIBS = ['tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'];
// The last one holds the one header that tensorflow/c/kernels.h (our custom ops, packages/engine/native) adds.
const WHEEL_HEADER_DIRS = ['tensorflow/c/', 'tensorflow/core/platform/', 'tsl/platform/', 'xla/tsl/c/', 'tensorflow/core/common_runtime/next_pluggable_device/c/'];
const KERNELS_HEADER = 'include/tensorflow/core/common_runtime/next_pluggable_device/c/tf_rendezvous_c_api.h';

const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const say = (msg) => console.log(`[native-tf] ${msg}`);

class Unavailable extends Error {}

function unavailable(reason) {
  say(`native TensorFlow unavailable (${reason}); the engine will use wasm`);
  process.exit(0);
}

function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
}

function lastLine(text) {
  const lines = String(text ?? '').trim().split('\n').filter((l) => l.trim() !== '');
  return (lines.at(-1) ?? '').trim().slice(0, 200);
}

/** Loads tfjs-node in a child process (a failed native load must not poison this one). */
function probe(pkgDir) {
  const code = `
    const tf = require(${JSON.stringify(pkgDir)});
    const b = tf.backend();
    const v = b.binding && b.binding.TF_Version;
    console.log(JSON.stringify({ backend: tf.getBackend(), tf: v }));`;
  const r = run(process.execPath, ['-e', code], {
    cwd: ROOT,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
    timeout: 120_000,
  });
  if (r.status === 0) {
    try {
      const info = JSON.parse(lastLine(r.stdout));
      if (info.backend === 'tensorflow') return { ok: true, tf: info.tf };
      return { ok: false, reason: `loaded with backend ${info.backend}` };
    } catch {
      return { ok: false, reason: `unexpected output: ${lastLine(r.stdout)}` };
    }
  }
  const err = String(r.stderr ?? '');
  const line = err.split('\n').find((l) => /Error:/.test(l)) ?? lastLine(err);
  return { ok: false, reason: line.trim().slice(0, 200) || `exit ${r.status}` };
}

function findPython() {
  for (const py of ['python3', 'python']) {
    const r = run(py, ['-m', 'pip', '--version']);
    if (r.status === 0) return py;
  }
  throw new Unavailable('no python with pip found to fetch the tensorflow-cpu wheel');
}

/** pip download of the wheel into a temp dir under the cache; returns the .whl path. */
function downloadWheel(python) {
  const dir = path.join(CACHE, 'wheel-download');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const r = run(
    python,
    ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check',
      '--quiet', `${TF_WHEEL}==${TF_VERSION}`, '-d', dir],
    { timeout: 15 * 60_000 },
  );
  const whl = fs.readdirSync(dir).find((f) => f.endsWith('.whl'));
  if (r.status !== 0 || !whl) {
    throw new Unavailable(`pip download ${TF_WHEEL}==${TF_VERSION} failed: ${lastLine(r.stderr) || r.error?.message || `exit ${r.status}`}`);
  }
  return path.join(dir, whl);
}

/** Extracts the two libraries and the headers; the cache dir appears only when complete. */
function extractWheel(python, wheel) {
  const tmp = `${LIBS}.partial`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const script = `
import sys, zipfile, os, shutil
whl, out, libs, hdrs = sys.argv[1], sys.argv[2], sys.argv[3].split(','), sys.argv[4].split(',')
z = zipfile.ZipFile(whl)
names = set(z.namelist())
for m in libs:
    if m not in names: sys.exit('wheel lacks ' + m)
    with z.open(m) as src, open(os.path.join(out, 'lib', os.path.basename(m)), 'wb') as dst:
        shutil.copyfileobj(src, dst, 1 << 22)
n = 0
for m in names:
    rel = m[len('tensorflow/include/'):] if m.startswith('tensorflow/include/') else None
    if rel and not m.endswith('/') and any(rel.startswith(h) for h in hdrs):
        target = os.path.join(out, 'include', rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(m) as src, open(target, 'wb') as dst:
            shutil.copyfileobj(src, dst)
        n += 1
if not os.path.exists(os.path.join(out, 'include', 'tensorflow', 'c', 'c_api.h')): sys.exit('wheel lacks tensorflow/c/c_api.h')
print(n)
`;
  fs.mkdirSync(path.join(tmp, 'lib'), { recursive: true });
  fs.mkdirSync(path.join(tmp, 'include'), { recursive: true });
  const r = run(python, ['-c', script, wheel, tmp, WHEEL_LIBS.join(','), WHEEL_HEADER_DIRS.join(',')], {
    timeout: 10 * 60_000,
  });
  if (r.status !== 0) throw new Unavailable(`could not extract the wheel: ${lastLine(r.stderr) || lastLine(r.stdout)}`);
  fs.rmSync(LIBS, { recursive: true, force: true });
  fs.renameSync(tmp, LIBS);
}

/** Hard-links (same filesystem: no extra 850 MB) or copies a tree. */
function linkTree(src, dst) {
  fs.mkdirSync(dst, { recursive: true });
  for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
    const from = path.join(src, entry.name);
    const to = path.join(dst, entry.name);
    if (entry.isDirectory()) linkTree(from, to);
    else {
      try {
        fs.linkSync(from, to);
      } catch {
        fs.copyFileSync(from, to);
      }
    }
  }
}

/** Lays out deps/ the way tfjs-node's binding.gyp and install script expect. */
function stageDeps(pkgDir) {
  const deps = path.join(pkgDir, 'deps');
  fs.rmSync(deps, { recursive: true, force: true });
  linkTree(path.join(LIBS, 'include'), path.join(deps, 'include'));
  linkTree(path.join(LIBS, 'lib'), path.join(deps, 'lib'));
  const lib = path.join(deps, 'lib');
  // -ltensorflow / -ltensorflow_framework link names; libtensorflow.so.2.9.1 is the
  // name tfjs-node's own install script checks before it would download anything.
  fs.symlinkSync('libtensorflow_cc.so.2', path.join(lib, 'libtensorflow.so'));
  fs.symlinkSync('libtensorflow_cc.so.2', path.join(lib, 'libtensorflow.so.2.9.1'));
  fs.symlinkSync('libtensorflow_framework.so.2', path.join(lib, 'libtensorflow_framework.so'));
  // With a custom tf-lib and no custom addon, the package's own install builds from source.
  fs.writeFileSync(
    path.join(pkgDir, 'scripts', 'custom-binary.json'),
    `${JSON.stringify({ 'tf-lib': 'file:///unused-offline' })}\n`,
  );
}

function findNodeGyp(pkgRequire) {
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) {
    candidates.push(path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  try {
    candidates.push(pkgRequire.resolve('node-gyp/bin/node-gyp.js'));
  } catch {}
  // npm's usual home next to node (…/bin/node → …/lib/node_modules/npm).
  candidates.push(path.resolve(process.execPath, '..', '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const npmRoot = run('npm', ['root', '-g']);
  if (npmRoot.status === 0) {
    candidates.push(path.join(npmRoot.stdout.trim(), 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const found = candidates.find((c) => c && fs.existsSync(c));
  if (!found) throw new Unavailable('node-gyp not found (it ships with npm)');
  return found;
}

/** Local Node headers (Debian's nodejs ships them); without them node-gyp would download. */
function nodeHeadersDir() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const header = path.join(prefix, 'include', 'node', 'node_version.h');
  if (!fs.existsSync(header) || !fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) return undefined;
  const text = fs.readFileSync(header, 'utf8');
  const part = (name) => text.match(new RegExp(`#define ${name} (\\d+)`))?.[1];
  const version = `v${part('NODE_MAJOR_VERSION')}.${part('NODE_MINOR_VERSION')}.${part('NODE_PATCH_VERSION')}`;
  return version === process.version ? prefix : undefined;
}

function buildAddon(pkgDir, addonPath, pkgRequire) {
  const nodeGyp = findNodeGyp(pkgRequire);
  const napi = addonPath.match(/napi-v(\d+)/)?.[1];
  if (!napi) throw new Unavailable(`cannot tell the N-API version from ${addonPath}`);
  const args = [nodeGyp, 'rebuild', '--module_name=tfjs_binding', `--module_path=${path.dirname(addonPath)}`,
    `--napi_build_version=${napi}`, '--jobs=2'];
  const nodedir = nodeHeadersDir();
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  const r = run(process.execPath, args, { cwd: pkgDir, timeout: 15 * 60_000 });
  fs.writeFileSync(BUILD_LOG, `${r.stdout ?? ''}\n${r.stderr ?? ''}`);
  if (r.status !== 0 || !fs.existsSync(addonPath)) {
    const cause = String(r.stderr ?? '').split('\n').find((l) => /Error: |error: /.test(l))?.replace(/^gyp ERR! stack /, '').trim();
    throw new Unavailable(`building the tfjs-node addon failed${cause ? `: ${cause.slice(0, 160)}` : ''}; see ${path.relative(ROOT, BUILD_LOG)}`);
  }
  fs.rmSync(path.join(pkgDir, 'build'), { recursive: true, force: true }); // objects no longer needed
}

function main() {
  const rootRequire = createRequire(path.join(ROOT, 'packages', 'engine', 'package.json'));
  let pkgJsonPath;
  try {
    pkgJsonPath = rootRequire.resolve('@tensorflow/tfjs-node/package.json');
  } catch {
    unavailable('@tensorflow/tfjs-node is not installed');
  }
  const pkgDir = path.dirname(pkgJsonPath);
  const pkgVersion = JSON.parse(fs.readFileSync(pkgJsonPath, 'utf8')).version;

  const first = probe(pkgDir);
  if (first.ok && fs.existsSync(path.join(pkgDir, 'deps', KERNELS_HEADER))) {
    say(`native TensorFlow ${first.tf} ready (tfjs-node ${pkgVersion}, already set up)`);
    return;
  }

  const pkgRequire = createRequire(pkgJsonPath);
  let addonPath;
  try {
    addonPath = pkgRequire('@mapbox/node-pre-gyp').find(pkgJsonPath);
  } catch (e) {
    throw new Unavailable(`cannot locate the addon path via @mapbox/node-pre-gyp: ${e.message}`);
  }
  // N-API addons do not depend on the Node version, only on tfjs-node, TF and platform.
  const addonCache = path.join(
    CACHE, `addon-tfjs-node-${pkgVersion}-tf-${TF_VERSION}-${process.platform}-${process.arch}`, path.basename(path.dirname(addonPath)),
    path.basename(addonPath),
  );

  fs.mkdirSync(CACHE, { recursive: true });
  let how = 'libraries from cache';
  // A cache extracted before the custom-op header was needed lacks it: extract again.
  if (!fs.existsSync(path.join(LIBS, 'lib', 'libtensorflow_cc.so.2')) || !fs.existsSync(path.join(LIBS, KERNELS_HEADER))) {
    const python = findPython();
    const wheel = downloadWheel(python);
    extractWheel(python, wheel);
    // The extracted libraries are the cache; the 270 MB wheel is not needed again.
    fs.rmSync(path.dirname(wheel), { recursive: true, force: true });
    how = `${TF_WHEEL} ${TF_VERSION} wheel via pip`;
  }
  stageDeps(pkgDir);

  if (fs.existsSync(addonCache)) {
    fs.mkdirSync(path.dirname(addonPath), { recursive: true });
    fs.copyFileSync(addonCache, addonPath);
    const cached = probe(pkgDir);
    if (cached.ok) {
      say(`native TensorFlow ${cached.tf} ready (tfjs-node ${pkgVersion}, cached addon, ${how}, ${seconds()})`);
      return;
    }
  }

  buildAddon(pkgDir, addonPath, pkgRequire);
  const built = probe(pkgDir);
  if (!built.ok) throw new Unavailable(`built addon does not load: ${built.reason}`);
  fs.mkdirSync(path.dirname(addonCache), { recursive: true });
  fs.copyFileSync(addonPath, addonCache);
  say(`native TensorFlow ${built.tf} ready (tfjs-node ${pkgVersion}, addon built, ${how}, ${seconds()})`);
}

try {
  main();
} catch (e) {
  unavailable(e instanceof Unavailable ? e.message : `setup error: ${e?.message ?? e}`);
}
