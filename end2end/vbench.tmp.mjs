// One-off: 500 versions of a 200 KB document with ~200 characters changed between them.
import * as Y from 'yjs'
const base = process.argv[2]
const id = 'vbench-' + Date.now().toString(36)
const doc = new Y.Doc()
const text = doc.getText('content')
const para = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore. '
let sv = Y.encodeStateVector(doc)
const send = async () => {
  const update = Y.encodeStateAsUpdate(doc, sv)
  sv = Y.encodeStateVector(doc)
  const r = await fetch(`${base}/api/docs/${id}/update`, { method: 'POST', body: update, headers: { 'content-type': 'application/octet-stream' } })
  if (r.status !== 204) throw new Error('update ' + r.status)
}
text.insert(0, para.repeat(2000)) // ~200 KB
await send()
const ids = []
const t0 = performance.now()
for (let k = 0; k < 500; k++) {
  const at = Math.floor(Math.random() * (text.length - 300))
  text.delete(at, 100)
  text.insert(at, `edit ${k} `.padEnd(100, 'x'))
  await send()
  const r = await fetch(`${base}/api/docs/${id}/versions`, { method: 'POST', body: JSON.stringify({ label: `v${k}` }), headers: { 'content-type': 'application/json' } })
  if (r.status !== 201) throw new Error('version ' + r.status)
  ids.push((await r.json()).id)
}
const recordMs = performance.now() - t0
const times = []
for (const v of ids) {
  const s = performance.now()
  const r = await fetch(`${base}/api/docs/${id}/versions/${v}`)
  const body = await r.json()
  if (!body.text.startsWith('Lorem') && !body.text.includes('edit')) throw new Error('bad version')
  times.push(performance.now() - s)
}
times.sort((a, b) => a - b)
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(1)
const r0 = performance.now()
const rr = await fetch(`${base}/api/docs/${id}/versions/${ids[0]}/restore`, { method: 'POST' })
const restoreMs = performance.now() - r0
console.log(JSON.stringify({ doc: id, docChars: text.length, recordMsPerVersion: (recordMs / 500).toFixed(1), openMs: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: q(1) }, restoreStatus: rr.status, restoreMs: restoreMs.toFixed(1) }))
