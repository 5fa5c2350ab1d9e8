// Versions of a large document: 500 named versions of a 200 KB document with
// 200 characters changed between them (100 removed, 100 inserted at a random
// place), then every version opened over HTTP and the oldest restored.
// Prints one JSON line: time to record a version, to open one (p50/p90/p99/max),
// to restore the oldest. What the versions add to the store is read from the
// database afterwards:
//   sqlite3 DATA/tandem.db 'SELECT count(*), sum(length(data)) FROM versions'
// Usage: node bench/versions.mjs http://127.0.0.1:3000   (a server in --open mode)
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'

const base = process.argv[2] ?? 'http://127.0.0.1:3000'
const VERSIONS = 500
const id = 'versions-' + Date.now().toString(36)
const doc = new Y.Doc()
const text = doc.getText('content')
// A reader holds the document open, as an editor would: versions come from the loaded document.
const reader = new WebsocketProvider(base.replace(/^http/, 'ws') + '/ws', id, new Y.Doc(), { WebSocketPolyfill: WebSocket, disableBc: true })
await new Promise((resolve) => reader.on('sync', (synced) => synced && resolve()))

let sv = Y.encodeStateVector(doc)
/** Sends what changed since the last call; resolves once the server has stored it. */
const send = async () => {
  const update = Y.encodeStateAsUpdate(doc, sv)
  sv = Y.encodeStateVector(doc)
  const r = await fetch(`${base}/api/docs/${id}/update`, { method: 'POST', body: update })
  if (r.status !== 204) throw new Error(`update: ${r.status}`)
}
const post = (path) => fetch(`${base}/api/docs/${id}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"label":"bench"}' })

const para = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore. '
text.insert(0, para.repeat(2000))
await send()
const ids = []
const recording = performance.now()
for (let k = 0; k < VERSIONS; k++) {
  const at = Math.floor(Math.random() * (text.length - 300))
  text.delete(at, 100)
  text.insert(at, `edit ${k} `.padEnd(100, 'x'))
  await send()
  const r = await post('/versions')
  if (r.status !== 201) throw new Error(`version: ${r.status}`)
  ids.push((await r.json()).id)
}
const recordMs = (performance.now() - recording) / VERSIONS

const open = []
for (const v of ids) {
  const started = performance.now()
  const r = await fetch(`${base}/api/docs/${id}/versions/${v}`)
  if ((await r.json()).text.length < 100_000) throw new Error(`version ${v} is not whole`)
  open.push(performance.now() - started)
}
open.sort((a, b) => a - b)
const q = (p) => Number(open[Math.min(open.length - 1, Math.floor(p * open.length))].toFixed(1))
const restoring = performance.now()
const restored = await fetch(`${base}/api/docs/${id}/versions/${ids[0]}/restore`, { method: 'POST' })
const restoreMs = performance.now() - restoring
if (restored.status !== 200) throw new Error(`restore: ${restored.status}`)
reader.destroy()
console.log(JSON.stringify({
  doc: id, chars: text.length, versions: VERSIONS,
  record_ms: Number(recordMs.toFixed(1)), open_ms: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: q(1) },
  restore_ms: Number(restoreMs.toFixed(1)),
}))
process.exit(0)
