// CodeMirror bundles for the browser benchmarks, built with the esbuild and
// the packages of app/surface (the versions the app ships), minified as a
// release build is.
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const surfaceDir = fileURLToPath(new URL('../../app/surface/', import.meta.url));
const esbuild = createRequire(surfaceDir + 'package.json')('esbuild');

/** A bare CodeMirror: markdownLanguage and line wrapping, nothing else. */
const BARE_ENTRY = `
import { EditorState } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { markdownLanguage } from '@codemirror/lang-markdown';
export function mount(parent, doc) {
  return new EditorView({ parent, state: EditorState.create({ doc, extensions: [markdownLanguage, EditorView.lineWrapping] }) });
}
export { EditorView };
`;

async function bundle(options) {
  const result = await esbuild.build({
    bundle: true, minify: true, target: 'es2020', legalComments: 'none', write: false, logLevel: 'warning', ...options,
  });
  return Buffer.from(result.outputFiles[0].contents);
}

/** The bare CodeMirror as a classic script defining `CMBench.mount(parent, text)` and `CMBench.EditorView`. */
export const bareCodeMirror = () =>
  bundle({ stdin: { contents: BARE_ENTRY, resolveDir: surfaceDir, loader: 'js' }, format: 'iife', globalName: 'CMBench' });

/** The app's surface module exactly as app/build.rs bundles it for a release build. */
export const appSurface = () => bundle({ entryPoints: [surfaceDir + 'src/surface.js'], format: 'esm' });

/** The size of `bytes` after gzip -9. */
export const gzipSize = (bytes) => gzipSync(bytes, { level: 9 }).length;
