// Interop driver for the Rust tests: N stock y-websocket clients edit one doc concurrently and must converge.
// Usage: node interop/clients.mjs <serverWsBase> <docId> <nClients> <tag>
//   serverWsBase: one base, or several comma-separated (a cluster's nodes): client i uses the i-th in turn
//   stdout: READY (all synced) -> waits for "GO" on stdin -> inserts -> FINAL <json text>
//   env: EXPECT=comma,separated,lines written by other parties; TIMEOUT_MS (default 30000);
//        TOKEN=an API token, sent as the stock client sends one: `params: { token }`
//   exit: 0 converged, 1 error/timeout, 2 all markers present but texts differ
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { createInterface } from 'node:readline'

const INSERTS_PER_CLIENT = 20
const [base, docId, nArg, tag] = process.argv.slice(2)
const n = Number(nArg)
if (!base || !docId || !Number.isInteger(n) || n < 1 || !tag) {
  console.error('usage: node interop/clients.mjs <serverWsBase> <docId> <nClients> <tag>')
  process.exit(1)
}

const extra = (process.env.EXPECT ?? '').split(',').filter((s) => s !== '')
const own = Array.from({ length: n }, (_, i) =>
  Array.from({ length: INSERTS_PER_CLIENT }, (_, k) => `${tag}-${i}-${k}`)).flat()
const expected = [...own, ...extra]

process.setMaxListeners(n + 10) // each provider adds a process 'exit' listener
const bases = base.split(',')
const clients = Array.from({ length: n }, (_, i) => {
  const doc = new Y.Doc()
  // disableBc: otherwise providers in one process exchange updates in-process and bypass the server.
  const params = process.env.TOKEN ? { token: process.env.TOKEN } : {}
  const provider = new WebsocketProvider(bases[i % bases.length], docId, doc, { WebSocketPolyfill: WebSocket, disableBc: true, params })
  return { doc, provider, text: doc.getText('content') }
})

const exit = (code) => {
  for (const c of clients) c.provider.destroy()
  process.exit(code)
}
const missing = (c) => {
  const lines = new Set(c.text.toString().split('\n'))
  return expected.filter((m) => !lines.has(m))
}
const texts = () => clients.map((c) => c.text.toString())

const timeoutMs = Number(process.env.TIMEOUT_MS ?? 30000)
setTimeout(() => {
  const incomplete = clients.map((c, i) => [i, missing(c)]).filter(([, m]) => m.length > 0)
  if (incomplete.length === 0) {
    console.error('timeout: all markers present but texts differ:')
    texts().forEach((t, i) => console.error(`client ${i}: ${JSON.stringify(t)}`))
    exit(2)
  }
  console.error(`timeout after ${timeoutMs} ms; synced: ${clients.map((c) => c.provider.synced).join(',')}`)
  for (const [i, m] of incomplete) console.error(`client ${i} missing ${m.length}: ${m.slice(0, 10).join(' ')}`)
  exit(1)
}, timeoutMs)

// Resolves once cond() holds, re-checking whenever any client's doc changes.
const until = (cond) => new Promise((resolve) => {
  const check = () => {
    if (!cond()) return
    for (const c of clients) c.doc.off('update', check)
    resolve()
  }
  for (const c of clients) c.doc.on('update', check)
  check()
})

const synced = (p) => new Promise((resolve) => {
  if (p.synced) return resolve()
  const onSync = (s) => { if (s) { p.off('sync', onSync); resolve() } }
  p.on('sync', onSync)
})

const go = () => new Promise((resolve) => {
  const rl = createInterface({ input: process.stdin })
  let started = false
  rl.on('line', (l) => { if (l.trim() === 'GO') { started = true; rl.close(); resolve() } })
  rl.on('close', () => { if (!started) { console.error('stdin closed before GO'); exit(1) } })
})

// Insert at a random line start, so concurrent inserts never split a marker line.
const insertLine = (text, line) => {
  const s = text.toString()
  const starts = [0]
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) starts.push(i + 1)
  if (s.length > 0 && !s.endsWith('\n')) starts.pop() // the end is mid-line
  text.insert(starts[Math.floor(Math.random() * starts.length)], line + '\n')
}

await Promise.all(clients.map((c) => synced(c.provider)))
console.log('READY')
await go()

for (let k = 0; k < INSERTS_PER_CLIENT; k++) {
  clients.forEach((c, i) => insertLine(c.text, `${tag}-${i}-${k}`))
  await new Promise(setImmediate) // let remote updates interleave with local edits
}

// Every client has every marker, and (other parties' non-marker edits may still be in flight) identical texts.
await until(() => clients.every((c) => missing(c).length === 0) && new Set(texts()).size === 1)
console.log('FINAL ' + JSON.stringify(clients[0].text.toString()))
exit(0)
