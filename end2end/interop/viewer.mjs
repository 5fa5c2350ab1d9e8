// A stock y-websocket client with a viewer's token, for the Rust tests: its
// edit is refused with the permission-denied message, it stays connected (no
// reconnect loop) and keeps receiving everyone else's edits.
// Usage: node interop/viewer.mjs <serverWsBase> <docId> <token>
//   stdout: READY (synced) -> edits -> DENIED <reason> -> waits for a line
//   "owner-after" from another party -> DONE <disconnects> <json text>
//   exit: 0 done, 1 error/timeout
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'

const [base, docId, token] = process.argv.slice(2)
if (!base || !docId || !token) {
  console.error('usage: node interop/viewer.mjs <serverWsBase> <docId> <token>')
  process.exit(1)
}

// y-websocket reports a refused update through console.warn: catch it.
let denied = null
// Conditions waited for are checked again whenever something happens.
const waiters = new Set()
const poke = () => { for (const check of [...waiters]) check() }
const warn = console.warn
console.warn = (...args) => {
  const message = args.join(' ')
  if (message.includes('Permission denied')) { denied = message; poke() } else warn(...args)
}

const doc = new Y.Doc()
const text = doc.getText('content')
const provider = new WebsocketProvider(base, docId, doc, { WebSocketPolyfill: WebSocket, disableBc: true, params: { token } })
let disconnects = 0
provider.on('status', ({ status }) => { if (status === 'disconnected') disconnects++ })
provider.on('sync', poke)
doc.on('update', poke)

const exit = (code) => { provider.destroy(); process.exit(code) }
setTimeout(() => { console.error(`timeout; denied: ${denied}, text: ${JSON.stringify(text.toString())}`); exit(1) }, 30000)

const until = (cond) => new Promise((resolve) => {
  const check = () => { if (cond()) { waiters.delete(check); resolve() } }
  waiters.add(check)
  check()
})

await until(() => provider.synced)
console.log('READY')
text.insert(0, 'viewer-edit\n')
await until(() => denied !== null)
console.log('DENIED ' + JSON.stringify(denied.split('\n').pop()))
await until(() => text.toString().includes('owner-after'))
console.log(`DONE ${disconnects} ${JSON.stringify(text.toString())}`)
exit(0)
